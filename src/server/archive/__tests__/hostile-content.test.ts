// Hostile archives, by content: damaged bytes, forged sizes, manifest problems.
import fs from 'fs';
import fsp from 'fs/promises';
import path from 'path';
import { Writable } from 'stream';
import { pipeline } from 'stream/promises';
import { FORMAT_VERSION } from '../../../constants';
import { MANIFEST_NAME } from '../manifest';
import { extractVerified, openEntryStream, readManifest, verifyArchive } from '../reader';
import { draft, entryOf, expectCode, flipByte, listTree, locateEntry, manifestFor } from './helpers';
import { allRefuse, dump, fileA, goodArchive, handmade, standardEntries, tmpDir, useTmp } from './hostile-fixtures';

useTmp();

describe('damaged content', () => {
  it('a flipped byte in a data entry: CHECKSUM_MISMATCH naming the entry, nothing left behind', async () => {
    const { file, manifest } = await goodArchive();
    const { data } = await locateEntry(file, 'storage/uploads/sub/b.bin');
    await flipByte(file, data + 1234);

    await expect(readManifest(file)).resolves.toEqual(manifest); // the manifest alone is fine
    const v = await expectCode(verifyArchive(file), 'CHECKSUM_MISMATCH');
    expect(v.params).toMatchObject({ path: 'storage/uploads/sub/b.bin', reason: 'sha256' });
    expect(v.message).toContain('storage/uploads/sub/b.bin');

    const staging = path.join(tmpDir(), 'staging');
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
    const err = await expectCode(extractVerified(file, manifest, path.join(tmpDir(), 's')), 'CHECKSUM_MISMATCH');
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
    const staging = path.join(tmpDir(), 'staging');
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
    const staging = path.join(tmpDir(), 'staging');
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
