import { randomBytes } from 'crypto';
import fs from 'fs';
import fsp from 'fs/promises';
import path from 'path';
import { Writable } from 'stream';
import { pipeline } from 'stream/promises';
import { ARCHIVE_EXT, FORMAT_VERSION } from '../../../constants';
import { MANIFEST_ENC_NAME } from '../manifest';
import type { Manifest } from '../manifest-types';
import { extractVerified, openEntryStream, readHeader, readManifest, verifyArchive } from '../reader';
import { Contents, editEncryptionJson, encryptedArchive, PASSWORD, rezip } from './encrypted-helpers';
import {
  buildZip,
  expectCode,
  flipByte,
  listTree,
  locateEntry,
  makeTmp,
  manifestFor,
  patchBytes,
  sha256,
} from './helpers';

let tmp: string;
beforeEach(async () => {
  tmp = await makeTmp();
});
afterEach(async () => {
  await fsp.rm(tmp, { recursive: true, force: true });
});

const contents = (): Contents => ({
  'db/main.dump': randomBytes(300_000),
  'storage/uploads/a.txt': Buffer.from('content of a, same length'),
  'storage/uploads/b.txt': Buffer.from('content of b, same length'),
  'storage/uploads/sub/c.bin': randomBytes(5000),
  'storage/uploads/empty.bin': Buffer.alloc(0),
  'keys/app.key': Buffer.from('APP_KEY=secret'),
});

const good = (name = 'good', opts: { password?: string } = {}) => encryptedArchive(tmp, name, contents(), opts);
const drain = () => new Writable({ write: (_c, _e, cb) => cb() });
const pw = { password: PASSWORD };

/** Every read path refuses with `code`; extraction leaves no staging folder, and a pre-existing one untouched. */
async function allRefuse(file: string, manifest: Manifest, code: string, opts: { password?: string } = pw) {
  const err = await expectCode(readManifest(file, opts), code);
  await expectCode(verifyArchive(file, opts), code);
  await expectCode(openEntryStream(file, 'db/main.dump', opts), code);
  const staging = path.join(tmp, 'staging');
  await expectCode(extractVerified(file, manifest, staging, opts), code);
  expect(fs.existsSync(staging)).toBe(false);
  await fsp.mkdir(staging);
  await fsp.writeFile(path.join(staging, 'mine'), 'x');
  await expectCode(extractVerified(file, manifest, staging, opts), code);
  expect(await listTree(staging)).toEqual(['mine']);
  await fsp.rm(staging, { recursive: true });
  return err;
}

describe('password problems are reported before anything is extracted', () => {
  it('no password: PASSWORD_REQUIRED (400) from every read path; the header is still readable', async () => {
    const { file, manifest } = await good();
    for (const opts of [{}, { password: '' }]) {
      const err = await allRefuse(file, manifest, 'PASSWORD_REQUIRED', opts);
      expect(err.status).toBe(400);
    }
    expect((await readHeader(file)).encrypted).toBe(true);
  });

  it('a wrong password: PASSWORD_WRONG (422), and the staging folder is never touched', async () => {
    const { file, manifest } = await good();
    const err = await allRefuse(file, manifest, 'PASSWORD_WRONG', { password: 'not the password' });
    expect(err.status).toBe(422);
    // Not even created and removed again: no mkdir or open below staging happens at all.
    const staging = path.join(tmp, 'staging-spied');
    const mkdir = jest.spyOn(fsp, 'mkdir');
    const open = jest.spyOn(fsp, 'open');
    try {
      await expectCode(extractVerified(file, manifest, staging, { password: 'not the password' }), 'PASSWORD_WRONG');
      const touched = () =>
        [...mkdir.mock.calls, ...open.mock.calls].map(([p]) => String(p)).filter((p) => p.startsWith(staging));
      expect(touched()).toEqual([]);
      // Control: the spies do see the reader's calls.
      await extractVerified(file, manifest, staging, pw);
      expect(touched().length).toBeGreaterThan(manifest.entries.length);
    } finally {
      mkdir.mockRestore();
      open.mockRestore();
    }
  });

  it('a password of another archive: PASSWORD_WRONG', async () => {
    const a = await good('a');
    const b = await good('b', { password: 'other' });
    await expectCode(readManifest(a.file, { password: 'other' }), 'PASSWORD_WRONG');
    await expectCode(readManifest(b.file, pw), 'PASSWORD_WRONG');
  });
});

describe('damaged encrypted entries name the real path', () => {
  it('a flipped byte at the start, middle, or in the last tag of every entry: CHECKSUM_MISMATCH, staging left clean', async () => {
    const { file: original, manifest } = await good();
    for (const entry of manifest.entries) {
      const { data, size } = await locateEntry(original, entry.stored!);
      for (const at of [0, Math.floor(size / 2), size - 1]) {
        const file = path.join(tmp, 'flip' + ARCHIVE_EXT);
        await fsp.copyFile(original, file);
        await flipByte(file, data + at);
        await expect(readManifest(file, pw)).resolves.toEqual(manifest); // metadata alone is fine
        const err = await allRefuseData(file, manifest, entry.path);
        expect(err.params).toMatchObject({ path: entry.path, reason: 'auth' });
        expect(err.message).toContain(entry.path);
        expect(err.message).not.toContain(entry.stored);
        await fsp.rm(file);
      }
    }
  });

  async function allRefuseData(file: string, manifest: Manifest, entryPath: string) {
    const v = await expectCode(verifyArchive(file, pw), 'CHECKSUM_MISMATCH');
    expect(v.params.path).toBe(entryPath);
    const staging = path.join(tmp, 'staging');
    const x = await expectCode(extractVerified(file, manifest, staging, pw), 'CHECKSUM_MISMATCH');
    expect(x.params.path).toBe(entryPath);
    expect(fs.existsSync(staging)).toBe(false);
    const s = await openEntryStream(file, entryPath, pw);
    const o = await expectCode(pipeline(s, drain()), 'CHECKSUM_MISMATCH');
    expect(o.params.path).toBe(entryPath);
    return x;
  }

  it('two entries of equal size swapped by renaming them in the ZIP: CHECKSUM_MISMATCH on the first', async () => {
    const { file, manifest } = await good();
    const a = manifest.entries.find((e) => e.path === 'storage/uploads/a.txt')!;
    const b = manifest.entries.find((e) => e.path === 'storage/uploads/b.txt')!;
    expect(a.size).toBe(b.size);
    expect(await patchBytes(file, a.stored!, 'e/00000X')).toBe(2);
    expect(await patchBytes(file, b.stored!, a.stored!)).toBe(2);
    expect(await patchBytes(file, 'e/00000X', b.stored!)).toBe(2);
    await readManifest(file, pw);
    const err = await expectCode(verifyArchive(file, pw), 'CHECKSUM_MISMATCH');
    expect(err.params).toMatchObject({ path: 'storage/uploads/a.txt', reason: 'auth' });
  });

  it('an entry transplanted from another archive with the same password and layout: CHECKSUM_MISMATCH', async () => {
    const a = await good('a');
    const b = await good('b');
    const target = a.manifest.entries.find((e) => e.path === 'storage/uploads/sub/c.bin')!;
    const fromB = (await fsp.readFile(b.file))
      .subarray((await locateEntry(b.file, target.stored!)).data)
      .subarray(0, (await locateEntry(b.file, target.stored!)).size);
    await rezip(a.file, (entries) =>
      entries.map((e) => (e.name === target.stored ? { name: e.name, data: fromB } : e)),
    );
    const err = await expectCode(verifyArchive(a.file, pw), 'CHECKSUM_MISMATCH');
    expect(err.params.path).toBe(target.path);
  });
});

describe('damaged metadata', () => {
  it.each([0, 0.5, 1])(
    'a flipped byte in manifest.json.enc (at %p): CHECKSUM_MISMATCH naming the manifest',
    async (where) => {
      const { file } = await good();
      const { data, size } = await locateEntry(file, MANIFEST_ENC_NAME);
      await flipByte(file, data + Math.min(size - 1, Math.floor(size * where)));
      for (const read of [
        () => readManifest(file, pw),
        () => verifyArchive(file, pw),
        () => openEntryStream(file, 'db/main.dump', pw),
      ]) {
        const err = await expectCode(read(), 'CHECKSUM_MISMATCH');
        expect(err.params.path).toBe('manifest.json');
        expect(err.message).toContain('manifest.json');
      }
      expect((await readHeader(file)).encrypted).toBe(true);
    },
  );

  it('a flipped byte in encryption.json: MANIFEST_INVALID (its CRC), never PASSWORD_WRONG', async () => {
    const { file, manifest } = await good();
    const { data, size } = await locateEntry(file, 'encryption.json');
    await flipByte(file, data + Math.floor(size / 3));
    await expectCode(readHeader(file), 'MANIFEST_INVALID');
    const err = await allRefuse(file, manifest, 'MANIFEST_INVALID');
    expect(err.params.detail).toContain('encryption.json');
  });

  it('a forged header (dialect changed, CRC recomputed): readHeader shows it, but the password reveals the mismatch', async () => {
    const { file, manifest } = await good();
    await editEncryptionJson(file, (j) => (j.header.database = { dialect: 'mysql' }));
    expect((await readHeader(file)).database.dialect).toBe('mysql'); // unauthenticated until the password is given
    const err = await allRefuse(file, manifest, 'MANIFEST_INVALID');
    expect(err.message).toContain('header does not match');
  });

  it('a header from a newer format: FORMAT_UNKNOWN without the password (not PASSWORD_REQUIRED)', async () => {
    const { file } = await good();
    await editEncryptionJson(file, (j) => (j.header.formatVersion = FORMAT_VERSION + 1));
    const err = await expectCode(readHeader(file), 'FORMAT_UNKNOWN');
    expect(err.params).toMatchObject({ formatVersion: FORMAT_VERSION + 1, version: FORMAT_VERSION + 1 });
    await expectCode(readManifest(file), 'FORMAT_UNKNOWN');
  });

  it('hostile scrypt costs are refused before deriving anything: ENCRYPTION_UNSUPPORTED, fast', async () => {
    const { file } = await good();
    await editEncryptionJson(file, (j) => (j.kdf.N = 2 ** 30));
    const t = Date.now();
    const rss = process.memoryUsage.rss();
    await expectCode(readHeader(file), 'ENCRYPTION_UNSUPPORTED');
    await expectCode(readManifest(file, pw), 'ENCRYPTION_UNSUPPORTED');
    await expectCode(readManifest(file), 'ENCRYPTION_UNSUPPORTED');
    expect(Date.now() - t).toBeLessThan(1000);
    expect(process.memoryUsage.rss() - rss).toBeLessThan(64 * 1024 * 1024);
  });

  it('an unknown cipher: ENCRYPTION_UNSUPPORTED', async () => {
    const { file } = await good();
    await editEncryptionJson(file, (j) => (j.cipher = 'xchacha20-poly1305-chunked'));
    const err = await expectCode(readManifest(file, pw), 'ENCRYPTION_UNSUPPORTED');
    expect(err.params.reason).toContain('xchacha20');
  });

  it('a replaced salt (CRC recomputed) cannot be told from a wrong password: PASSWORD_WRONG', async () => {
    const { file } = await good();
    await editEncryptionJson(file, (j) => (j.kdf.salt = randomBytes(16).toString('base64')));
    await expectCode(readManifest(file, pw), 'PASSWORD_WRONG');
  });

  it('a changed chunk size: the manifest no longer authenticates (CHECKSUM_MISMATCH naming it)', async () => {
    const { file } = await good();
    await editEncryptionJson(file, (j) => (j.chunkSize = 2048));
    const err = await expectCode(readManifest(file, pw), 'CHECKSUM_MISMATCH');
    expect(err.params.path).toBe('manifest.json');
  });
});

describe('structure', () => {
  it('truncated anywhere: NOT_AN_ARCHIVE, with or without the password', async () => {
    const { file, manifest } = await good();
    const whole = await fsp.readFile(file);
    const cdOffset = whole.readUInt32LE(whole.length - 22 + 16);
    const enc = await locateEntry(file, MANIFEST_ENC_NAME);
    for (const cut of [
      1,
      100,
      150_000,
      enc.data + 5,
      cdOffset - 1,
      cdOffset + 10,
      whole.length - 22,
      whole.length - 1,
    ]) {
      const f = path.join(tmp, `cut-${cut}` + ARCHIVE_EXT);
      await fsp.writeFile(f, whole.subarray(0, cut));
      await expectCode(readHeader(f), 'NOT_AN_ARCHIVE');
      await allRefuse(f, manifest, 'NOT_AN_ARCHIVE');
      await expectCode(readManifest(f), 'NOT_AN_ARCHIVE');
    }
  });

  it('a plain manifest.json slipped into an encrypted archive is not used: ENTRY_UNLISTED', async () => {
    const { file, manifest } = await good();
    const plainManifest = {
      ...manifest,
      entries: manifest.entries.map(({ path: p, size, sha256 }) => ({ path: p, size, sha256 })),
    };
    await rezip(file, (entries) => [...entries, { name: 'manifest.json', data: JSON.stringify(plainManifest) }]);
    const err = await expectCode(readManifest(file, pw), 'ENTRY_UNLISTED');
    expect(err.params.path).toBe('manifest.json');
  });

  it('an extra opaque entry: ENTRY_UNLISTED; a missing one: ENTRY_MISSING naming the real path', async () => {
    const { file, manifest } = await good();
    const copy = path.join(tmp, 'copy' + ARCHIVE_EXT);
    await fsp.copyFile(file, copy);
    await rezip(file, (entries) => [...entries, { name: 'e/000099', data: randomBytes(100) }]);
    expect((await expectCode(readManifest(file, pw), 'ENTRY_UNLISTED')).params.path).toBe('e/000099');
    const c = manifest.entries.find((e) => e.path === 'storage/uploads/sub/c.bin')!;
    await rezip(copy, (entries) => entries.filter((e) => e.name !== c.stored));
    expect((await expectCode(readManifest(copy, pw), 'ENTRY_MISSING')).params.path).toBe(c.path);
  });

  it('no manifest.json.enc: MANIFEST_MISSING', async () => {
    const { file } = await good();
    await rezip(file, (entries) => entries.filter((e) => e.name !== MANIFEST_ENC_NAME));
    await expectCode(readManifest(file, pw), 'MANIFEST_MISSING');
  });

  it('a plain archive whose manifest carries stored names: MANIFEST_INVALID', async () => {
    const dump = randomBytes(100);
    const entry = { path: 'db/main.dump', size: dump.length, sha256: sha256(dump), stored: 'e/000001' };
    const file = path.join(tmp, 'odd' + ARCHIVE_EXT);
    await buildZip(file, [
      { name: 'db/main.dump', data: dump },
      { name: 'manifest.json', data: JSON.stringify(manifestFor([entry])) },
    ]);
    await expectCode(readManifest(file, pw), 'MANIFEST_INVALID');
  });

  it('a damaged plain archive with a password given is reported as damage, not as a password problem', async () => {
    const dump = randomBytes(1000);
    const file = path.join(tmp, 'plain' + ARCHIVE_EXT);
    await buildZip(file, [
      { name: 'db/main.dump', data: dump },
      {
        name: 'manifest.json',
        data: JSON.stringify(manifestFor([{ path: 'db/main.dump', size: dump.length, sha256: sha256(dump) }])),
      },
    ]);
    const { data } = await locateEntry(file, 'db/main.dump');
    await flipByte(file, data + 10);
    const err = await expectCode(verifyArchive(file, pw), 'CHECKSUM_MISMATCH');
    expect(err.params).toMatchObject({ path: 'db/main.dump', reason: 'sha256' });
  });
});
