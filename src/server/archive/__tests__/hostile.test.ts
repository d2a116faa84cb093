import { randomBytes } from 'crypto';
import fs from 'fs';
import fsp from 'fs/promises';
import path from 'path';
import { Writable } from 'stream';
import { pipeline } from 'stream/promises';
import { ARCHIVE_EXT, FORMAT_VERSION } from '../../../constants';
import { MANIFEST_NAME } from '../manifest';
import type { Manifest, ManifestEntry } from '../manifest-types';
import { extractVerified, openEntryStream, readManifest, verifyArchive } from '../reader';
import { ArchiveWriter } from '../writer';
import { buildZip, draft, entryOf, expectCode, flipByte, listTree, locateEntry, makeTmp, manifestFor, patchBytes, RawEntry } from './helpers';

let tmp: string;
beforeEach(async () => {
  tmp = await makeTmp();
});
afterEach(async () => {
  await fsp.rm(tmp, { recursive: true, force: true });
});

const dump = randomBytes(300_000);
const fileA = Buffer.from('content of a');
const fileB = randomBytes(5000);

/** A genuine archive made by ArchiveWriter. */
async function goodArchive(name = 'good'): Promise<{ file: string; manifest: Manifest }> {
  const file = path.join(tmp, name + ARCHIVE_EXT);
  const w = await ArchiveWriter.create(file, { tmpDir: path.join(tmp, 'work') });
  await w.addBuffer('db/main.dump', dump);
  await w.addBuffer('storage/uploads/a.txt', fileA);
  await w.addBuffer('storage/uploads/sub/b.bin', fileB);
  const { manifest } = await w.finish(draft());
  return { file, manifest };
}

/** A zip built with archiver directly: data entries, then manifest.json (a Manifest, raw text, or none). */
async function handmade(entries: RawEntry[], manifest: Manifest | string | null, name = 'hand'): Promise<string> {
  const file = path.join(tmp, name + ARCHIVE_EXT);
  const all = [...entries];
  if (manifest !== null) all.push({ name: MANIFEST_NAME, data: typeof manifest === 'string' ? manifest : JSON.stringify(manifest) });
  await buildZip(file, all);
  return file;
}

const standardEntries = (): { raw: RawEntry[]; listed: ManifestEntry[] } => ({
  raw: [
    { name: 'db/main.dump', data: dump, stream: true },
    { name: 'storage/uploads/a.txt', data: fileA },
  ],
  listed: [entryOf('db/main.dump', dump), entryOf('storage/uploads/a.txt', fileA)],
});

/** Every read path refuses the archive with `code`, and nothing is extracted. */
async function allRefuse(file: string, code: string, manifest?: Manifest): Promise<any> {
  const err = await expectCode(readManifest(file), code);
  await expectCode(verifyArchive(file), code);
  await expectCode(openEntryStream(file, 'db/main.dump'), code);
  const staging = path.join(tmp, 'staging-' + Math.random().toString(36).slice(2));
  const m = manifest ?? manifestFor(standardEntries().listed);
  await expectCode(extractVerified(file, m, staging), code);
  expect(fs.existsSync(staging)).toBe(false);
  return err;
}

describe('not an archive', () => {
  it('empty file', async () => {
    const f = path.join(tmp, 'empty' + ARCHIVE_EXT);
    await fsp.writeFile(f, '');
    const err = await allRefuse(f, 'NOT_AN_ARCHIVE');
    expect(err.status).toBe(422);
    expect(err.params.reason).toBe('empty file');
  });

  it.each([1, 21, 22, 1000, 200_000])('%i random bytes', async (n) => {
    const f = path.join(tmp, 'random' + ARCHIVE_EXT);
    await fsp.writeFile(f, randomBytes(n));
    await allRefuse(f, 'NOT_AN_ARCHIVE');
  });

  it('a text file starting like a zip', async () => {
    const f = path.join(tmp, 'pk' + ARCHIVE_EXT);
    await fsp.writeFile(f, 'PK\x03\x04 this is not really a zip file at all, just text '.repeat(20));
    await allRefuse(f, 'NOT_AN_ARCHIVE');
  });

  it('a folder, and a missing file', async () => {
    await expectCode(readManifest(tmp), 'NOT_AN_ARCHIVE');
    const err = await expectCode(readManifest(path.join(tmp, 'nope' + ARCHIVE_EXT)), 'NOT_AN_ARCHIVE');
    expect(err.status).toBe(404);
  });

  it('truncated at many offsets', async () => {
    const { file } = await goodArchive();
    const whole = await fsp.readFile(file);
    const cdOffset = whole.readUInt32LE(whole.length - 22 + 16);
    const cuts = [1, 4, 30, 1000, 150_000, cdOffset - 1, cdOffset, cdOffset + 10, whole.length - 23, whole.length - 22, whole.length - 21, whole.length - 1];
    for (const cut of cuts) {
      const f = path.join(tmp, `cut-${cut}` + ARCHIVE_EXT);
      await fsp.writeFile(f, whole.subarray(0, cut));
      await allRefuse(f, 'NOT_AN_ARCHIVE');
    }
  });

  it('central directory cut out of the middle, end record intact', async () => {
    const { file } = await goodArchive();
    const whole = await fsp.readFile(file);
    const cdOffset = whole.readUInt32LE(whole.length - 22 + 16);
    const damaged = Buffer.concat([whole.subarray(0, cdOffset + 20), whole.subarray(cdOffset + 60)]);
    const f = path.join(tmp, 'cdcut' + ARCHIVE_EXT);
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
    expect(await listTree(tmp)).toEqual([path.basename(file)]);
    expect(fs.existsSync(path.join(path.dirname(tmp), 'evil'))).toBe(false);
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

  it("absolute '/tmp/evil' (archiver namePrependSlash)", async () => {
    const { raw, listed } = standardEntries();
    const file = await handmade([...raw, { name: '/tmp/evil', data: evil, namePrependSlash: true }], manifestFor(listed));
    const err = await expectUnsafe(file);
    expect(err.params.path).toBe('/tmp/evil');
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
    const staging = path.join(tmp, 'staging');
    await expectCode(extractVerified(file, { ...m, entries: [...m.entries, entryOf('../evil', evil)] }, staging), 'ENTRY_UNSAFE');
    expect(fs.existsSync(staging)).toBe(false);
  });
});

describe('extraction stays inside stagingDir', () => {
  it('refuses a symlink planted in the staging folder, writes nothing through it, removes what it wrote', async () => {
    const { file, manifest } = await goodArchive();
    const outside = path.join(tmp, 'outside');
    const staging = path.join(tmp, 'staging');
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
    const staging = path.join(tmp, 'staging');
    const target = path.join(tmp, 'target');
    await fsp.writeFile(target, 'keep');
    await fsp.mkdir(path.join(staging, 'db'), { recursive: true });
    await fsp.symlink(target, path.join(staging, 'db', 'main.dump'));
    await expectCode(extractVerified(file, manifest, staging), 'ENTRY_UNSAFE');
    expect(await fsp.readFile(target, 'utf8')).toBe('keep');
    expect(await listTree(staging)).toEqual(['db/', 'db/main.dump']);
  });
});

describe('damaged content', () => {
  it('a flipped byte in a data entry: CHECKSUM_MISMATCH naming the entry, nothing left behind', async () => {
    const { file, manifest } = await goodArchive();
    const { data } = await locateEntry(file, 'storage/uploads/sub/b.bin');
    await flipByte(file, data + 1234);

    await expect(readManifest(file)).resolves.toEqual(manifest); // the manifest alone is fine
    const v = await expectCode(verifyArchive(file), 'CHECKSUM_MISMATCH');
    expect(v.params).toMatchObject({ path: 'storage/uploads/sub/b.bin', reason: 'sha256' });
    expect(v.message).toContain('storage/uploads/sub/b.bin');

    const staging = path.join(tmp, 'staging');
    const x = await expectCode(extractVerified(file, manifest, staging), 'CHECKSUM_MISMATCH');
    expect(x.params.path).toBe('storage/uploads/sub/b.bin');
    expect(fs.existsSync(staging)).toBe(false); // the two good entries written before are removed too

    // An existing staging folder is kept, emptied of what extraction wrote.
    await fsp.mkdir(staging);
    await fsp.writeFile(path.join(staging, 'mine'), 'x');
    await expectCode(extractVerified(file, manifest, staging), 'CHECKSUM_MISMATCH');
    expect(await listTree(staging)).toEqual(['mine']);

    const s = await openEntryStream(file, 'storage/uploads/sub/b.bin');
    await expectCode(pipeline(s, new Writable({ write: (_c, _e, cb) => cb() })), 'CHECKSUM_MISMATCH');
    const ok = await openEntryStream(file, 'db/main.dump');
    await pipeline(ok, new Writable({ write: (_c, _e, cb) => cb() }));
  });

  it('a flipped byte in the dump (first entry)', async () => {
    const { file, manifest } = await goodArchive();
    const { data } = await locateEntry(file, 'db/main.dump');
    await flipByte(file, data, 0x80);
    const err = await expectCode(extractVerified(file, manifest, path.join(tmp, 's')), 'CHECKSUM_MISMATCH');
    expect(err.params.path).toBe('db/main.dump');
  });

  it.each([
    ['first byte', 0],
    ['middle', 0.5],
    ['last byte', 1],
    ['inside a sha256', -1],
  ])('a flipped byte in manifest.json (%s): MANIFEST_INVALID', async (_what, where) => {
    const { file, manifest } = await goodArchive();
    const { data, size } = await locateEntry(file, MANIFEST_NAME);
    const text = JSON.stringify(manifest);
    const at = where === -1 ? text.indexOf(manifest.entries[1].sha256) + 10 : Math.min(size - 1, Math.floor(size * where));
    await flipByte(file, data + at);
    await expectCode(readManifest(file), 'MANIFEST_INVALID');
    await expectCode(verifyArchive(file), 'MANIFEST_INVALID');
  });
});

describe('forged sizes', () => {
  it('the manifest claims 10 TB: fails fast, without allocating', async () => {
    const { raw, listed } = standardEntries();
    const huge = 10 * 1024 ** 4;
    const forged = manifestFor([{ ...listed[0], size: huge }, listed[1]]);
    const file = await handmade(raw, forged);
    const rss = process.memoryUsage().rss;
    const t = Date.now();
    const err = await expectCode(readManifest(file), 'ENTRY_SIZE_MISMATCH');
    expect(err.params).toMatchObject({ path: 'db/main.dump', declared: huge, actual: dump.length });
    const staging = path.join(tmp, 'staging');
    await expectCode(extractVerified(file, forged, staging), 'ENTRY_SIZE_MISMATCH');
    await expectCode(verifyArchive(file), 'ENTRY_SIZE_MISMATCH');
    expect(Date.now() - t).toBeLessThan(2000);
    expect(process.memoryUsage().rss - rss).toBeLessThan(64 * 1024 * 1024);
    expect(fs.existsSync(staging)).toBe(false);
  });

  it('central directory and manifest both claim ~4 GB for a 300 kB entry', async () => {
    const { raw, listed } = standardEntries();
    const huge = 0xfffffff0;
    const file = await handmade(raw, manifestFor([{ ...listed[0], size: huge }, listed[1]]));
    const { central } = await locateEntry(file, 'db/main.dump');
    const buf = await fsp.readFile(file);
    buf.writeUInt32LE(huge, central + 20); // compressed size
    buf.writeUInt32LE(huge, central + 24); // uncompressed size
    await fsp.writeFile(file, buf);
    const t = Date.now();
    const err = await expectCode(readManifest(file), 'ENTRY_SIZE_MISMATCH');
    expect(err.params).toMatchObject({ path: 'db/main.dump', declared: huge });
    expect(Date.now() - t).toBeLessThan(2000);
  });

  it('a manifest entry larger than its zip entry is refused before extraction', async () => {
    const { file, manifest } = await goodArchive();
    const forged = { ...manifest, entries: manifest.entries.map((e) => (e.path === 'storage/uploads/a.txt' ? { ...e, size: e.size + 1 } : e)) };
    const staging = path.join(tmp, 'staging');
    await expectCode(extractVerified(file, forged, staging), 'ENTRY_SIZE_MISMATCH');
    expect(fs.existsSync(staging)).toBe(false);
  });
});

describe('manifest problems', () => {
  it('an entry the manifest does not list: ENTRY_UNLISTED', async () => {
    const { raw, listed } = standardEntries();
    const file = await handmade([...raw, { name: 'storage/uploads/extra.txt', data: 'sneaky' }], manifestFor(listed));
    const err = await allRefuse(file, 'ENTRY_UNLISTED', manifestFor(listed));
    expect(err.params.path).toBe('storage/uploads/extra.txt');
  });

  it('an entry listed but absent: ENTRY_MISSING', async () => {
    const { raw, listed } = standardEntries();
    const file = await handmade(raw, manifestFor([...listed, entryOf('storage/uploads/gone.txt', Buffer.from('x'))]));
    const err = await expectCode(readManifest(file), 'ENTRY_MISSING');
    expect(err.params.path).toBe('storage/uploads/gone.txt');
  });

  it('no manifest.json: MANIFEST_MISSING', async () => {
    const { raw } = standardEntries();
    const file = await handmade(raw, null);
    await expectCode(readManifest(file), 'MANIFEST_MISSING');
    await expectCode(verifyArchive(file), 'MANIFEST_MISSING');
  });

  it.each([
    ['not JSON', () => '{"format": '],
    ['an array', () => '[]'],
    ['no app', () => JSON.stringify({ ...manifestFor(standardEntries().listed), app: undefined })],
    ['bad sha256', () => JSON.stringify(manifestFor([{ ...standardEntries().listed[0], sha256: 'xyz' }, standardEntries().listed[1]]))],
    ['negative size', () => JSON.stringify(manifestFor([{ ...standardEntries().listed[0], size: -1 }, standardEntries().listed[1]]))],
    ['dump not listed', () => JSON.stringify({ ...manifestFor(standardEntries().listed), database: { ...draft().database, dump: 'db/other.dump' } })],
    ['lists itself', () => JSON.stringify(manifestFor([...standardEntries().listed, entryOf(MANIFEST_NAME, Buffer.from('x'))]))],
    ['sub-app dump not listed', () => JSON.stringify(manifestFor(standardEntries().listed, { apps: [{ name: 's1', dialect: 'postgres', dump: 'apps/s1/db.dump' }] }))],
    ['sub-app named main', () => JSON.stringify(manifestFor(standardEntries().listed, { apps: [{ name: 'main', dialect: 'postgres', dump: standardEntries().listed[0].path }] }))],
    ['sub-app name with a path', () => JSON.stringify(manifestFor(standardEntries().listed, { apps: [{ name: '../x', dialect: 'postgres', dump: standardEntries().listed[0].path }] }))],
    ['apps not an array', () => JSON.stringify(manifestFor(standardEntries().listed, { apps: { s1: {} } }))],
  ])('%s: MANIFEST_INVALID', async (_what, text) => {
    const file = await handmade(standardEntries().raw, text());
    await expectCode(readManifest(file), 'MANIFEST_INVALID');
  });

  it('format version from the future: FORMAT_UNKNOWN', async () => {
    const { raw, listed } = standardEntries();
    // A future version may change any other field: it is refused before they are validated.
    const file = await handmade(raw, JSON.stringify({ format: manifestFor(listed).format, formatVersion: FORMAT_VERSION + 1, entries: 'changed' }));
    const err = await expectCode(readManifest(file), 'FORMAT_UNKNOWN');
    expect(err.params).toMatchObject({ formatVersion: FORMAT_VERSION + 1, supportedVersion: FORMAT_VERSION });
    expect(err.status).toBe(422);
  });

  it('another format: FORMAT_UNKNOWN', async () => {
    const { raw, listed } = standardEntries();
    const file = await handmade(raw, manifestFor(listed, { format: 'nocobase-backup' }));
    const err = await expectCode(readManifest(file), 'FORMAT_UNKNOWN');
    expect(err.params.format).toBe('nocobase-backup');
  });

  it('the same name twice: ENTRY_DUPLICATE', async () => {
    const { raw, listed } = standardEntries();
    const file = await handmade([...raw, { name: 'storage/uploads/a.txt', data: fileA }], manifestFor(listed));
    await expectCode(readManifest(file), 'ENTRY_DUPLICATE');
  });

  it('a file that is also a folder: ENTRY_UNSAFE', async () => {
    const { raw, listed } = standardEntries();
    const file = await handmade([...raw, { name: 'storage/uploads/a.txt/x', data: 'x' }], manifestFor([...listed, entryOf('storage/uploads/a.txt/x', Buffer.from('x'))]));
    await expectCode(readManifest(file), 'ENTRY_UNSAFE');
  });

  it('encrypted or unknown compression: ENTRY_UNSUPPORTED', async () => {
    for (const [offset, value] of [
      [8, 0x01], // general purpose flags: encrypted
      [10, 12], // method: bzip2
    ]) {
      const { file } = await goodArchive('u' + offset);
      const { central } = await locateEntry(file, 'storage/uploads/a.txt');
      const buf = await fsp.readFile(file);
      buf.writeUInt16LE(buf.readUInt16LE(central + offset) | value, central + offset);
      await fsp.writeFile(file, buf);
      await expectCode(readManifest(file), 'ENTRY_UNSUPPORTED');
    }
  });
});

describe('cancellation', () => {
  it('an aborted signal stops extraction and removes what was written', async () => {
    const { file, manifest } = await goodArchive();
    const staging = path.join(tmp, 'staging');
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
