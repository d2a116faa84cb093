import fsp from 'fs/promises';
import path from 'path';
import { ARCHIVE_EXT } from '../../../constants';
import { draft, makeTmp } from '../../archive/__tests__/helpers';
import { CHEAP } from '../../archive/__tests__/encrypted-helpers';
import { signingKey } from '../../archive/provenance';
import { ArchiveWriter } from '../../archive/writer';
import { inspectArchiveHeader } from '../restore';

// A restore request reads the archive once: header (judged first), password, manifest and provenance together.

const APP_KEY = 'inspect-test-app-key';
const target = { dialect: 'postgres' as const, appVersion: '2.2.15' };
let tmp: string;
beforeAll(async () => {
  tmp = await makeTmp();
});
afterAll(async () => {
  await fsp.rm(tmp, { recursive: true, force: true });
});

async function archive(name: string, opts: { key?: string; password?: string } = {}): Promise<string> {
  const file = path.join(tmp, name + ARCHIVE_EXT);
  const w = await ArchiveWriter.create(file, { tmpDir: tmp, signingKey: signingKey(opts.key), password: opts.password, cipherTuning: CHEAP });
  await w.addBuffer('db/main.dump', 'dump');
  await w.finish(draft({ app: { name: 'main', version: '2.2.0' } }));
  return file;
}

describe('inspectArchiveHeader', () => {
  it('answers the provenance with the manifest: this app, another key, unsigned, no key here', async () => {
    const signed = await archive('signed', { key: APP_KEY });
    const read = await inspectArchiveHeader(signed, target, undefined, APP_KEY);
    expect(read.header.encrypted).toBe(false);
    expect(read.manifest.entries.map((e) => e.path)).toEqual(['db/main.dump']);
    expect(read.provenance).toEqual({ provenance: 'this-app', reason: 'signed' });
    expect((await inspectArchiveHeader(signed, target, undefined, 'another-key')).provenance).toEqual({ provenance: 'elsewhere', reason: 'other-key' });
    expect((await inspectArchiveHeader(signed, target, undefined, undefined)).provenance).toEqual({ provenance: 'elsewhere', reason: 'no-app-key' });
    const unsigned = await archive('unsigned');
    expect((await inspectArchiveHeader(unsigned, target, undefined, APP_KEY)).provenance).toEqual({ provenance: 'elsewhere', reason: 'unsigned' });
  });

  it('an encrypted archive: the password opens the manifest, the provenance is read without it', async () => {
    const file = await archive('sealed', { key: APP_KEY, password: 'pw' });
    const read = await inspectArchiveHeader(file, target, 'pw', APP_KEY);
    expect(read.header.encrypted).toBe(true);
    expect(read.provenance).toEqual({ provenance: 'this-app', reason: 'signed' });
    await expect(inspectArchiveHeader(file, target, 'wrong', APP_KEY)).rejects.toMatchObject({ code: 'PASSWORD_WRONG' });
  });

  it('judges the header first: another dialect or a newer version is refused as before', async () => {
    const file = await archive('header', { key: APP_KEY });
    await expect(inspectArchiveHeader(file, { ...target, dialect: 'mariadb' }, undefined, APP_KEY)).rejects.toMatchObject({ code: 'DIALECT_MISMATCH' });
    await expect(inspectArchiveHeader(file, { ...target, appVersion: '2.1.0' }, undefined, APP_KEY)).rejects.toMatchObject({ code: 'VERSION_NEWER' });
  });
});
