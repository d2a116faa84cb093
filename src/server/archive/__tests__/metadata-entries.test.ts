import fsp from 'fs/promises';
import path from 'path';
import { ARCHIVE_EXT } from '../../../constants';
import { ENCRYPTION_NAME, MANIFEST_ENC_NAME, MANIFEST_NAME } from '../manifest';
import { readProvenance, SIGNATURE_NAME, signingKey } from '../provenance';
import { readManifest, verifyArchive } from '../reader';
import { ArchiveWriter } from '../writer';
import { CHEAP, PASSWORD, zipEntries } from './encrypted-helpers';
import { draft, headOf, makeTmp } from './helpers';

const APP_KEY = 'metadata-test-key-' + 'z'.repeat(40);

let tmp: string;
beforeAll(async () => {
  tmp = await makeTmp();
});
afterAll(async () => {
  await fsp.rm(tmp, { recursive: true, force: true });
});

// The manifest's entries are streamed from a scratch file (1 MiB buffer, read back in 256 KiB pieces): thousands of
// long names (three levels of 200-character names: fewer files, as the cost is per file) make a manifest of several
// MB, so every boundary is crossed.
const FILES = 3500;
async function write(name: string, password?: string) {
  const src = path.join(tmp, 'src');
  const dir = path.join('ü', 'd'.repeat(200), 'e'.repeat(200));
  await fsp.mkdir(path.join(src, dir), { recursive: true });
  for (let i = 0; i < FILES; i++) await fsp.writeFile(path.join(src, dir, `file-${'n'.repeat(200)}-${i}.txt`), String(i));
  const file = path.join(tmp, name + ARCHIVE_EXT);
  const w = await ArchiveWriter.create(file, { tmpDir: path.join(tmp, 'work'), password, cipherTuning: password ? CHEAP : undefined, signingKey: signingKey(APP_KEY) });
  await w.addBuffer('db/main.dump', 'dump');
  await w.addDirectory('storage/uploads', src);
  const res = await w.finish(draft());
  await fsp.rm(src, { recursive: true });
  return { file, res };
}

describe('the closing metadata, streamed', () => {
  it('plain: manifest.json is exactly JSON.stringify of the manifest (entries last), signed, and the writer answers its head', async () => {
    const { file, res } = await write('plain');
    const m = await readManifest(file);
    expect(m.entries).toHaveLength(FILES + 1);
    expect(res.manifest).toEqual(headOf(m));
    const entries = await zipEntries(file);
    expect(entries.map((e) => e.name).slice(-2)).toEqual([MANIFEST_NAME, SIGNATURE_NAME]);
    const bytes = entries.find((e) => e.name === MANIFEST_NAME)!.data;
    expect(bytes.length).toBeGreaterThan(2 * 1024 * 1024);
    expect(bytes.equals(Buffer.from(JSON.stringify(m), 'utf8'))).toBe(true);
    expect(await readProvenance(file, APP_KEY)).toMatchObject({ provenance: 'this-app', reason: 'signed' });
    expect(await readProvenance(file, 'another-key-' + 'q'.repeat(40))).toMatchObject({ provenance: 'elsewhere' });
    await verifyArchive(file);
  }, 60_000);

  it('encrypted: the sealed manifest opens to the same manifest, and the signature covers encryption.json and it as stored', async () => {
    const { file, res } = await write('sealed', PASSWORD);
    const m = await readManifest(file, { password: PASSWORD });
    expect(m.entries).toHaveLength(FILES + 1);
    expect(res.manifest).toEqual(headOf(m));
    expect((await zipEntries(file)).map((e) => e.name).slice(-3)).toEqual([MANIFEST_ENC_NAME, ENCRYPTION_NAME, SIGNATURE_NAME]);
    expect(await readProvenance(file, APP_KEY)).toMatchObject({ provenance: 'this-app', reason: 'signed' });
    await verifyArchive(file, { password: PASSWORD });
  }, 60_000);
});
