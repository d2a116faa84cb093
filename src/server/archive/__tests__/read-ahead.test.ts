import { execFileSync } from 'child_process';
import { randomBytes } from 'crypto';
import fs from 'fs';
import fsp from 'fs/promises';
import path from 'path';
import { ARCHIVE_EXT } from '../../../constants';
import { extractVerified, verifyArchive } from '../reader';
import { ReadAhead } from '../read-ahead';
import { ArchiveWriter } from '../writer';
import { draft, makeTmp, sha256, sha256File } from './helpers';

// A folder of many files is read on a worker thread (read-ahead.ts): the same archive as the main-thread path, with
// the same files left out, whatever the order of sizes (buffers that fill up send the rest again).

let tmp: string;
beforeEach(async () => {
  tmp = await makeTmp();
});
afterEach(async () => {
  await fsp.rm(tmp, { recursive: true, force: true });
});

async function pack(src: string, name: string) {
  const file = path.join(tmp, name + ARCHIVE_EXT);
  const w = await ArchiveWriter.create(file, { tmpDir: tmp });
  await w.addBuffer('db/main.dump', randomBytes(100));
  const skipped: string[] = [];
  await w.addDirectory('storage/uploads', src, { onSkip: (rel, reason) => skipped.push(`${rel}: ${reason}`) });
  const { manifest } = await w.finish(draft());
  return { file, manifest, skipped };
}

describe('read-ahead of many files', () => {
  it('packs 1,500 files of every size class on the worker, verified byte for byte, specials left out', async () => {
    const src = path.join(tmp, 'uploads');
    const files: Record<string, Buffer> = {};
    for (let i = 0; i < 1500; i++) {
      // Mostly small, runs of ~200 KiB (five fill a buffer), some over the inline limit, some empty.
      const size = i % 97 === 0 ? 300 * 1024 + i : i % 50 < 12 ? 200 * 1024 + i : i % 13 === 0 ? 0 : 1 + ((i * 7919) % 4000);
      const rel = `d${i % 7}/f${String(i).padStart(4, '0')}.bin`;
      files[rel] = randomBytes(size);
      await fsp.mkdir(path.join(src, `d${i % 7}`), { recursive: true });
      await fsp.writeFile(path.join(src, rel), files[rel]);
    }
    await fsp.symlink(path.join(src, 'd0', 'f0000.bin'), path.join(src, 'd3', 'link.bin'));
    execFileSync('mkfifo', [path.join(src, 'd5', 'pipe')]);

    const next = jest.spyOn(ReadAhead.prototype, 'next');
    const { file, manifest, skipped } = await pack(src, 'many');
    // Read on the worker: all but the first few hundred files the walk met before it started.
    expect(next.mock.calls.length).toBeGreaterThan(900);
    next.mockRestore();
    expect(skipped.sort()).toEqual(['d3/link.bin: symlink', 'd5/pipe: not a regular file']);
    expect(manifest.entries.filter((e) => e.path.startsWith('storage/uploads/'))).toHaveLength(1500);
    await verifyArchive(file);
    const { files: out } = await extractVerified(file, manifest, path.join(tmp, 'out'));
    for (const [rel, data] of Object.entries(files)) {
      expect([rel, await sha256File(out[`storage/uploads/${rel}`])]).toEqual([rel, sha256(data)]);
    }
  });

  it('answers in the order asked, a missing file and a folder as the errors fs gives, and large files for the caller', async () => {
    const dir = path.join(tmp, 'x');
    await fsp.mkdir(path.join(dir, 'sub'), { recursive: true });
    const paths: string[] = [];
    for (let i = 0; i < 40; i++) {
      const p = path.join(dir, `f${i}`);
      await fsp.writeFile(p, Buffer.alloc(i === 7 ? 300 * 1024 : 100 * 1024 + i, i));
      paths.push(p);
    }
    const r = new ReadAhead(256 * 1024);
    try {
      r.ask([...paths.slice(0, 20), path.join(dir, 'gone'), path.join(dir, 'sub')]);
      r.ask(paths.slice(20));
      const seen: string[] = [];
      for (let i = 0; i < 42; i++) {
        try {
          const { loaded, done } = await r.next();
          seen.push(loaded ? `${loaded.kind}:${(loaded as { data: Buffer }).data[0]}:${(loaded as { data: Buffer }).data.length}` : 'large');
          done();
        } catch (err) {
          seen.push(`error:${(err as NodeJS.ErrnoException).code}`);
        }
      }
      const expected = [
        ...Array.from({ length: 20 }, (_, i) => (i === 7 ? 'large' : `data:${i}:${100 * 1024 + i}`)),
        'error:ENOENT',
        'error:NOT_REGULAR',
        ...Array.from({ length: 20 }, (_, k) => `data:${20 + k}:${100 * 1024 + 20 + k}`),
      ];
      expect(seen).toEqual(expected);
    } finally {
      await r.close();
    }
  });
});
