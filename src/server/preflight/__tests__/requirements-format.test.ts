import fsp from 'fs/promises';
import path from 'path';
import type { Requirements } from '../../archive/manifest-types';
import { validateManifest } from '../../archive/manifest';
import { headerOf, sameHeader, validateHeader } from '../../archive/header';
import { readHeader, readManifest } from '../../archive/reader';
import { ArchiveWriter } from '../../archive/writer';
import { CHEAP, PASSWORD, editEncryptionJson } from '../../archive/__tests__/encrypted-helpers';
import { draft, makeTmp, manifestFor, sha256 } from '../../archive/__tests__/helpers';
import { completeRequirements } from '../record';
import { requiredPlugins } from '../gather';

const REQ: Requirements = {
  nocobaseVersion: '2.2.15',
  plugins: [{ name: 'users', packageName: '@nocobase/plugin-users', version: '2.2.15', enabled: true, inArchive: false }],
  db: { underscored: true, schema: 'app1', lowerCaseTableNames: 0, serverVersion: '16.2' },
  dumpFormat: { tool: 'pg_dump', version: '16.2', formatVersion: '1.15' },
};
const entries = [{ path: 'db/main.dump', size: 3, sha256: sha256('abc') }];

describe('requirements in the manifest', () => {
  it('older manifests without them still validate; present ones are kept', () => {
    expect(validateManifest(manifestFor(entries)).requirements).toBeUndefined();
    expect(validateManifest(manifestFor(entries, { requirements: REQ })).requirements).toEqual(REQ);
  });

  it.each([
    ['not an object', 'x'],
    ['a plugin without version', { ...REQ, plugins: [{ name: 'users', enabled: true, inArchive: false }] }],
    ['a plugin not enabled', { ...REQ, plugins: [{ ...REQ.plugins![0], enabled: false }] }],
    ['underscored as text', { ...REQ, db: { ...REQ.db, underscored: 'true' } }],
    ['lower_case_table_names 7', { ...REQ, db: { ...REQ.db, lowerCaseTableNames: 7 } }],
    ['a format version that is no version', { ...REQ, dumpFormat: { ...REQ.dumpFormat, formatVersion: 'new' } }],
  ])('refuses %s (MANIFEST_INVALID)', (_what, requirements) => {
    let code: string | undefined;
    try {
      validateManifest(manifestFor(entries, { requirements }));
    } catch (err) {
      code = (err as { code: string }).code;
    }
    expect(code).toBe('MANIFEST_INVALID');
  });

  it('the plain header carries them; older headers stay as they were', () => {
    const m = validateManifest(manifestFor(entries, { requirements: REQ }));
    expect(headerOf(m).requirements).toEqual(REQ);
    expect('requirements' in headerOf(validateManifest(manifestFor(entries)))).toBe(false);
    expect(sameHeader(validateHeader(JSON.parse(JSON.stringify(headerOf(m))), 'encryption.json'), headerOf(m))).toBe(true);
    const other = { ...headerOf(m), requirements: { ...REQ, db: { ...REQ.db, underscored: false } } };
    expect(sameHeader(other, headerOf(m))).toBe(false);
  });
});

describe('an encrypted archive', () => {
  let tmp: string;
  beforeEach(async () => {
    tmp = await makeTmp();
  });
  afterEach(async () => {
    await fsp.rm(tmp, { recursive: true, force: true });
  });

  async function encrypted(): Promise<string> {
    const file = path.join(tmp, 'enc.nbbm');
    const w = await ArchiveWriter.create(file, { tmpDir: path.join(tmp, 'w'), password: PASSWORD, cipherTuning: CHEAP });
    await w.addBuffer('db/main.dump', Buffer.from('abc'));
    await w.finish({ ...draft({ parts: ['database'] }), requirements: REQ });
    return file;
  }

  it('shows its requirements without the password, and they are authenticated with it', async () => {
    const file = await encrypted();
    const header = await readHeader(file);
    expect(header.encrypted).toBe(true);
    expect(header.requirements).toEqual(REQ);
    expect((await readManifest(file, { password: PASSWORD })).requirements).toEqual(REQ);
  });

  it('a plain header whose requirements were altered is refused once the password opens the manifest', async () => {
    const file = await encrypted();
    await editEncryptionJson(file, (json) => {
      (json.header.requirements as Requirements).plugins = [];
    });
    expect((await readHeader(file)).requirements?.plugins).toEqual([]);
    await expect(readManifest(file, { password: PASSWORD })).rejects.toMatchObject({ code: 'MANIFEST_INVALID' });
  });
});

describe('recording', () => {
  it('reads the archive version from a custom-format dump header, only for PostgreSQL', () => {
    const head = Buffer.from([...Buffer.from('PGDMP'), 1, 15, 0, 4, 8]);
    const draftReq = { nocobaseVersion: '2.2.15', underscored: false };
    const pg = completeRequirements(draftReq, { db: { dialect: 'postgres' }, serverVersion: '16.2', tool: 'pg_dump', toolVersion: '16.2', dumpHead: head });
    expect(pg).toEqual({ nocobaseVersion: '2.2.15', db: { underscored: false, serverVersion: '16.2' }, dumpFormat: { tool: 'pg_dump', version: '16.2', formatVersion: '1.15' } });
    const my = completeRequirements(draftReq, { db: { dialect: 'mariadb', tablePrefix: 'nb_' }, serverVersion: '10.11', tool: 'mariadb-dump', toolVersion: '10.19', dumpHead: head });
    expect(my.dumpFormat).toEqual({ tool: 'mariadb-dump', version: '10.19' });
    expect(my.db.tablePrefix).toBe('nb_');
  });

  it('lists enabled plugins sorted, carried when storage/plugins holds their package', () => {
    const rows = [
      { name: 'users', packageName: '@nocobase/plugin-users', version: '2.2.15' },
      { name: 'acme', packageName: '@acme/plugin-x', version: '1.0.0' },
      { name: 'legacy', packageName: null, version: null },
    ];
    expect(requiredPlugins(rows, (pkg) => pkg === '@acme/plugin-x')).toEqual([
      { name: 'acme', packageName: '@acme/plugin-x', version: '1.0.0', enabled: true, inArchive: true },
      { name: 'legacy', version: '', enabled: true, inArchive: false },
      { name: 'users', packageName: '@nocobase/plugin-users', version: '2.2.15', enabled: true, inArchive: false },
    ]);
  });
});
