import { execFileSync } from 'child_process';
import { randomBytes } from 'crypto';
import fs from 'fs';
import zlib from 'zlib';
import fsp from 'fs/promises';
import path from 'path';
import { ARCHIVE_EXT } from '../../../constants';
import { extractVerified, readManifest, verifyArchive } from '../reader';
import { FolderReader } from '../folder-reader';
import { folderReaderWorker, type BatchReply, type BatchRequest, type FoundItem } from '../folder-reader-worker';
import { ArchiveWriter } from '../writer';
import { draft, makeTmp, sha256, sha256File } from './helpers';

// A folder is walked, read and hashed on a worker thread (folder-reader.ts): every file packed byte for byte, the same
// items left out as before, whatever the order of sizes (a buffer that fills up ends an answer; the next goes on).

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
  await w.finish(draft());
  return { file, manifest: await readManifest(file), skipped };
}

describe('the folder reader', () => {
  it('packs 1,500 files of every size class, verified byte for byte, specials left out', async () => {
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

    const next = jest.spyOn(FolderReader.prototype, 'next');
    const { file, manifest, skipped } = await pack(src, 'many');
    // In several answers: the 4 MiB buffers fill up with the runs of 200 KiB files.
    expect(next.mock.calls.length).toBeGreaterThan(5);
    next.mockRestore();
    expect(skipped.sort()).toEqual(['d3/link.bin: symlink', 'd5/pipe: not a regular file']);
    expect(manifest.entries.filter((e) => e.path.startsWith('storage/uploads/'))).toHaveLength(1500);
    await verifyArchive(file);
    const { pathOf } = await extractVerified(file, manifest, path.join(tmp, 'out'));
    for (const [rel, data] of Object.entries(files)) {
      expect([rel, await sha256File(pathOf(`storage/uploads/${rel}`))]).toEqual([rel, sha256(data)]);
    }
  });

  it('walks in sorted order, hashes what it reads, starts the next answer with a file that did not fit', () => {
    const root = path.join(tmp, 'w');
    fs.mkdirSync(path.join(root, 'b', 'inner'), { recursive: true });
    fs.mkdirSync(path.join(root, 'gone'));
    const write = (rel: string, size: number) => {
      const data = randomBytes(size);
      fs.writeFileSync(path.join(root, rel), data);
      return data;
    };
    const a = write('a.bin', 500); // half of a 1,000-byte buffer
    const b1 = write('b/1.bin', 600); // does not fit after a.bin: first of the second answer
    const b2 = write('b/inner/2.bin', 10);
    write('big.bin', 5000); // over inlineMax
    write('lost.bin', 5);
    fs.symlinkSync(path.join(root, 'a.bin'), path.join(root, 'c-link'));
    const failing = {
      ...fs,
      // 'gone' is deleted between the listing of its parent and its own; lost.bin between listing and open.
      readdirSync: ((p: string, o: never) => (p.endsWith('gone') ? enoent(p) : fs.readdirSync(p, o))) as typeof fs.readdirSync,
      openSync: ((p: string, f: number) => (p.endsWith('lost.bin') ? enoent(p) : fs.openSync(p, f))) as typeof fs.openSync,
    };
    const answers: BatchReply[] = [];
    let onMessage: (m: BatchRequest) => void = () => undefined;
    folderReaderWorker(
      { on: (_e, fn) => (onMessage = fn), postMessage: (m) => answers.push(m) },
      { root, inlineMax: 1000, maxItems: 100 },
      { fs: failing, path, crypto: require('crypto'), zlib: require('zlib') },
    );
    const ask = () => onMessage({ buf: 0, bytes: new ArrayBuffer(1000) });
    ask();
    ask();
    expect(answers.map((r) => r.done)).toEqual([false, true]);
    const [first, second] = answers.map((r) => r.items.map((i) => `${i.k}:${'rel' in i ? i.rel : ''}`));
    expect(first).toEqual(['enter:', 'data:a.bin', 'enter:b']);
    expect(second).toEqual([
      'data:b/1.bin',
      'enter:b/inner',
      'data:b/inner/2.bin',
      'leave:b/inner',
      'leave:b',
      'large:big.bin',
      'skip:c-link',
      'skip:gone',
      'error:lost.bin',
      'leave:',
    ]);
    const data = (r: BatchReply, rel: string) => {
      const item = r.items.find((i) => i.k === 'data' && i.rel === rel) as Extract<FoundItem, { k: 'data' }>;
      const bytes = Buffer.from(r.bytes, item.off, item.len);
      expect(item.sha256).toBe(sha256(bytes));
      expect(item.crc).toBe(zlib.crc32(bytes) >>> 0);
      return bytes;
    };
    expect(data(answers[0], 'a.bin').equals(a)).toBe(true);
    expect(data(answers[1], 'b/1.bin').equals(b1)).toBe(true);
    expect(data(answers[1], 'b/inner/2.bin').equals(b2)).toBe(true);
    expect(answers[1].items.find((i) => i.k === 'error')).toMatchObject({ code: 'ENOENT' });
  });

  it('ends the walk with a fatal item when the folder itself cannot be read', async () => {
    const reader = new FolderReader(path.join(tmp, 'missing'), 1000);
    try {
      const batch = await reader.next();
      expect(batch!.items).toEqual([expect.objectContaining({ k: 'fatal', code: 'ENOENT' })]);
      batch!.release();
      expect(await reader.next()).toBeNull();
    } finally {
      await reader.close();
    }
  });
});

function enoent(p: string): never {
  throw Object.assign(new Error(`ENOENT: no such file or directory, '${p}'`), { code: 'ENOENT' });
}
