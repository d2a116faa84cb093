import type { Requirements } from '../../archive/manifest-types';
import enUS from '../../../locale/en-US.json';
import zhCN from '../../../locale/zh-CN.json';
import { blockingCodes, preflightReport, type ArchiveFacts } from '../checks';
import { compareDotted, pgArchiveVersion, pgRestoreReads } from '../dump-format';
import type { TargetFacts } from '../types';

const GiB = 1024 ** 3;

const req = (over: Partial<Requirements> = {}, db: Partial<Requirements['db']> = {}): Requirements => ({
  nocobaseVersion: '2.2.15',
  plugins: [
    { name: 'users', packageName: '@nocobase/plugin-users', version: '2.2.15', enabled: true, inArchive: false },
    { name: '@nbkit/plugin-backups-manager', packageName: '@nbkit/plugin-backups-manager', version: '0.3.0', enabled: true, inArchive: true },
  ],
  db: { underscored: false, serverVersion: '15.4', ...db },
  dumpFormat: { tool: 'pg_dump', version: '15.4', formatVersion: '1.14' },
  ...over,
});

const target = (over: Partial<TargetFacts> = {}, db: Partial<TargetFacts['db']> = {}): TargetFacts => ({
  dialect: 'postgres',
  nocobaseVersion: '2.2.15',
  plugins: { '@nocobase/plugin-users': { version: '2.2.15' }, '@nbkit/plugin-backups-manager': { version: '0.3.0' } },
  db: { underscored: false, ...db },
  restoreTool: { tool: 'pg_restore', version: '15.4', reads: '1.14' },
  disk: { free: 10 * GiB, needed: GiB, where: '/srv' },
  privileges: { ok: true, missing: '' },
  ...over,
});

const archive = (requirements: Requirements | undefined = req(), over: Partial<ArchiveFacts> = {}): ArchiveFacts => ({
  dialect: 'postgres',
  appVersion: '2.2.15',
  requirements,
  ...over,
});

const levels = (r: ReturnType<typeof preflightReport>) => Object.fromEntries(r.checks.map((c) => [c.id, `${c.level} ${c.code}`]));

describe('preflightReport', () => {
  it('an equal target: every check ok, no upgrade', () => {
    const r = preflightReport(archive(), target());
    expect(r).toMatchObject({ blocking: 0, warnings: 0, upgrade: false });
    expect(r.checks.every((c) => c.level === 'ok' && c.code.startsWith('PREFLIGHT_OK_'))).toBe(true);
    expect(r.checks.map((c) => c.id)).toEqual(['dialect', 'nocobase', 'plugins', 'underscored', 'schema', 'prefix', 'dumpFormat', 'disk', 'privileges']);
  });

  it('a plugin the target lacks blocks, named; carried in storage/plugins it only warns', () => {
    const missing = req();
    missing.plugins!.push({ name: 'ghost', packageName: '@pf/plugin-ghost', version: '1.0.0', enabled: true, inArchive: false });
    const r = preflightReport(archive(missing), target());
    expect(r.blocking).toBe(1);
    expect(r.checks.find((c) => c.id === 'plugin:ghost')).toEqual({
      id: 'plugin:ghost',
      level: 'blocking',
      code: 'PREFLIGHT_PLUGIN_MISSING',
      params: { plugin: '@pf/plugin-ghost', version: '1.0.0' },
      message: 'The plugin @pf/plugin-ghost (1.0.0) is enabled in the backup but not installed here.',
    });
    expect(blockingCodes(r)).toBe('PREFLIGHT_PLUGIN_MISSING');
    missing.plugins![2].inArchive = true;
    const carried = preflightReport(archive(missing), target());
    expect(carried).toMatchObject({ blocking: 0, warnings: 1, upgrade: true });
    expect(levels(carried)['plugin:ghost']).toBe('warning PREFLIGHT_PLUGIN_IN_ARCHIVE');
  });

  it('a plugin version that differs warns and needs the upgrade', () => {
    const r = preflightReport(archive(), target({ plugins: { '@nocobase/plugin-users': { version: '2.2.16' }, '@nbkit/plugin-backups-manager': { version: '0.3.0' } } }));
    expect(r).toMatchObject({ blocking: 0, warnings: 1, upgrade: true });
    expect(r.checks.find((c) => c.id === 'plugin:users')?.params).toEqual({ plugin: '@nocobase/plugin-users', backup: '2.2.15', current: '2.2.16' });
    expect(levels(r).plugins).toBe('ok PREFLIGHT_OK_PLUGINS');
    // A plugin row without a version (NocoBase leaves some empty) has nothing to differ by.
    const unversioned = req();
    unversioned.plugins![0].version = '';
    expect(preflightReport(archive(unversioned), target())).toMatchObject({ warnings: 0, upgrade: false });
  });

  it('NocoBase older in the backup warns (upgrade runs); newer blocks', () => {
    const older = preflightReport(archive(req({ nocobaseVersion: '2.2.14' })), target());
    expect(older).toMatchObject({ blocking: 0, warnings: 1, upgrade: true });
    expect(levels(older).nocobase).toBe('warning PREFLIGHT_NOCOBASE_OLDER');
    const newer = preflightReport(archive(req({ nocobaseVersion: '2.3.0' })), target());
    expect(levels(newer).nocobase).toBe('blocking PREFLIGHT_NOCOBASE_NEWER');
    expect(newer.blocking).toBe(1);
  });

  it('DB_UNDERSCORED, schema and prefix that differ block', () => {
    const r = preflightReport(archive(req({}, { underscored: true, schema: 'app1', tablePrefix: 'nb_' })), target());
    expect(levels(r)).toMatchObject({
      underscored: 'blocking PREFLIGHT_UNDERSCORED_MISMATCH',
      schema: 'blocking PREFLIGHT_SCHEMA_MISMATCH',
      prefix: 'blocking PREFLIGHT_PREFIX_MISMATCH',
    });
    expect(r.checks.find((c) => c.id === 'schema')?.params).toEqual({ backup: 'app1', current: 'public' });
    expect(r.checks.find((c) => c.id === 'prefix')?.message).toBe("The backup's tables have the prefix nb_; this application uses - (DB_TABLE_PREFIX).");
    expect(r.blocking).toBe(3);
    // 'public' and no DB_SCHEMA are the same schema.
    expect(levels(preflightReport(archive(req({}, { schema: 'public' })), target())).schema).toBe('ok PREFLIGHT_OK_SCHEMA');
  });

  it('lower_case_table_names: camelCase names into a folding server block; lower-case names only warn', () => {
    const my = (underscored: boolean, backup: number, current: number) =>
      levels(
        preflightReport(
          archive(req({ dumpFormat: { tool: 'mariadb-dump', version: '10.11.6' } }, { underscored, lowerCaseTableNames: backup }), { dialect: 'mariadb' }),
          target({ dialect: 'mariadb', restoreTool: { tool: 'mariadb', version: '10.11.6' } }, { underscored, lowerCaseTableNames: current }),
        ),
      ).lowerCaseTableNames;
    expect(my(false, 0, 0)).toBe('ok PREFLIGHT_OK_LOWER_CASE_TABLE_NAMES');
    expect(my(false, 0, 1)).toBe('blocking PREFLIGHT_LOWER_CASE_TABLE_NAMES');
    expect(my(true, 0, 1)).toBe('warning PREFLIGHT_LOWER_CASE_TABLE_NAMES_DIFFER');
    expect(my(false, 1, 0)).toBe('warning PREFLIGHT_LOWER_CASE_TABLE_NAMES_DIFFER');
  });

  it('a dump format newer than the local pg_restore reads blocks; without a recorded format the pg_dump major decides', () => {
    const r = preflightReport(archive(req({ dumpFormat: { tool: 'pg_dump', version: '17.2', formatVersion: '1.16' } })), target());
    expect(levels(r).dumpFormat).toBe('blocking PREFLIGHT_DUMP_FORMAT_NEWER');
    expect(r.checks.find((c) => c.id === 'dumpFormat')?.message).toBe(
      'The dump was written by pg_dump 17.2 in archive format 1.16; pg_restore 15.4 here reads formats up to 1.14.',
    );
    const unrecorded = preflightReport(archive(req({ dumpFormat: { tool: 'pg_dump', version: '16.1' } })), target());
    expect(levels(unrecorded).dumpFormat).toBe('blocking PREFLIGHT_DUMP_FORMAT_NEWER');
    const older = preflightReport(archive(req({ dumpFormat: { tool: 'pg_dump', version: '13.1', formatVersion: '1.14' } })), target());
    expect(levels(older).dumpFormat).toBe('ok PREFLIGHT_OK_DUMP_FORMAT');
    expect(levels(preflightReport(archive(), target({ restoreTool: undefined }))).dumpFormat).toBe('blocking PREFLIGHT_RESTORE_TOOL_MISSING');
  });

  it('free disk below staging + safety backup + margin blocks; privileges missing block, unknown warn', () => {
    const r = preflightReport(archive(), target({ disk: { free: GiB, needed: GiB, where: '/srv' }, privileges: { ok: false, missing: 'CREATE on database nb' } }));
    expect(levels(r)).toMatchObject({ disk: 'blocking PREFLIGHT_DISK_SPACE', privileges: 'blocking PREFLIGHT_PRIVILEGES' });
    expect(r.checks.find((c) => c.id === 'disk')?.params).toEqual({ needed: '1.1 GiB', free: '1 GiB', where: '/srv' });
    expect(levels(preflightReport(archive(), target({ privileges: null }))).privileges).toBe('warning PREFLIGHT_PRIVILEGES_UNKNOWN');
  });

  it('an archive without requirements: one warning for what cannot be checked, upgrade as before', () => {
    const r = preflightReport({ dialect: 'postgres', appVersion: '2.2.15' }, target());
    expect(r).toMatchObject({ blocking: 0, warnings: 1, upgrade: true });
    expect(r.checks.filter((c) => c.level === 'warning').map((c) => c.code)).toEqual(['PREFLIGHT_NO_REQUIREMENTS']);
  });

  it('another dialect blocks', () => {
    const r = preflightReport(archive(req(), { dialect: 'mysql' }), target());
    expect(levels(r).dialect).toBe('blocking PREFLIGHT_DIALECT_MISMATCH');
  });

  it('a move (--into-dialect) from SQLite is accepted, with the same NocoBase and plugin versions only', () => {
    const sqlite = (over: Partial<ArchiveFacts> = {}) => archive(req({ dumpFormat: { tool: 'sqlite', version: '3.45' } }), { dialect: 'sqlite', move: true, ...over });
    const ok = preflightReport(sqlite(), target());
    expect([levels(ok).dialect, levels(ok).nocobase, ok.blocking, ok.upgrade]).toEqual(['ok PREFLIGHT_OK_MOVE_DIALECT', 'ok PREFLIGHT_OK_NOCOBASE', 0, false]);
    // Without the flag, the same backup is refused, and the fix names the flag.
    const refused = preflightReport(sqlite({ move: false }), target());
    expect(levels(refused).dialect).toBe('blocking PREFLIGHT_DIALECT_MISMATCH');
    expect((enUS as Record<string, string>).PREFLIGHT_DIALECT_MISMATCH_FIX).toMatch(/--into-dialect/);
    // NocoBase creates the target's tables from the moved metadata: an older or newer NocoBase, or plugin, blocks.
    expect(levels(preflightReport(sqlite(), target({ nocobaseVersion: '2.2.16' }))).nocobase).toBe('blocking PREFLIGHT_MOVE_NOCOBASE');
    expect(levels(preflightReport(sqlite(), target({ nocobaseVersion: undefined }))).nocobase).toBe('blocking PREFLIGHT_MOVE_NOCOBASE');
    const plugin = preflightReport(sqlite(), target({ plugins: { '@nocobase/plugin-users': { version: '2.2.14' }, '@nbkit/plugin-backups-manager': { version: '0.3.0' } } }));
    expect(levels(plugin)['plugin:users']).toBe('blocking PREFLIGHT_MOVE_PLUGIN_VERSION');
    // SQLite moves into a server database, PostgreSQL into SQLite; nothing else.
    expect(levels(preflightReport(archive(req(), { move: true }), target({ dialect: 'mysql' }))).dialect).toBe('blocking PREFLIGHT_MOVE_UNSUPPORTED');
    expect(levels(preflightReport(archive(req(), { move: true }), target({ dialect: 'sqlite' }))).dialect).toBe('ok PREFLIGHT_OK_MOVE_DIALECT');
    expect(levels(preflightReport(archive(req(), { move: true }), target())).dialect).toBe('ok PREFLIGHT_OK_DIALECT');
  });

  it('a move found by the web restore (not asked for) is a warning to confirm; the rest is judged as for the command line', () => {
    const sqlite = archive(req({ dumpFormat: { tool: 'sqlite', version: '3.45' } }), { dialect: 'sqlite', move: true, confirmMove: true });
    const r = preflightReport(sqlite, target());
    expect([levels(r).dialect, r.warnings, r.blocking, r.upgrade]).toEqual(['warning PREFLIGHT_MOVE_DIALECT', 1, 0, false]);
    expect(r.checks.find((c) => c.id === 'dialect')?.message).toMatch(/moves the data into postgres/);
    expect(levels(preflightReport(sqlite, target({ nocobaseVersion: '2.2.16' }))).nocobase).toBe('blocking PREFLIGHT_MOVE_NOCOBASE');
    // The same backup into a SQLite app is a plain restore: nothing to confirm.
    expect(levels(preflightReport(sqlite, target({ dialect: 'sqlite' }))).dialect).toBe('ok PREFLIGHT_OK_DIALECT');
  });

  it('every code it can emit has en-US and zh-CN texts, and a _FIX for warnings and blocking ones', () => {
    const src = require('fs').readFileSync(require.resolve('../checks.ts'), 'utf8') as string;
    const codes = [...new Set([...src.matchAll(/'(PREFLIGHT_[A-Z_]+)'/g)].map((m) => m[1]))];
    expect(codes.length).toBeGreaterThan(25);
    const en = enUS as Record<string, string>;
    const zh = zhCN as Record<string, string>;
    for (const code of codes) {
      expect([code, !!en[code], !!zh[code]]).toEqual([code, true, true]);
      if (!code.startsWith('PREFLIGHT_OK_')) expect([code, !!en[`${code}_FIX`], !!zh[`${code}_FIX`]]).toEqual([code, true, true]);
      const placeholders = (t: string) => [...t.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]).sort();
      expect(placeholders(zh[code])).toEqual(placeholders(en[code]));
    }
  });
});

describe('dump format', () => {
  it('reads the custom-format header', () => {
    expect(pgArchiveVersion(Buffer.from([...Buffer.from('PGDMP'), 1, 14, 0, 4, 8, 1]))).toBe('1.14');
    expect(pgArchiveVersion(Buffer.from('-- MariaDB dump 10.19'))).toBeUndefined();
  });
  it('knows what each pg_restore major reads', () => {
    expect([11, 12, 15, 16, 17, 18].map(pgRestoreReads)).toEqual(['1.13', '1.14', '1.14', '1.15', '1.16', '1.16']);
    expect(compareDotted('1.16', '1.14')).toBe(1);
    expect(compareDotted('1.14', '1.14.0')).toBe(0);
  });
});

describe('SQLite', () => {
  it('has no dump format or schema line: the backup is the database file itself', () => {
    const r = preflightReport(
      { dialect: 'sqlite', appVersion: '2.2.15', requirements: { nocobaseVersion: '2.2.15', plugins: [], db: { underscored: false, serverVersion: '3.40.1' }, dumpFormat: { tool: 'sqlite VACUUM INTO', version: '3.40.1' } } },
      { dialect: 'sqlite', nocobaseVersion: '2.2.15', plugins: {}, db: { underscored: false }, restoreTool: { tool: 'sqlite', version: '' } },
    );
    expect(r.checks.map((c) => c.id)).toEqual(['dialect', 'nocobase', 'underscored', 'prefix']);
    expect(r).toMatchObject({ blocking: 0, warnings: 0, upgrade: false });
  });
});
