// The standalone command's plugin list, read without NocoBase from a plugin table laid out as NocoBase lays it out
// (camelCase or DB_UNDERSCORED, DB_TABLE_PREFIX, a PostgreSQL schema) on the live PostgreSQL and MariaDB servers and
// in a SQLite file through the dev app's sqlite3 module. The real app's case (the list equals the app's own backup's)
// is in __tests__/integration/recovery.test.ts.
import fs from 'fs';
import os from 'os';
import path from 'path';
import type { DbConfig } from '../../dumpers/types';
import { backupPaths } from '../../paths';
import { sqliteExec } from '../../__tests__/sqlite-file';
import type { StandaloneContext } from '../standalone-context';
import { standaloneRequirements } from '../standalone-requirements';
import { scratchDatabases } from '../../__tests__/live-servers';

jest.setTimeout(120_000);

const live = scratchDatabases('bm_req');
const { name: NAME, psql, maria } = live;
let tmp: string;
let appDir: string;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bm-req-'));
  // An app folder: NocoBase's version from its package, the sqlite3 module from the dev app's node_modules.
  appDir = path.join(tmp, 'app');
  fs.mkdirSync(path.join(appDir, 'node_modules', '@nocobase', 'server'), { recursive: true });
  fs.writeFileSync(path.join(appDir, 'node_modules', '@nocobase', 'server', 'package.json'), JSON.stringify({ name: '@nocobase/server', version: '2.2.15' }));
  fs.symlinkSync(path.resolve(__dirname, '../../../../.app/node_modules/sqlite3'), path.join(appDir, 'node_modules', 'sqlite3'));
  fs.writeFileSync(path.join(appDir, 'package.json'), '{}');
  // A plugin added with `pm add` lives in storage/plugins: the archive carries it when plugins are included.
  fs.mkdirSync(path.join(tmp, 'storage', 'plugins', '@my', 'plugin-extra'), { recursive: true });
  fs.writeFileSync(path.join(tmp, 'storage', 'plugins', '@my', 'plugin-extra', 'package.json'), '{}');
  await live.create();
});

afterAll(async () => {
  await live.drop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const steps: string[] = [];
function context(db: DbConfig, env: Record<string, string> = {}): StandaloneContext {
  return {
    cwd: appDir,
    appDir,
    env,
    db,
    appName: 'main',
    paths: backupPaths(path.join(tmp, 'storage'), 'main'),
    out: { step: (m: string) => steps.push(m), progress: () => undefined, result: () => undefined } as unknown as StandaloneContext['out'],
    log: process.stderr,
  };
}

// Three enabled plugins (one from `pm add`, one whose name has a quote) and a disabled one, which is not required.
const ROWS = [
  ['users', '@nocobase/plugin-users', '2.2.15', true],
  ['extra', '@my/plugin-extra', '1.0.0', true],
  ["o'brien", null, null, true],
  ['off', '@nocobase/plugin-off', '2.2.15', false],
] as const;
const EXPECTED = [
  { name: 'extra', packageName: '@my/plugin-extra', version: '1.0.0', enabled: true, inArchive: true },
  { name: "o'brien", version: '', enabled: true, inArchive: false },
  { name: 'users', packageName: '@nocobase/plugin-users', version: '2.2.15', enabled: true, inArchive: false },
];
const values = (bool: (b: boolean) => string) =>
  ROWS.map(([n, p, v, e]) => `(${[n, p, v].map((x) => (x === null ? 'NULL' : `'${x.replace(/'/g, "''")}'`)).join(', ')}, ${bool(e)})`).join(', ');

const PG: DbConfig = { dialect: 'postgres', host: '127.0.0.1', port: 5432, user: 'postgres', password: 'postgres', database: NAME };
const MARIA: DbConfig = { dialect: 'mariadb', host: '127.0.0.1', port: 3306, user: 'root', password: '', database: NAME };

describe('the standalone backup reads the enabled plugins as NocoBase keeps them', () => {
  it('PostgreSQL, camelCase columns in a schema with a table prefix', async () => {
    await psql(`CREATE SCHEMA nb; CREATE TABLE nb."t_applicationPlugins" (id SERIAL PRIMARY KEY, name VARCHAR(255), "packageName" VARCHAR(255), version VARCHAR(255), enabled BOOLEAN);
      INSERT INTO nb."t_applicationPlugins" (name, "packageName", version, enabled) VALUES ${values((b) => String(b))}`);
    const req = await standaloneRequirements(context({ ...PG, schema: 'nb', tablePrefix: 't_' }), path.join(tmp, 'pg1'), { includePlugins: true });
    expect(req).toEqual({ nocobaseVersion: '2.2.15', plugins: EXPECTED, underscored: false });
    // Without the plugins folder in the archive, no plugin is carried.
    const without = await standaloneRequirements(context({ ...PG, schema: 'nb', tablePrefix: 't_' }), path.join(tmp, 'pg2'), { includePlugins: false });
    expect(without.plugins?.map((p) => p.inArchive)).toEqual([false, false, false]);
  });

  it('PostgreSQL under DB_UNDERSCORED (application_plugins, package_name)', async () => {
    await psql(`CREATE TABLE public.application_plugins (id SERIAL PRIMARY KEY, name VARCHAR(255), package_name VARCHAR(255), version VARCHAR(255), enabled BOOLEAN);
      INSERT INTO public.application_plugins (name, package_name, version, enabled) VALUES ${values((b) => String(b))}`);
    const req = await standaloneRequirements(context(PG, { DB_UNDERSCORED: 'true' }), path.join(tmp, 'pg3'), { includePlugins: true });
    expect(req).toEqual({ nocobaseVersion: '2.2.15', plugins: EXPECTED, underscored: true });
  });

  it('MariaDB under DB_UNDERSCORED, with lower_case_table_names', async () => {
    await maria(`CREATE TABLE application_plugins (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255), package_name VARCHAR(255), version VARCHAR(255), enabled TINYINT(1));
      INSERT INTO application_plugins (name, package_name, version, enabled) VALUES ${values((b) => (b ? '1' : '0'))}`);
    const req = await standaloneRequirements(context(MARIA, { DB_UNDERSCORED: 'true' }), path.join(tmp, 'my1'), { includePlugins: true });
    expect(req).toEqual({ nocobaseVersion: '2.2.15', plugins: EXPECTED, underscored: true, lowerCaseTableNames: expect.any(Number) });
  });

  it('SQLite with a table prefix, through the app’s sqlite3 module', async () => {
    const file = path.join(tmp, 'app.sqlite');
    await sqliteExec(file, `CREATE TABLE "nb_applicationPlugins" (id INTEGER PRIMARY KEY AUTOINCREMENT, name VARCHAR(255), packageName VARCHAR(255), version VARCHAR(255), enabled TINYINT(1));
      INSERT INTO "nb_applicationPlugins" (name, packageName, version, enabled) VALUES ${values((b) => (b ? '1' : '0'))}`);
    const req = await standaloneRequirements(context({ dialect: 'sqlite', storage: file, tablePrefix: 'nb_' }), path.join(tmp, 'sq1'), { includePlugins: true });
    expect(req).toEqual({ nocobaseVersion: '2.2.15', plugins: EXPECTED, underscored: false });
  });

  it('no plugin table (an app never installed): no list, and the command says a restore cannot check plugins', async () => {
    steps.length = 0;
    const req = await standaloneRequirements(context({ ...PG, schema: 'missing' }), path.join(tmp, 'pg4'), { includePlugins: true });
    expect(req).toEqual({ nocobaseVersion: '2.2.15', underscored: false });
    expect(steps.join('\n')).toMatch(/The plugin list could not be read .*a restore will not be able to check plugins/);
  });
});
