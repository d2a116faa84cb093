import { execFileSync } from 'child_process';
import { randomBytes } from 'crypto';
import fs from 'fs';
import fsp from 'fs/promises';
import path from 'path';
import { PassThrough, Readable, Writable } from 'stream';
import { pipeline } from 'stream/promises';
import * as unzipper from 'unzipper';
import { ARCHIVE_EXT, FORMAT, FORMAT_VERSION_PLAIN } from '../../../constants';
import { EMPTY_SHA256 } from '../hash-stream';
import { MANIFEST_NAME } from '../manifest';
import { extractVerified, openEntryStream, readManifest, verifyArchive } from '../reader';
import { ArchiveWriter } from '../writer';
import { buildZip, draft, entryOf, expectCode, headOf, listTree, makeTmp, manifestFor, pgDumpLike, sha256, sha256File } from './helpers';

const mode = async (p: string) => (await fsp.stat(p)).mode & 0o777;
const hasCmd = (cmd: string) => {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

let tmp: string;
beforeEach(async () => {
  tmp = await makeTmp();
});
afterEach(async () => {
  await fsp.rm(tmp, { recursive: true, force: true });
});

/** storage/uploads-like tree with nested folders, an empty file, symlinks and a fifo. */
async function makeTree(root: string) {
  const files: Record<string, Buffer> = {
    'a.txt': Buffer.from('hello'),
    'empty.bin': Buffer.alloc(0),
    'big.bin': randomBytes(20 * 1024 * 1024),
    'sub/b.png': randomBytes(3000),
    'sub/deeper/c.json': Buffer.from('{"x":1}'),
    'sub/ü n i c ø d e.txt': Buffer.from('unicode'),
    'Z-upper.txt': Buffer.from('Z'),
  };
  for (const [rel, data] of Object.entries(files)) {
    await fsp.mkdir(path.dirname(path.join(root, rel)), { recursive: true });
    await fsp.writeFile(path.join(root, rel), data, { mode: 0o644 });
  }
  await fsp.mkdir(path.join(root, 'emptydir'));
  await fsp.symlink(path.join(root, 'a.txt'), path.join(root, 'link-to-file'));
  await fsp.symlink('/etc', path.join(root, 'link-to-dir'));
  await fsp.writeFile(path.join(root, 'back\\slash.txt'), 'bs');
  let fifo = false;
  if (hasCmd('mkfifo')) {
    execFileSync('mkfifo', [path.join(root, 'pipe')]);
    fifo = true;
  }
  return { files, fifo };
}

describe('ArchiveWriter + reader round trip', () => {
  it('packs a dump stream and a folder, and reads everything back verified', async () => {
    const src = path.join(tmp, 'uploads');
    const { files, fifo } = await makeTree(src);
    const finalPath = path.join(tmp, 'out', 'backup_1' + ARCHIVE_EXT);
    const w = await ArchiveWriter.create(finalPath, { tmpDir: path.join(tmp, 'work') });

    expect(w.partialPath).toBe(path.join(tmp, 'work', 'backup_1' + ARCHIVE_EXT + '.partial'));
    expect(await mode(w.partialPath)).toBe(0o600);
    expect(await mode(path.join(tmp, 'work'))).toBe(0o700);
    expect(await mode(path.join(tmp, 'out'))).toBe(0o700);

    const dump = pgDumpLike(6 * 1024 * 1024 + 123);
    const dumpEntry = await w.addStream('db/main.dump', dump.stream);
    expect(dumpEntry).toEqual({ path: 'db/main.dump', size: dump.size(), sha256: dump.digest() });
    expect(w.bytesWritten).toBeGreaterThan(dump.size() / 2); // archiver may still buffer the tail

    const progress: number[] = [];
    const skipped: string[] = [];
    const dirEntries = await w.addDirectory('storage/uploads', src, {
      onProgress: (n) => progress.push(n),
      onSkip: (rel, reason) => skipped.push(`${rel}:${reason}`),
    });
    expect(skipped.sort()).toEqual(
      ['back\\slash.txt:unsafe name', 'link-to-dir:symlink', 'link-to-file:symlink', ...(fifo ? ['pipe:not a regular file'] : [])].sort(),
    );
    const totalFiles = Object.values(files).reduce((n, b) => n + b.length, 0);
    expect(dirEntries).toEqual({ files: 7, bytes: totalFiles });
    expect(progress[progress.length - 1]).toBe(totalFiles);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);

    const keys = await w.addBuffer('keys/app.key', 'secret-key');
    expect(keys.sha256).toBe(sha256('secret-key'));

    const res = await w.finish({ ...draft(), parts: ['database', 'uploads', 'keys'] });
    expect(res.path).toBe(finalPath);
    expect(fs.existsSync(w.partialPath)).toBe(false);
    expect(await mode(finalPath)).toBe(0o600);
    expect(res.size).toBe((await fsp.stat(finalPath)).size);
    expect(w.bytesWritten).toBe(res.size);
    expect(res.manifest.format).toBe(FORMAT);
    expect(res.manifest.formatVersion).toBe(FORMAT_VERSION_PLAIN);
    // The writer answers the manifest but its entries (streamed into the archive), with their count and bytes.
    const written = await readManifest(finalPath);
    expect(res.manifest).toEqual(headOf(written));
    expect(written.entries.map((e) => e.path)).toEqual([
      'db/main.dump',
      'storage/uploads/Z-upper.txt',
      'storage/uploads/a.txt',
      'storage/uploads/big.bin',
      'storage/uploads/empty.bin',
      'storage/uploads/sub/b.png',
      'storage/uploads/sub/deeper/c.json',
      'storage/uploads/sub/ü n i c ø d e.txt',
      'keys/app.key',
    ]);

    // Sizes and hashes in the manifest match independently computed ones.
    for (const e of written.entries) {
      if (e.path.startsWith('storage/uploads/')) {
        const data = files[e.path.slice('storage/uploads/'.length)];
        expect(e.size).toBe(data.length);
        expect(e.sha256).toBe(sha256(data));
      }
    }
    expect(written.entries.find((e) => e.path === 'storage/uploads/empty.bin')!.sha256).toBe(EMPTY_SHA256);

    // manifest.json is the last entry, stored, and reading it back gives the same manifest.
    const dir = await unzipper.Open.file(finalPath);
    expect(dir.files[dir.files.length - 1].path).toBe(MANIFEST_NAME);
    expect(dir.files.every((f) => f.compressionMethod === 0)).toBe(true);
    const manifest = await readManifest(finalPath);
    expect(manifest).toEqual(written);

    // Other zip tools agree with the file.
    if (hasCmd('unzip')) execFileSync('unzip', ['-tq', finalPath]);

    // verify writes nothing and succeeds.
    const vProgress: number[] = [];
    await expect(verifyArchive(finalPath, { onProgress: (d) => vProgress.push(d) })).resolves.toEqual(manifest);
    expect(vProgress[vProgress.length - 1]).toBe(manifest.entries.reduce((n, e) => n + e.size, 0));

    // extract into a fresh staging folder.
    const staging = path.join(tmp, 'staging', 'x');
    const ex = await extractVerified(finalPath, manifest, staging);
    expect(ex.bytes).toBe(manifest.entries.reduce((n, e) => n + e.size, 0));
    for (const e of manifest.entries) {
      const p = path.join(staging, ...e.path.split('/'));
      expect(ex.pathOf(e.path)).toBe(p);
      expect(await sha256File(p)).toBe(e.sha256);
      expect(await mode(p)).toBe(0o600);
    }
    for (const d of ['', 'db', 'storage', 'storage/uploads', 'storage/uploads/sub', 'storage/uploads/sub/deeper', 'keys']) {
      expect(await mode(path.join(staging, d))).toBe(0o700);
    }
    expect(await listTree(staging)).not.toContain('storage/uploads/emptydir/'); // folders are not recorded

    // one entry as a stream.
    const s = await openEntryStream(finalPath, 'db/main.dump');
    const chunks: Buffer[] = [];
    await pipeline(s, new Writable({ write: (c, _e, cb) => (chunks.push(c), cb()) }));
    expect(sha256(Buffer.concat(chunks))).toBe(dump.digest());
    await expectCode(openEntryStream(finalPath, 'db/other.dump'), 'ENTRY_MISSING');
  });

  it("a folder's manifest entries are the JSON of their fields, names JSON must escape included, byte for byte", async () => {
    const src = path.join(tmp, 'names');
    const names = ['say "hi".txt', 'percent % and \u2028 line sep.txt', 'emoji 😀 漢字.txt', "it's.txt"];
    await fsp.mkdir(src, { recursive: true });
    for (const [i, n] of names.entries()) await fsp.writeFile(path.join(src, n), `content ${i}`, { mode: 0o640 });
    const finalPath = path.join(tmp, 'out', 'names' + ARCHIVE_EXT);
    const w = await ArchiveWriter.create(finalPath, { tmpDir: path.join(tmp, 'work') });
    await w.addStream('db/main.dump', pgDumpLike(1000).stream);
    await w.addDirectory('storage/uploads', src);
    await w.finish({ ...draft(), parts: ['database', 'uploads'] });
    const dir = await unzipper.Open.file(finalPath);
    const text = (await dir.files.find((f) => f.path === MANIFEST_NAME)!.buffer()).toString('utf8');
    const entries = (JSON.parse(text) as { entries: Record<string, unknown>[] }).entries.filter((e) => String(e.path).startsWith('storage/'));
    expect(entries.map((e) => e.path).sort()).toEqual(names.map((n) => `storage/uploads/${n}`).sort());
    // What JSON.stringify of each entry gives is what the manifest holds: same keys, same order, same escapes.
    for (const e of entries) {
      expect(Object.keys(e)).toEqual(['path', 'size', 'sha256', 'mode']);
      expect(e.mode).toBe(0o640);
      expect(text).toContain(JSON.stringify(e));
    }
  });

  it('archive size stays within 1.15x of the dump plus a plain tar of the files', async () => {
    const src = path.join(tmp, 'uploads');
    for (let i = 0; i < 300; i++) {
      await fsp.mkdir(path.join(src, `d${i % 10}`), { recursive: true });
      await fsp.writeFile(path.join(src, `d${i % 10}`, `file-${i}.bin`), randomBytes(100 + ((i * 7919) % 20000)));
    }
    const dumpFile = path.join(tmp, 'main.dump');
    await fsp.writeFile(dumpFile, randomBytes(8 * 1024 * 1024));
    const w = await ArchiveWriter.create(path.join(tmp, 'b' + ARCHIVE_EXT), { tmpDir: tmp });
    await w.addFile('db/main.dump', dumpFile);
    await w.addDirectory('storage/uploads', src);
    const { size } = await w.finish(draft());

    let tarSize: number;
    if (hasCmd('tar')) {
      const tarFile = path.join(tmp, 'u.tar');
      execFileSync('tar', ['-cf', tarFile, '-C', src, '.']);
      tarSize = (await fsp.stat(tarFile)).size;
    } else {
      tarSize = 10240; // end blocks
      for (const d of await fsp.readdir(src)) {
        for (const f of await fsp.readdir(path.join(src, d))) tarSize += 512 + Math.ceil((await fsp.stat(path.join(src, d, f))).size / 512) * 512;
      }
    }
    const baseline = (await fsp.stat(dumpFile)).size + tarSize;
    expect(size / baseline).toBeLessThanOrEqual(1.15);
  });

  it('reused read and staging buffers never leak one file into another (files of 1 KiB to 256 KiB, many flushes)', async () => {
    // The writer reads every small file into one buffer and reuses its staging megabytes once written: a piece the
    // output still held when the buffer was refilled would end up with the next file's bytes (caught by the hashes).
    const src = path.join(tmp, 'uploads');
    await fsp.mkdir(src);
    const files: Record<string, Buffer> = {};
    for (let i = 0; i < 120; i++) {
      const data = randomBytes(1024 + ((i * 104729) % (256 * 1024 - 1024)));
      files[`f${String(i).padStart(3, '0')}.bin`] = data;
      await fsp.writeFile(path.join(src, `f${String(i).padStart(3, '0')}.bin`), data);
    }
    const file = path.join(tmp, 'reuse' + ARCHIVE_EXT);
    const w = await ArchiveWriter.create(file, { tmpDir: tmp });
    await w.addBuffer('db/main.dump', randomBytes(1000));
    await w.addDirectory('storage/uploads', src);
    await w.finish(draft());
    const manifest = await readManifest(file);
    await verifyArchive(file);
    const out = path.join(tmp, 'out');
    const { pathOf } = await extractVerified(file, manifest, out);
    for (const [name, data] of Object.entries(files)) {
      expect([name, await sha256File(pathOf(`storage/uploads/${name}`))]).toEqual([name, sha256(data)]);
    }
  });

  it('reads archives that use zip64 end records', async () => {
    const dump = randomBytes(5000);
    const file = Buffer.from('file');
    const entries = [entryOf('db/main.dump', dump), entryOf('storage/uploads/f', file)];
    const p = path.join(tmp, 'z64' + ARCHIVE_EXT);
    await buildZip(
      p,
      [
        { name: 'db/main.dump', data: dump, stream: true },
        { name: 'storage/uploads/f', data: file },
        { name: MANIFEST_NAME, data: JSON.stringify(manifestFor(entries)) },
      ],
      { forceZip64: true },
    );
    const tail = (await fsp.readFile(p)).subarray(-22);
    expect(tail.readUInt32LE(16)).toBe(0xffffffff); // the offset lives in the zip64 record
    expect((await readManifest(p)).entries).toEqual(entries);
    await verifyArchive(p);
  });
});

describe('ArchiveWriter lifecycle', () => {
  it('abort removes the partial file and leaves no archive', async () => {
    const finalPath = path.join(tmp, 'a' + ARCHIVE_EXT);
    const w = await ArchiveWriter.create(finalPath, { tmpDir: tmp });
    await w.addBuffer('db/main.dump', randomBytes(1000));
    expect(fs.existsSync(w.partialPath)).toBe(true);
    await w.abort();
    await w.abort(); // idempotent
    expect(fs.existsSync(w.partialPath)).toBe(false);
    expect(fs.existsSync(finalPath)).toBe(false);
    await expectCode(w.addBuffer('x', 'y'), 'WRITER_CLOSED');
    await expectCode(w.finish(draft()), 'WRITER_CLOSED');
    expect(await fsp.readdir(tmp)).toEqual([]);
  });

  it('abort in the middle of a stream that never ends', async () => {
    const w = await ArchiveWriter.create(path.join(tmp, 'b' + ARCHIVE_EXT), { tmpDir: tmp });
    const endless = new PassThrough();
    endless.write(randomBytes(100_000));
    const pending = w.addStream('db/main.dump', endless);
    const queued = w.addBuffer('later', 'x');
    await new Promise((r) => setTimeout(r, 50));
    await w.abort();
    await expectCode(pending, 'WRITER_CLOSED');
    await expectCode(queued, 'WRITER_CLOSED');
    expect(await fsp.readdir(tmp)).toEqual([]);
    endless.destroy();
  });

  it('a failing source stream fails the entry with SOURCE_FAILED; abort then cleans up', async () => {
    const w = await ArchiveWriter.create(path.join(tmp, 'c' + ARCHIVE_EXT), { tmpDir: tmp });
    const bad = new Readable({
      read() {
        this.push(Buffer.alloc(1000));
        setImmediate(() => this.destroy(new Error('pg_dump exited with code 1')));
      },
    });
    const err = await expectCode(w.addStream('db/main.dump', bad), 'SOURCE_FAILED');
    expect(err.params.path).toBe('db/main.dump');
    await expectCode(w.addBuffer('x', 'y'), 'SOURCE_FAILED');
    await w.abort();
    expect(await fsp.readdir(tmp)).toEqual([]);
  });

  it('a failed finish removes the partial file', async () => {
    const w = await ArchiveWriter.create(path.join(tmp, 'd' + ARCHIVE_EXT), { tmpDir: tmp });
    await w.addBuffer('db/other.dump', 'x');
    // parts has 'database' but database.dump is not an entry
    await expectCode(w.finish(draft()), 'MANIFEST_INVALID');
    expect(await fsp.readdir(tmp)).toEqual([]);
  });

  it('refuses duplicate, reserved and unsafe names without breaking the writer', async () => {
    const w = await ArchiveWriter.create(path.join(tmp, 'e' + ARCHIVE_EXT), { tmpDir: tmp });
    await w.addBuffer('db/main.dump', 'x');
    await expectCode(w.addBuffer('db/main.dump', 'x'), 'ENTRY_DUPLICATE');
    await expectCode(w.addBuffer('db//main.dump', 'x'), 'ENTRY_DUPLICATE');
    await expectCode(w.addBuffer(MANIFEST_NAME, '{}'), 'ENTRY_UNSAFE');
    await expectCode(w.addBuffer('../x', 'x'), 'ENTRY_UNSAFE');
    await expectCode(w.addFile('f', path.join(tmp, 'missing')), 'SOURCE_FAILED');
    await fsp.symlink('/etc/hostname', path.join(tmp, 'ln'));
    await expectCode(w.addFile('f', path.join(tmp, 'ln')), 'SOURCE_FAILED');
    await w.finish(draft());
    expect((await readManifest(path.join(tmp, 'e' + ARCHIVE_EXT))).entries.map((e) => e.path)).toEqual(['db/main.dump']);
  });

  it('refuses a folder that overlaps an entry or folder added before (its files are not checked one by one)', async () => {
    const src = path.join(tmp, 'overlap-src');
    await fsp.mkdir(path.join(src, 'sub'), { recursive: true });
    await fsp.writeFile(path.join(src, 'sub', 'x.txt'), 'x');
    const file = path.join(tmp, 'overlap' + ARCHIVE_EXT);
    const w = await ArchiveWriter.create(file, { tmpDir: tmp });
    await w.addBuffer('db/main.dump', 'x');
    await w.addBuffer('storage/plugins/p.txt', 'p');
    await expect(w.addDirectory('storage/uploads', src)).resolves.toEqual({ files: 1, bytes: 1 });
    await expectCode(w.addDirectory('storage/uploads', src), 'ENTRY_DUPLICATE');
    await expectCode(w.addDirectory('storage/uploads/sub', path.join(src, 'sub')), 'ENTRY_DUPLICATE');
    await expectCode(w.addDirectory('storage', src), 'ENTRY_DUPLICATE');
    await expectCode(w.addDirectory('storage/plugins', src), 'ENTRY_DUPLICATE');
    await expectCode(w.addDirectory('db/main.dump', src), 'ENTRY_DUPLICATE');
    await expectCode(w.addBuffer('storage/uploads/sub/x.txt', 'again'), 'ENTRY_DUPLICATE');
    await expectCode(w.addBuffer('storage/uploads', 'a file where a folder is'), 'ENTRY_DUPLICATE');
    // A folder beside them is fine, and the writer still works.
    await expect(w.addDirectory('storage/other', src)).resolves.toEqual({ files: 1, bytes: 1 });
    await w.finish(draft());
    expect((await readManifest(file)).entries.map((e) => e.path)).toEqual([
      'db/main.dump',
      'storage/plugins/p.txt',
      'storage/uploads/sub/x.txt',
      'storage/other/sub/x.txt',
    ]);
  });

  it('moves the finished archive across filesystems (EXDEV) by copying next to the target first', async () => {
    const finalPath = path.join(tmp, 'out', 'x' + ARCHIVE_EXT);
    const w = await ArchiveWriter.create(finalPath, { tmpDir: path.join(tmp, 'work') });
    await w.addBuffer('db/main.dump', randomBytes(5000));
    const realRename = fsp.rename;
    const spy = jest.spyOn(fsp, 'rename').mockImplementation(async (from, to) => {
      if (String(from) === w.partialPath) throw Object.assign(new Error('cross-device link'), { code: 'EXDEV' });
      return realRename(from, to);
    });
    try {
      const res = await w.finish(draft());
      expect(headOf(await readManifest(finalPath))).toEqual(res.manifest);
    } finally {
      spy.mockRestore();
    }
    expect(await fsp.readdir(path.join(tmp, 'work'))).toEqual([]);
    expect(await fsp.readdir(path.join(tmp, 'out'))).toEqual(['x' + ARCHIVE_EXT]);
    expect(await mode(finalPath)).toBe(0o600);
  });

  it('refuses to overwrite an existing archive', async () => {
    const p = path.join(tmp, 'f' + ARCHIVE_EXT);
    await fsp.writeFile(p, 'x');
    await expectCode(ArchiveWriter.create(p, { tmpDir: tmp }), 'ARCHIVE_EXISTS');
  });
});
