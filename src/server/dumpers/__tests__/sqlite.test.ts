// Runs the real sqlite3 module of the dev app (.app/node_modules) in a node child.
import fs from 'fs';
import os from 'os';
import path from 'path';
import { ToolError } from '../../process/errors';
import { captureTool } from '../../process/run';
import { sqliteDumper, sqliteSpec } from '../sqlite';
import { countSqliteRows, listSqliteTables, resolveSqlite3, snapshotSqlite, sqliteVersion } from '../sqlite-snapshot';

jest.setTimeout(60_000);

const APP = path.resolve(__dirname, '../../../../.app');
const modulePath = resolveSqlite3(path.join(APP, 'storage', 'db', 'main.sqlite'));
const opts = { modulePath };
let tmp: string;
let src: string;

/** Writes through a read-write connection (the tested helpers only read). */
const exec = (file: string, sql: string) =>
  captureTool({
    command: process.execPath,
    args: [
      '-e',
      `const s = require(process.argv[1]); const db = new s.Database(process.argv[2]);
       db.exec(process.argv[3], (e) => { if (e) { console.error(e.message); process.exitCode = 1; } db.close(); });`,
      modulePath,
      file,
      sql,
    ],
    env: {},
  });

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "bm-sqlite-it's "));
  src = path.join(tmp, 'main.sqlite');
  await exec(
    src,
    `PRAGMA journal_mode = WAL;
     CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT);
     WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 5000)
       INSERT INTO items (name) SELECT 'item ' || n FROM g;
     CREATE TABLE "we""ird name" (v TEXT);
     INSERT INTO "we""ird name" VALUES ('a'), ('b'), ('c');
     CREATE TABLE runtime_locks (k TEXT);
     INSERT INTO runtime_locks VALUES ('x'), ('y');
     CREATE VIEW item_names AS SELECT name FROM items;`,
  );
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

it('resolves the sqlite3 module from the app next to the database', () => {
  expect(modulePath).toBe(require.resolve(path.join(APP, 'node_modules', 'sqlite3')));
  expect(sqliteDumper).toEqual({ kind: 'file', dialect: 'sqlite' });
});

it('reports the library version', async () => {
  expect(await sqliteVersion(opts)).toMatch(/^3\.\d+\.\d+$/);
});

it('takes a consistent snapshot with VACUUM INTO, including WAL content, to an odd path', async () => {
  const dest = path.join(tmp, "snap 'quoted'.sqlite");
  await snapshotSqlite(src, dest, opts);
  expect(await listSqliteTables(dest, opts)).toEqual(['items', 'runtime_locks', 'we"ird name']);
  expect(await listSqliteTables(dest, opts)).toEqual(await listSqliteTables(src, opts));
  expect(await countSqliteRows(dest, 'items', opts)).toBe(5000);
  expect(await countSqliteRows(dest, 'we"ird name', opts)).toBe(3);
  // A snapshot is a single self-contained file (no -wal to carry along).
  expect(fs.existsSync(`${dest}-wal`)).toBe(false);
});

it('empties excluded tables in the snapshot only', async () => {
  const dest = path.join(tmp, 'excluded.sqlite');
  await snapshotSqlite(src, dest, { ...opts, emptyTables: ['runtime_locks', 'no_such_table'] });
  expect(await countSqliteRows(dest, 'runtime_locks', opts)).toBe(0);
  expect(await countSqliteRows(dest, 'items', opts)).toBe(5000);
  expect(await countSqliteRows(src, 'runtime_locks', opts)).toBe(2);
});

it('never overwrites an existing destination', async () => {
  const dest = path.join(tmp, 'exists.sqlite');
  fs.writeFileSync(dest, '');
  await expect(snapshotSqlite(src, dest, opts)).rejects.toThrow(/already exists/);
  expect(fs.readFileSync(dest, 'utf8')).toBe('');
});

it('fails clearly on a missing database, without creating it', async () => {
  const missing = path.join(tmp, 'missing.sqlite');
  const error = await listSqliteTables(missing, opts).catch((e: ToolError) => e);
  expect(error).toBeInstanceOf(ToolError);
  expect((error as ToolError).message).toMatch(/unable to open database file/);
  expect(fs.existsSync(missing)).toBe(false);
});

it('builds a node child spec that carries no environment', () => {
  const spec = sqliteSpec('/m/sqlite3', 'count', '/db.sqlite', 't');
  expect(spec.command).toBe(process.execPath);
  expect(spec.args.slice(2)).toEqual(['/m/sqlite3', 'count', '/db.sqlite', 't']);
  expect(spec.env).toEqual({});
});
