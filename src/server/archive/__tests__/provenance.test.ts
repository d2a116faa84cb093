import { randomBytes } from 'crypto';
import fsp from 'fs/promises';
import path from 'path';
import { ARCHIVE_EXT } from '../../../constants';
import { CHEAP } from './encrypted-helpers';
import { MANIFEST_NAME } from '../manifest';
import {
  readProvenance,
  requireProvenance,
  SIGNATURE_NAME,
  signatureBytes,
  signatureValid,
  signingKey,
} from '../provenance';
import { extractVerified, readManifest, verifyArchive } from '../reader';
import { ArchiveWriter } from '../writer';
import { readMetadataEntry } from '../entry-data';
import { openArchive } from '../zip-directory';
import { buildZip, draft, expectCode, makeTmp } from './helpers';

const APP_KEY = 'this-apps-key-' + 'x'.repeat(40);
const OTHER_KEY = 'another-apps-key-' + 'y'.repeat(40);

let tmp: string;
beforeEach(async () => {
  tmp = await makeTmp();
});
afterEach(async () => {
  await fsp.rm(tmp, { recursive: true, force: true });
});

async function archive(name: string, opts: { appKey?: string; password?: string } = {}): Promise<string> {
  const file = path.join(tmp, name + ARCHIVE_EXT);
  const w = await ArchiveWriter.create(file, {
    tmpDir: path.join(tmp, 'work'),
    password: opts.password,
    cipherTuning: opts.password ? CHEAP : undefined,
    signingKey: signingKey(opts.appKey),
  });
  await w.addBuffer('db/main.dump', randomBytes(20_000));
  await w.addBuffer('storage/uploads/a.txt', Buffer.from('a'));
  await w.finish(draft());
  return file;
}

/** Every entry's raw bytes, in archive order. */
async function rawEntries(file: string): Promise<{ name: string; data: Buffer }[]> {
  const z = await openArchive(file);
  try {
    const out: { name: string; data: Buffer }[] = [];
    for (const e of [...z.entries.values()].sort((a, b) => a.offset - b.offset)) {
      out.push({ name: e.path, data: await readMetadataEntry(z, e, 1 << 30, true) });
    }
    return out;
  } finally {
    await z.close();
  }
}

describe('signing key', () => {
  it('is derived from APP_KEY with a purpose label: stable, 32 bytes, not the APP_KEY itself, none without it', () => {
    const k = signingKey(APP_KEY)!;
    expect(k).toHaveLength(32);
    expect(signingKey(APP_KEY)!.equals(k)).toBe(true);
    expect(signingKey(OTHER_KEY)!.equals(k)).toBe(false);
    expect(k.toString('utf8')).not.toContain(APP_KEY.slice(0, 8));
    expect(signingKey(undefined)).toBeNull();
    expect(signingKey('')).toBeNull();
  });

  it('signatureValid: true for the signed bytes only; false for other bytes, names, keys or garbage', async () => {
    const key = signingKey(APP_KEY)!;
    const parts = [{ name: MANIFEST_NAME, bytes: Buffer.from('{"a":1}') }];
    const sig = signatureBytes(key, parts);
    expect(await signatureValid(key, parts, sig)).toBe(true);
    expect(await signatureValid(key, [{ name: MANIFEST_NAME, bytes: Buffer.from('{"a":2}') }], sig)).toBe(false);
    expect(await signatureValid(key, [{ name: 'other', bytes: parts[0].bytes }], sig)).toBe(false);
    expect(await signatureValid(signingKey(OTHER_KEY)!, parts, sig)).toBe(false);
    expect(await signatureValid(key, parts, Buffer.from('not json'))).toBe(false);
    expect(await signatureValid(key, parts, Buffer.from('{"alg":"HMAC-SHA256","mac":"00"}'))).toBe(false);
    expect(sig.toString()).not.toContain(APP_KEY);
    // Several megabytes (fed a megabyte at a time in slices): a change in the last one is seen.
    const big = [{ name: MANIFEST_NAME, bytes: randomBytes(3 * 1024 * 1024 + 5) }];
    const bigSig = signatureBytes(key, big);
    expect(await signatureValid(key, big, bigSig)).toBe(true);
    big[0].bytes[big[0].bytes.length - 1] ^= 1;
    expect(await signatureValid(key, big, bigSig)).toBe(false);
  });
});

describe('archives', () => {
  it('plain: made by this application under its APP_KEY, elsewhere under another, still readable', async () => {
    const file = await archive('plain', { appKey: APP_KEY });
    expect(await readProvenance(file, APP_KEY)).toEqual({ provenance: 'this-app', reason: 'signed' });
    expect(await readProvenance(file, OTHER_KEY)).toEqual({ provenance: 'elsewhere', reason: 'other-key' });
    expect(await readProvenance(file, undefined)).toEqual({ provenance: 'elsewhere', reason: 'no-app-key' });
    // The signature is metadata: readers accept it beside the manifest.
    const manifest = await readManifest(file);
    await verifyArchive(file);
    await extractVerified(file, manifest, path.join(tmp, 'staging'));
    expect((await rawEntries(file)).map((e) => e.name).slice(-2)).toEqual([MANIFEST_NAME, SIGNATURE_NAME]);
  });

  it('encrypted: signed too, judged without the password', async () => {
    const file = await archive('enc', { appKey: APP_KEY, password: 'pw' });
    expect(await readProvenance(file, APP_KEY)).toEqual({ provenance: 'this-app', reason: 'signed' });
    expect(await readProvenance(file, OTHER_KEY)).toEqual({ provenance: 'elsewhere', reason: 'other-key' });
    await readManifest(file, { password: 'pw' });
    await verifyArchive(file, { password: 'pw' });
  });

  it('unsigned (another tool, or made before signatures): elsewhere', async () => {
    const file = await archive('unsigned');
    expect(await readProvenance(file, APP_KEY)).toEqual({ provenance: 'elsewhere', reason: 'unsigned' });
  });

  it('a manifest altered after signing (signature kept): elsewhere', async () => {
    const file = await archive('orig', { appKey: APP_KEY });
    const entries = await rawEntries(file);
    const m = entries.find((e) => e.name === MANIFEST_NAME)!;
    const manifest = JSON.parse(m.data.toString('utf8'));
    manifest.database.tables = { users: 999 };
    m.data = Buffer.from(JSON.stringify(manifest));
    const tampered = path.join(tmp, 'tampered' + ARCHIVE_EXT);
    await buildZip(tampered, entries);
    await readManifest(tampered); // still a well-formed archive
    expect(await readProvenance(tampered, APP_KEY)).toEqual({ provenance: 'elsewhere', reason: 'other-key' });
  });

  it('an entry cannot be named manifest.sig', async () => {
    const w = await ArchiveWriter.create(path.join(tmp, 'r' + ARCHIVE_EXT), { tmpDir: path.join(tmp, 'work') });
    await expectCode(w.addBuffer(SIGNATURE_NAME, Buffer.from('x')), 'ENTRY_UNSAFE');
    await w.abort();
  });

  it('requireProvenance: FOREIGN_ARCHIVE_NEEDS_ACK (422) without the acknowledgement, passes with it', async () => {
    const foreign = await archive('foreign', { appKey: OTHER_KEY });
    const err = await expectCode(requireProvenance(foreign, APP_KEY, undefined), 'FOREIGN_ARCHIVE_NEEDS_ACK');
    expect(err.status).toBe(422);
    await expectCode(requireProvenance(foreign, APP_KEY, 'true'), 'FOREIGN_ARCHIVE_NEEDS_ACK');
    expect(await requireProvenance(foreign, APP_KEY, true)).toBe('elsewhere');
    expect(await requireProvenance(await archive('own', { appKey: APP_KEY }), APP_KEY, undefined)).toBe('this-app');
  });
});
