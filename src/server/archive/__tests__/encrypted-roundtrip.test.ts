import { execFileSync } from 'child_process';
import nodeCrypto, { randomBytes } from 'crypto';
import fsp from 'fs/promises';
import path from 'path';
import { Writable } from 'stream';
import { pipeline } from 'stream/promises';
import * as unzipper from 'unzipper';
import { ARCHIVE_EXT, FORMAT, FORMAT_VERSION_PLAIN } from '../../../constants';
import { DEFAULT_CHUNK_SIZE, DEFAULT_SCRYPT, encryptedSize } from '../../crypto';
import { headerOf } from '../header';
import { ENCRYPTION_NAME, MANIFEST_ENC_NAME } from '../manifest';
import { extractVerified, openEntryStream, readHeader, readManifest, verifyArchive } from '../reader';
import { ArchiveWriter } from '../writer';
import { encryptedArchive, PASSWORD, zipEntries } from './encrypted-helpers';
import { draft, expectCode, headOf, makeTmp, pgDumpLike, sha256, sha256File } from './helpers';

let tmp: string;
beforeEach(async () => {
  tmp = await makeTmp();
});
afterEach(async () => {
  await fsp.rm(tmp, { recursive: true, force: true });
});

const mode = async (p: string) => (await fsp.stat(p)).mode & 0o777;
const hasUnzip = (() => {
  try {
    execFileSync('sh', ['-c', 'command -v unzip'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** Upload names that must never show in the archive. */
const uploads: Record<string, Buffer> = {
  'Quarterly Report – CONFIDENTIAL.pdf': randomBytes(3000),
  'big-20MB-payroll.bin': randomBytes(20 * 1024 * 1024),
  'empty-placeholder.bin': Buffer.alloc(0),
  'sub/ü n i c ø d e-secret.txt': Buffer.from('unicode'),
  'sub/deeper/customers.json': Buffer.from('{"customers":["ACME"]}'),
};
const KEY_MATERIAL = 'APP_KEY=base64:very-secret-key-material';

describe('encrypted archive round trip (default scrypt cost)', () => {
  it('packs a dump, a folder (with a 20 MB file) and keys; reads everything back only with the password', async () => {
    const src = path.join(tmp, 'uploads');
    for (const [rel, data] of Object.entries(uploads)) {
      await fsp.mkdir(path.dirname(path.join(src, rel)), { recursive: true });
      await fsp.writeFile(path.join(src, rel), data);
    }
    const finalPath = path.join(tmp, 'out', 'enc' + ARCHIVE_EXT);
    const w = await ArchiveWriter.create(finalPath, { tmpDir: path.join(tmp, 'work'), password: PASSWORD });
    expect(w.encrypted).toBe(true);
    const dump = pgDumpLike(3 * 1024 * 1024 + 17);
    const dumpEntry = await w.addStream('db/main.dump', dump.stream);
    expect(dumpEntry).toEqual({ path: 'db/main.dump', size: dump.size(), sha256: dump.digest(), stored: 'e/000001' });
    const progress: number[] = [];
    await w.addDirectory('storage/uploads', src, { onProgress: (n) => progress.push(n) });
    expect(progress[progress.length - 1]).toBe(Object.values(uploads).reduce((n, b) => n + b.length, 0));
    await w.addBuffer('keys/app.key', KEY_MATERIAL);
    const res = await w.finish({ ...draft(), parts: ['database', 'uploads', 'keys'] });
    expect(res.encrypted).toBe(true);
    expect(await mode(finalPath)).toBe(0o600);

    // The manifest keeps real paths, plaintext sizes and hashes, and the opaque stored names in order.
    const m = await readManifest(finalPath, { password: PASSWORD });
    expect(res.manifest).toEqual(headOf(m));
    expect(m.entries.map((e) => e.stored)).toEqual(m.entries.map((_e, i) => `e/${String(i + 1).padStart(6, '0')}`));
    for (const [rel, data] of Object.entries(uploads)) {
      expect(m.entries.find((e) => e.path === `storage/uploads/${rel}`)).toMatchObject({
        size: data.length,
        sha256: sha256(data),
      });
    }

    // The ZIP holds only opaque names, stored, each with its encrypted size, then the encrypted manifest and encryption.json.
    const dir = await unzipper.Open.file(finalPath);
    expect(dir.files.map((f) => f.path)).toEqual([
      ...m.entries.map((e) => e.stored),
      MANIFEST_ENC_NAME,
      ENCRYPTION_NAME,
    ]);
    expect(dir.files.every((f) => f.compressionMethod === 0)).toBe(true);
    for (const e of m.entries)
      expect(dir.files.find((f) => f.path === e.stored)!.uncompressedSize).toBe(
        encryptedSize(e.size, DEFAULT_CHUNK_SIZE),
      );
    if (hasUnzip) execFileSync('unzip', ['-tq', finalPath]); // still a valid ZIP for other tools

    // encryption.json: default parameters, and the header.
    const info = JSON.parse(
      (await zipEntries(finalPath)).find((e) => e.name === ENCRYPTION_NAME)!.data.toString('utf8'),
    );
    expect(info).toMatchObject({
      cipher: 'aes-256-gcm-chunked',
      kdf: { name: 'scrypt', ...DEFAULT_SCRYPT },
      chunkSize: DEFAULT_CHUNK_SIZE,
    });
    expect(Buffer.from(info.kdf.salt, 'base64').length).toBeGreaterThanOrEqual(16);
    expect(info.header).toEqual(headerOf(m));

    // The header is readable without the password, so without key derivation (scrypt: ~250 ms and 128 MiB).
    const derive = jest.spyOn(nodeCrypto, 'scrypt');
    const header = await readHeader(finalPath);
    expect(derive).not.toHaveBeenCalled();
    derive.mockRestore();
    expect(header).toEqual({
      encrypted: true,
      format: FORMAT,
      formatVersion: FORMAT_VERSION_PLAIN,
      createdAt: m.createdAt,
      app: m.app,
      database: { dialect: 'postgres' },
      parts: m.parts,
    });

    // Without or with a wrong password nothing more can be read.
    const required = await expectCode(readManifest(finalPath), 'PASSWORD_REQUIRED');
    expect(required.status).toBe(400);
    await expectCode(readManifest(finalPath, { password: '' }), 'PASSWORD_REQUIRED');
    const wrong = await expectCode(readManifest(finalPath, { password: PASSWORD + '!' }), 'PASSWORD_WRONG');
    expect(wrong.status).toBe(422);

    const manifest = await readManifest(finalPath, { password: PASSWORD });
    expect(manifest).toEqual(m);
    await expect(verifyArchive(finalPath, { password: PASSWORD })).resolves.toEqual(m);

    const staging = path.join(tmp, 'staging');
    const ex = await extractVerified(finalPath, manifest, staging, { password: PASSWORD });
    expect(ex.bytes).toBe(m.entries.reduce((n, e) => n + e.size, 0));
    for (const e of m.entries) {
      const p = path.join(staging, ...e.path.split('/'));
      expect(ex.pathOf(e.path)).toBe(p);
      expect(await sha256File(p)).toBe(e.sha256);
      expect(await mode(p)).toBe(0o600);
    }
    expect(await fsp.readFile(path.join(staging, 'keys', 'app.key'), 'utf8')).toBe(KEY_MATERIAL);

    for (const opts of [{ password: PASSWORD }, { password: PASSWORD, manifest }]) {
      const s = await openEntryStream(finalPath, 'db/main.dump', opts);
      const chunks: Buffer[] = [];
      await pipeline(s, new Writable({ write: (c, _e, cb) => (chunks.push(c), cb()) }));
      expect(sha256(Buffer.concat(chunks))).toBe(dump.digest());
    }
  }, 60_000);

  it('names are opaque: no upload name, path or key content appears anywhere in the archive bytes', async () => {
    const contents: Record<string, Buffer> = {
      'db/main.dump': randomBytes(2000),
      'keys/app.key': Buffer.from(KEY_MATERIAL),
    };
    for (const [rel, data] of Object.entries(uploads)) if (data.length < 1e6) contents[`storage/uploads/${rel}`] = data;
    const { file, manifest } = await encryptedArchive(tmp, 'opaque', contents);
    const bytes = await fsp.readFile(file);
    // Control: the search does find what is meant to be there.
    for (const present of ['e/000001', MANIFEST_ENC_NAME, ENCRYPTION_NAME, 'postgres'])
      expect(bytes.indexOf(Buffer.from(present))).toBeGreaterThan(-1);
    const needles = new Set<string>([KEY_MATERIAL, '"sha256"', 'storage/', 'db/main.dump', 'keys/app.key']);
    for (const e of manifest.entries) {
      needles.add(e.path);
      needles.add(path.posix.basename(e.path));
      needles.add(e.sha256);
    }
    for (const n of needles) {
      for (const encoding of ['utf8', 'utf16le'] as const)
        expect({ needle: n, at: bytes.indexOf(Buffer.from(n, encoding)) }).toEqual({ needle: n, at: -1 });
    }
  });

  it('a password given for a plain archive is ignored; an empty password makes a plain archive', async () => {
    const file = path.join(tmp, 'plain' + ARCHIVE_EXT);
    const w = await ArchiveWriter.create(file, { tmpDir: tmp, password: '' });
    expect(w.encrypted).toBe(false);
    await w.addBuffer('db/main.dump', 'dump');
    const res = await w.finish(draft());
    expect(res.encrypted).toBe(false);
    const m = await readManifest(file, { password: 'anything' });
    expect(m.entries[0].stored).toBeUndefined();
    expect(headOf(m)).toEqual(res.manifest);
    expect(await readHeader(file)).toEqual({ encrypted: false, ...headerOf(m) });
    await verifyArchive(file, { password: 'anything' });
    await extractVerified(file, m, path.join(tmp, 's'), { password: 'anything' });
  });

  it('the metadata names are reserved in both modes', async () => {
    for (const password of [undefined, PASSWORD]) {
      const w = await ArchiveWriter.create(path.join(tmp, `r-${!!password}` + ARCHIVE_EXT), {
        tmpDir: tmp,
        password,
        cipherTuning: { scrypt: { N: 1024, r: 8, p: 1 } },
      });
      for (const name of ['manifest.json', 'manifest.json.enc', 'encryption.json'])
        await expectCode(w.addBuffer(name, '{}'), 'ENTRY_UNSAFE');
      await w.abort();
    }
  });
});
