// Hostile archives, by structure: not a ZIP, unsafe names, extraction kept inside its folder, cancellation.
import { randomBytes } from 'crypto';
import fs from 'fs';
import fsp from 'fs/promises';
import path from 'path';
import { ARCHIVE_EXT } from '../../../constants';
import { extractVerified, readManifest, verifyArchive } from '../reader';
import { ArchiveWriter } from '../writer';
import { draft, entryOf, expectCode, flipByte, listTree, locateEntry, manifestFor, patchBytes } from './helpers';
import { allRefuse, dump, goodArchive, handmade, standardEntries, tmpDir, useTmp } from './hostile-fixtures';

useTmp();

describe('not an archive', () => {
  it('empty file', async () => {
    const f = path.join(tmpDir(), 'empty' + ARCHIVE_EXT);
    await fsp.writeFile(f, '');
    const err = await allRefuse(f, 'NOT_AN_ARCHIVE');
    expect(err.status).toBe(422);
    expect(err.params.reason).toBe('empty file');
  });

  it.each([1, 21, 22, 1000, 200_000])('%i random bytes', async (n) => {
    const f = path.join(tmpDir(), 'random' + ARCHIVE_EXT);
    await fsp.writeFile(f, randomBytes(n));
    await allRefuse(f, 'NOT_AN_ARCHIVE');
  });

  it('a text file starting like a zip', async () => {
    const f = path.join(tmpDir(), 'pk' + ARCHIVE_EXT);
    await fsp.writeFile(f, 'PK\x03\x04 this is not really a zip file at all, just text '.repeat(20));
    await allRefuse(f, 'NOT_AN_ARCHIVE');
  });

  it('a folder, and a missing file', async () => {
    await expectCode(readManifest(tmpDir()), 'NOT_AN_ARCHIVE');
    const err = await expectCode(readManifest(path.join(tmpDir(), 'nope' + ARCHIVE_EXT)), 'NOT_AN_ARCHIVE');
    expect(err.status).toBe(404);
  });

  it('truncated at many offsets', async () => {
    const { file } = await goodArchive();
    const whole = await fsp.readFile(file);
    const cdOffset = whole.readUInt32LE(whole.length - 22 + 16);
    const cuts = [1, 4, 30, 1000, 150_000, cdOffset - 1, cdOffset, cdOffset + 10, whole.length - 23, whole.length - 22, whole.length - 21, whole.length - 1];
    for (const cut of cuts) {
      const f = path.join(tmpDir(), `cut-${cut}` + ARCHIVE_EXT);
      await fsp.writeFile(f, whole.subarray(0, cut));
      await allRefuse(f, 'NOT_AN_ARCHIVE');
    }
  });

  it('central directory cut out of the middle, end record intact', async () => {
    const { file } = await goodArchive();
    const whole = await fsp.readFile(file);
    const cdOffset = whole.readUInt32LE(whole.length - 22 + 16);
    const damaged = Buffer.concat([whole.subarray(0, cdOffset + 20), whole.subarray(cdOffset + 60)]);
    const f = path.join(tmpDir(), 'cdcut' + ARCHIVE_EXT);
    await fsp.writeFile(f, damaged);
    await allRefuse(f, 'NOT_AN_ARCHIVE');
  });

  it('central directory record count forged to 65534', async () => {
    const { file } = await goodArchive();
    const whole = await fsp.readFile(file);
    whole.writeUInt16LE(65534, whole.length - 22 + 8);
    whole.writeUInt16LE(65534, whole.length - 22 + 10);
    await fsp.writeFile(file, whole);
    await allRefuse(file, 'NOT_AN_ARCHIVE');
  });

  it('central directory record with a broken signature', async () => {
    const { file } = await goodArchive();
    const { central } = await locateEntry(file, 'storage/uploads/a.txt');
    await flipByte(file, central);
    await allRefuse(file, 'NOT_AN_ARCHIVE');
  });
});

describe('unsafe entry names', () => {
  const evil = Buffer.from('evil payload');

  async function expectUnsafe(file: string, listedName?: string) {
    // The manifest handed to extractVerified lists the hostile name: still nothing may be written.
    const m = manifestFor([...standardEntries().listed, ...(listedName ? [entryOf(listedName, evil)] : [])]);
    const err = await allRefuse(file, 'ENTRY_UNSAFE', m);
    expect(await listTree(tmpDir())).toEqual([path.basename(file)]);
    expect(fs.existsSync(path.join(path.dirname(tmpDir()), 'evil'))).toBe(false);
    return err;
  }

  it("'../evil' (archiver entry renamed in place)", async () => {
    const { raw, listed } = standardEntries();
    const file = await handmade([...raw, { name: 'zz/evil', data: evil }], manifestFor(listed));
    expect(await patchBytes(file, 'zz/evil', '../evil')).toBe(2); // local header and central directory
    const err = await expectUnsafe(file, '../evil');
    expect(err.params.path).toBe('../evil');
  });

  it("'a/../../evil' written by archiver as is", async () => {
    const { raw, listed } = standardEntries();
    const file = await handmade([...raw, { name: 'a/../../evil', data: evil }], manifestFor([...listed, entryOf('a/../../evil', evil)]));
    await expectUnsafe(file, 'a/../../evil');
  });

  it("absolute '/tmpDir()/evil' (archiver namePrependSlash)", async () => {
    const { raw, listed } = standardEntries();
    const file = await handmade([...raw, { name: '/tmpDir()/evil', data: evil, namePrependSlash: true }], manifestFor(listed));
    const err = await expectUnsafe(file);
    expect(err.params.path).toBe('/tmpDir()/evil');
  });

  it.each([
    ['backslashes', 'xx/evil', '..\\evil'],
    ['a drive letter', 'Cx/evil', 'C:/evil'],
    ['NUL', 'evil.txt', 'evi\0.txt'],
    ['a folder entry', 'storage/x', 'storage/'.padEnd(9, '/')],
    ['an empty segment', 'a/bb/c', 'a//b/c'],
  ])('%s', async (_what, placeholder, hostile) => {
    const { raw, listed } = standardEntries();
    const file = await handmade([...raw, { name: placeholder, data: evil }], manifestFor(listed));
    expect(await patchBytes(file, placeholder, hostile)).toBe(2);
    await expectUnsafe(file);
  });

  it('the manifest lists an unsafe path (zip itself clean)', async () => {
    const { raw, listed } = standardEntries();
    const m = manifestFor(listed);
    const file = await handmade(raw, JSON.stringify({ ...m, entries: [...m.entries, entryOf('../evil', evil)] }));
    await expectCode(readManifest(file), 'ENTRY_UNSAFE');
    const staging = path.join(tmpDir(), 'staging');
    await expectCode(extractVerified(file, { ...m, entries: [...m.entries, entryOf('../evil', evil)] }, staging), 'ENTRY_UNSAFE');
    expect(fs.existsSync(staging)).toBe(false);
  });
});

describe('extraction stays inside stagingDir', () => {
  it('a file damaged late: what the extraction made is gone, from a folder that was empty or new, and nothing else', async () => {
    // 300 small files (made on the file-maker thread) before the damaged one, the last of the walk.
    const uploads = path.join(tmpDir(), 'uploads');
    await fsp.mkdir(uploads);
    for (let i = 0; i < 300; i++) await fsp.writeFile(path.join(uploads, `f${String(i).padStart(3, '0')}.bin`), randomBytes(300));
    await fsp.writeFile(path.join(uploads, 'zz-last.bin'), Buffer.alloc(500, 7));
    const file = path.join(tmpDir(), `late${ARCHIVE_EXT}`);
    const w = await ArchiveWriter.create(file, { tmpDir: path.join(tmpDir(), 'w') });
    await w.addBuffer('db/main.dump', dump);
    await w.addDirectory('storage/uploads', uploads);
    await w.finish(draft());
    const manifest = await readManifest(file);
    expect(manifest.entries.at(-1)!.path).toBe('storage/uploads/zz-last.bin');
    const at = await locateEntry(file, 'storage/uploads/zz-last.bin');
    await flipByte(file, at.data + 100);

    const made = path.join(tmpDir(), 'new-staging');
    await expectCode(extractVerified(file, manifest, made), 'CHECKSUM_MISMATCH');
    expect(fs.existsSync(made)).toBe(false);

    const empty = path.join(tmpDir(), 'empty-staging');
    await fsp.mkdir(empty, { mode: 0o700 });
    await expectCode(extractVerified(file, manifest, empty), 'CHECKSUM_MISMATCH');
    expect(await fsp.readdir(empty)).toEqual([]);

    const held = path.join(tmpDir(), 'held-staging');
    await fsp.mkdir(path.join(held, 'storage'), { recursive: true });
    await fsp.writeFile(path.join(held, 'storage', 'mine'), 'x');
    await expectCode(extractVerified(file, manifest, held), 'CHECKSUM_MISMATCH');
    expect(await listTree(held)).toEqual(['storage/', 'storage/mine']);
  });

  it('refuses a symlink planted in the staging folder, writes nothing through it, removes what it wrote', async () => {
    const { file, manifest } = await goodArchive();
    const outside = path.join(tmpDir(), 'outside');
    const staging = path.join(tmpDir(), 'staging');
    await fsp.mkdir(outside);
    await fsp.mkdir(staging);
    await fsp.symlink(outside, path.join(staging, 'storage'));
    const err = await expectCode(extractVerified(file, manifest, staging), 'ENTRY_UNSAFE');
    expect(err.params.path).toBe('storage/uploads/a.txt');
    expect(await fsp.readdir(outside)).toEqual([]);
    // db/main.dump had been written before: it is gone again; the pre-existing symlink is untouched.
    expect(await fsp.readdir(staging)).toEqual(['storage']);
    expect((await fsp.lstat(path.join(staging, 'storage'))).isSymbolicLink()).toBe(true);
  });

  it('never overwrites or follows an existing file', async () => {
    const { file, manifest } = await goodArchive();
    const staging = path.join(tmpDir(), 'staging');
    const target = path.join(tmpDir(), 'target');
    await fsp.writeFile(target, 'keep');
    await fsp.mkdir(path.join(staging, 'db'), { recursive: true });
    await fsp.symlink(target, path.join(staging, 'db', 'main.dump'));
    await expectCode(extractVerified(file, manifest, staging), 'ENTRY_UNSAFE');
    expect(await fsp.readFile(target, 'utf8')).toBe('keep');
    expect(await listTree(staging)).toEqual(['db/', 'db/main.dump']);
  });
});


describe('many small files, created on a worker thread', () => {
  it('a planted symlink among 3,000 files: ENTRY_UNSAFE, nothing written through it, every file made before removed', async () => {
    const file = path.join(tmpDir(), 'many' + ARCHIVE_EXT);
    const w = await ArchiveWriter.create(file, { tmpDir: path.join(tmpDir(), 'work') });
    await w.addBuffer('db/main.dump', dump);
    // Several batches of the file maker (4 MiB each) before and after the planted name.
    for (let i = 0; i < 3000; i++) await w.addBuffer(`storage/uploads/f${String(i).padStart(4, '0')}.bin`, randomBytes(3000));
    await w.finish(draft());
    const manifest = await readManifest(file);
    const staging = path.join(tmpDir(), 'staging');
    const target = path.join(tmpDir(), 'target');
    await fsp.writeFile(target, 'keep');
    await fsp.mkdir(path.join(staging, 'storage', 'uploads'), { recursive: true });
    await fsp.symlink(target, path.join(staging, 'storage', 'uploads', 'f2500.bin'));
    const err = await expectCode(extractVerified(file, manifest, staging), 'ENTRY_UNSAFE');
    expect(err.params.path).toBe('storage/uploads/f2500.bin');
    expect(await fsp.readFile(target, 'utf8')).toBe('keep');
    expect(await listTree(staging)).toEqual(['storage/', 'storage/uploads/', 'storage/uploads/f2500.bin']);
  });
});

describe('cancellation', () => {
  it('an aborted signal stops extraction and removes what was written', async () => {
    const { file, manifest } = await goodArchive();
    const staging = path.join(tmpDir(), 'staging');
    const ac = new AbortController();
    const p = extractVerified(file, manifest, staging, {
      signal: ac.signal,
      onProgress: (done) => {
        if (done > 1000) ac.abort();
      },
    });
    const err = await expectCode(p, 'ABORTED');
    expect(err.status).toBe(499);
    expect(fs.existsSync(staging)).toBe(false);
    await expectCode(verifyArchive(file, { signal: AbortSignal.abort() }), 'ABORTED');
  });
});
