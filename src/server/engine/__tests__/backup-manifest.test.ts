import { FORMAT, FORMAT_VERSION_DUMP_DIR, FORMAT_VERSION_PLAIN } from '../../../constants';
import { validateManifest } from '../../archive/manifest';
import { buildManifest, type BackupFacts } from '../backup-manifest';

const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
/** Every dump the manifest names, as empty entries: validateManifest wants them listed. */
const listed = (...paths: string[]) => paths.map((p) => ({ path: p, size: 0, sha256: EMPTY_SHA256 }));

const base: BackupFacts = {
  createdAt: '2026-01-02T03:04:05.000Z',
  app: { name: 'main', version: '2.2.15' },
  plugin: { name: '@x/backups', version: '1.0.0' },
  origin: 'manual',
  db: { dialect: 'sqlite', storage: '/data/main.sqlite' },
  serverVersion: '3.44.2',
  dump: 'db/main.sqlite',
  excludedTableData: ['sessions'],
  tables: { users: 3 },
  parts: ['database', 'keys'],
  apps: [],
  dataSources: [],
  skippedDataSources: [],
};

describe('buildManifest', () => {
  it('describes a SQLite backup with the library version it was given, and no empty lists', () => {
    const m = buildManifest({ ...base, requirements: { nocobaseVersion: '2.2.15', underscored: false } });
    expect(m).toEqual({
      format: FORMAT,
      formatVersion: FORMAT_VERSION_PLAIN,
      createdAt: base.createdAt,
      app: base.app,
      plugin: base.plugin,
      database: {
        dialect: 'sqlite',
        serverVersion: '3.44.2',
        tool: 'sqlite VACUUM INTO',
        toolVersion: '',
        flavour: 'sqlite',
        schema: undefined,
        tablePrefix: undefined,
        dump: 'db/main.sqlite',
        excludedTableData: ['sessions'],
        tables: { users: 3 },
      },
      parts: ['database', 'keys'],
      origin: 'manual',
      requirements: {
        nocobaseVersion: '2.2.15',
        db: { underscored: false, serverVersion: '3.44.2' },
        dumpFormat: { tool: 'sqlite VACUUM INTO', version: '3.44.2' },
      },
    });
    expect(() => validateManifest({ ...m, entries: listed('db/main.sqlite') })).not.toThrow();
  });

  it('names the dump tool by its file name and carries sub-apps, sources and skipped sources', () => {
    const m = buildManifest({
      ...base,
      db: { dialect: 'postgres', database: 'nb', schema: 'public', tablePrefix: 'nb_' },
      serverVersion: '16.2',
      tool: { command: '/usr/lib/postgresql/16/bin/pg_dump', version: '16.3', flavour: 'postgres' },
      dump: 'db/main.dump',
      tables: undefined,
      apps: [{ name: 'a1', dialect: 'postgres', database: 'a1', dump: 'apps/a1/db.dump' }],
      dataSources: [{ key: 'crm', type: 'postgres', dialect: 'postgres', database: 'crm', dump: 'sources/crm/db.dump' }],
      skippedDataSources: [{ key: 'erp', type: 'mssql', reason: 'DATASOURCE_NO_TOOL' }],
    });
    expect(m.database).toMatchObject({
      serverVersion: '16.2',
      tool: 'pg_dump',
      toolVersion: '16.3',
      flavour: 'postgres',
      schema: 'public',
      tablePrefix: 'nb_',
      tables: undefined,
    });
    expect(m.apps?.map((a) => a.dump)).toEqual(['apps/a1/db.dump']);
    expect(m.dataSources?.map((d) => d.key)).toEqual(['crm']);
    expect(m.skippedDataSources?.map((d) => d.key)).toEqual(['erp']);
    expect(m.requirements).toBeUndefined();
    const entries = listed('db/main.dump', 'apps/a1/db.dump', 'sources/crm/db.dump');
    expect(() => validateManifest({ ...m, entries })).not.toThrow();
  });

  it('records a directory-format dump as a folder of entries, format version 2; custom stays version 1', () => {
    const pgFacts = { ...base, db: { dialect: 'postgres' as const, database: 'nb' }, tool: { command: 'pg_dump', version: '15.2', flavour: 'postgres' } };
    const dir = buildManifest({ ...pgFacts, dump: 'db/main.dir', dumpFormat: { format: 'directory', jobs: 2 } });
    expect(dir.formatVersion).toBe(FORMAT_VERSION_DUMP_DIR);
    expect(dir.database).toMatchObject({ dump: 'db/main.dir', dumpFormat: 'directory', dumpJobs: 2 });
    expect(() => validateManifest({ ...dir, entries: listed('db/main.dir/toc.dat', 'db/main.dir/3001.dat.gz') })).not.toThrow();
    // The folder's table of contents must be listed.
    expect(() => validateManifest({ ...dir, entries: listed('db/main.dir/3001.dat.gz') })).toThrow(/db\/main\.dir\/toc\.dat/);
    const custom = buildManifest({ ...pgFacts, dump: 'db/main.dump', dumpFormat: { format: 'custom', jobs: 1 } });
    expect(custom.formatVersion).toBe(FORMAT_VERSION_PLAIN);
    expect(custom.database).toMatchObject({ dumpFormat: 'custom', dumpJobs: 1 });
    expect(() => validateManifest({ ...custom, entries: listed('db/main.dump') })).not.toThrow();
    // Other dialects and older archives carry neither field.
    expect('dumpFormat' in buildManifest(base).database).toBe(false);
    expect(() => validateManifest({ ...dir, database: { ...dir.database, dumpFormat: 'tar' }, entries: listed('db/main.dir/toc.dat') } as never)).toThrow(/dumpFormat/);
    expect(() => validateManifest({ ...dir, database: { ...dir.database, dumpJobs: 0 }, entries: listed('db/main.dir/toc.dat') } as never)).toThrow(/dumpJobs/);
  });

  it('carries the admin\'s note, and none when empty; a note that is not text is refused', () => {
    const m = buildManifest({ ...base, note: 'before the v2.3 upgrade' });
    expect(m.note).toBe('before the v2.3 upgrade');
    expect(() => validateManifest({ ...m, entries: listed('db/main.sqlite') })).not.toThrow();
    expect('note' in buildManifest({ ...base, note: '' })).toBe(false);
    expect(() => validateManifest({ ...m, note: 7, entries: listed('db/main.sqlite') } as never)).toThrow(/note/);
  });
});
