import { execFileSync } from 'child_process';
import { randomBytes } from 'crypto';
import fs from 'fs';
import zlib from 'zlib';
import fsp from 'fs/promises';
import path from 'path';
import { ARCHIVE_EXT } from '../../../constants';
import { extractVerified, readManifest, verifyArchive } from '../reader';
import { FolderReader } from '../folder-reader';
import { FIELDS, FILE_DATA, FILE_ERROR, FILE_LARGE, FILE_SKIP, fileReaderWorker, type ReadReply, type ReadRequest } from '../file-reader-worker';
import { folderWalkerWorker, type WalkReply } from '../folder-walker-worker';
import { ArchiveWriter } from '../writer';
import { draft, makeTmp, occurrencesInHeap, sha256, sha256File } from './helpers';

// A folder is walked on a worker thread and its files read and hashed on others (folder-reader.ts): every file packed
// byte for byte and in walk order, the same items left out as before, whatever the order of sizes (a buffer that fills
// up ends an answer; the next goes on from there).

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
    const packed = manifest.entries.filter((e) => e.path.startsWith('storage/uploads/')).map((e) => e.path);
    // In walk order (folders and names sorted), although two readers read them.
    expect(packed).toEqual(Object.keys(files).sort().map((rel) => `storage/uploads/${rel}`));
    await verifyArchive(file);
    const { pathOf } = await extractVerified(file, manifest, path.join(tmp, 'out'));
    for (const [rel, data] of Object.entries(files)) {
      expect([rel, await sha256File(pathOf(`storage/uploads/${rel}`))]).toEqual([rel, sha256(data)]);
    }
  });

  it('walks in sorted order, listing files and leaving out what is not one', () => {
    const root = path.join(tmp, 'w');
    fs.mkdirSync(path.join(root, 'b', 'inner'), { recursive: true });
    fs.mkdirSync(path.join(root, 'gone'));
    for (const rel of ['a.bin', 'b/1.bin', 'b/inner/2.bin', 'big.bin']) fs.writeFileSync(path.join(root, rel), 'x');
    fs.symlinkSync(path.join(root, 'a.bin'), path.join(root, 'c-link'));
    const failing = {
      ...fs,
      // 'gone' is deleted between the listing of its parent and its own.
      readdirSync: ((p: string, o: never) => (p.endsWith('gone') ? enoent(p) : fs.readdirSync(p, o))) as typeof fs.readdirSync,
    };
    const answers: WalkReply[] = [];
    let onMessage: () => void = () => undefined;
    folderWalkerWorker({ on: (_e, fn) => (onMessage = fn), postMessage: (m) => answers.push(m) }, { root, maxItems: 4 }, { fs: failing, path });
    while (!answers.at(-1)?.done) onMessage();
    // Files come as UTF-8 bytes and ends, the other items as objects placed among them by `at`.
    const inOrder = (r: WalkReply) => {
      const out: string[] = [];
      const file = (i: number) => `file:${Buffer.from(r.names).toString('utf8', i ? r.ends[i - 1] : 0, r.ends[i])}`;
      let f = 0;
      for (const item of r.items) {
        while (f < item.at) out.push(file(f++));
        out.push(`${item.k}:${'rel' in item ? item.rel : ''}`);
      }
      while (f < r.ends.length) out.push(file(f++));
      return out;
    };
    expect(answers.map((r) => inOrder(r).length)).toEqual([4, 4, 4]);
    expect(answers.flatMap(inOrder)).toEqual([
      'enter:',
      'file:a.bin',
      'enter:b',
      'file:b/1.bin',
      'enter:b/inner',
      'file:b/inner/2.bin',
      'leave:b/inner',
      'leave:b',
      'file:big.bin',
      'skip:c-link',
      'skip:gone',
      'leave:',
    ]);
  });

  it('reads and hashes what fits the buffer, and says where the next request starts', () => {
    const root = path.join(tmp, 'r');
    fs.mkdirSync(path.join(root, 'b'), { recursive: true });
    const write = (rel: string, size: number) => {
      const data = randomBytes(size);
      fs.writeFileSync(path.join(root, rel), data);
      return data;
    };
    const a = write('a.bin', 500); // half of a 1,000-byte buffer
    const b1 = write('b/1.bin', 600); // does not fit after a.bin: first of the second answer
    write('big.bin', 5000); // over inlineMax
    write('lost.bin', 5);
    execFileSync('mkfifo', [path.join(root, 'pipe')]);
    const failing = {
      ...fs,
      // lost.bin is deleted between listing and open.
      openSync: ((p: string, f: number) => (p.endsWith('lost.bin') ? enoent(p) : fs.openSync(p, f))) as typeof fs.openSync,
    };
    const answers: ReadReply[] = [];
    let onMessage: (m: ReadRequest) => void = () => undefined;
    fileReaderWorker(
      { on: (_e, fn) => (onMessage = fn), postMessage: (m) => answers.push(m) },
      { root, inlineMax: 1000 },
      { fs: failing, crypto: require('crypto'), zlib: require('zlib') },
    );
    const rels = ['a.bin', 'b/1.bin', 'big.bin', 'lost.bin', 'pipe'];
    // As the walk sends them: UTF-8 bytes and the end of each path.
    const names = new Uint8Array(Buffer.from(rels.join('')));
    const ends = Uint32Array.from(rels.map((_, i) => Buffer.byteLength(rels.slice(0, i + 1).join(''))));
    onMessage({ id: 7, buf: 0, bytes: new ArrayBuffer(1000), names, ends, from: 0 });
    expect(answers[0]).toMatchObject({ id: 7, buf: 0, to: 1 });
    onMessage({ id: 8, buf: 1, bytes: new ArrayBuffer(1000), names, ends, from: answers[0].to });
    expect(answers[1]).toMatchObject({ id: 8, buf: 1, to: 5 });
    // Each file as the main thread reads it back: its kind from the numbers, a data file's digests and bytes.
    const KIND = { [FILE_DATA]: 'data', [FILE_SKIP]: 'skip', [FILE_LARGE]: 'large', [FILE_ERROR]: 'error' } as Record<number, string>;
    const kinds = (r: ReadReply, from: number) =>
      Array.from({ length: r.to - from }, (_, i) => `${KIND[r.meta[FIELDS * i]]}:${rels[from + i]}`);
    expect(kinds(answers[0], 0)).toEqual(['data:a.bin']);
    expect(kinds(answers[1], 1)).toEqual(['data:b/1.bin', 'large:big.bin', 'error:lost.bin', 'skip:pipe']);
    // The numbers are sized by the files a request asked for; only those before `to` are answered.
    expect([answers[0].meta.length, answers[1].meta.length]).toEqual([FIELDS * 5, FIELDS * 4]);
    const data = (r: ReadReply, i: number, nth: number) => {
      const [off, len, mode, crc] = r.meta.subarray(FIELDS * i + 1, FIELDS * i + FIELDS);
      const bytes = Buffer.from(r.bytes, off, len);
      expect(r.sha.slice(64 * nth, 64 * nth + 64)).toBe(sha256(bytes));
      expect(crc).toBe(zlib.crc32(bytes) >>> 0);
      expect(mode).toBe(fs.statSync(path.join(root, rels[answers.indexOf(r) === 0 ? i : i + 1])).mode & 0o7777);
      return bytes;
    };
    expect(data(answers[0], 0, 0).equals(a)).toBe(true);
    expect(data(answers[1], 0, 0).equals(b1)).toBe(true);
    expect(answers[1].sha).toHaveLength(64);
    expect(answers[1].errors).toEqual([expect.objectContaining({ code: 'ENOENT' })]);
  });

  it('holds the paths of the files listed ahead as bytes, not strings (those were promoted as garbage)', async () => {
    // Made at run time, so that this file's source (a heap string too) does not hold it.
    const marker = ['listed', 'ahead', String(process.pid), ''].join('-');
    const root = path.join(tmp, 'ahead');
    for (let d = 0; d < 4; d++) {
      fs.mkdirSync(path.join(root, `d${d}`), { recursive: true });
      for (let i = 0; i < 1500; i++) fs.writeFileSync(path.join(root, `d${d}`, `${marker}${i}.bin`), 'x');
    }
    const reader = new FolderReader(root, 1000);
    try {
      // The first batch comes once the walk's first answer (2,048 items: segments of 256 files) is in.
      let batch = await reader.next();
      while (batch && !batch.files) {
        batch.release();
        batch = await reader.next();
      }
      const found = await occurrencesInHeap(marker);
      // Before: one string per file listed ahead (at least the 2,000 of the first answer).
      expect(found).toBeLessThanOrEqual(4);
      expect(batch!.files!.rel(0)).toBe(`d0/${marker}0.bin`);
      expect(batch!.files!.rel(batch!.files!.count - 1)).toMatch(new RegExp(`^d0/${marker}\\d+\\.bin$`));
      batch!.release();
    } finally {
      await reader.close();
    }
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
