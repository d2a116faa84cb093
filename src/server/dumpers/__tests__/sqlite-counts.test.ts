// The 'counts' task behind exact SQLite row counts (backup manifest, verify), with the dev app's sqlite3 module.
import fs from 'fs';
import os from 'os';
import path from 'path';
import { sqliteExec, sqliteModulePath as modulePath } from '../../__tests__/sqlite-file';
import { countAllSqliteRows, snapshotSqlite } from '../sqlite-snapshot';

jest.setTimeout(60_000);

let tmp: string;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bm-sqlite-counts-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const exec = sqliteExec;

it('counts every table of a file, odd names included, in one child', async () => {
  const file = path.join(tmp, 'a.sqlite');
  await exec(
    file,
    `CREATE TABLE items (id INTEGER PRIMARY KEY);
     WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 321) INSERT INTO items SELECT n FROM g;
     CREATE TABLE "we""ird" (v); INSERT INTO "we""ird" VALUES (1), (2);
     CREATE TABLE "__proto__" (v); INSERT INTO "__proto__" VALUES (1);
     CREATE TABLE empty (v);
     CREATE VIEW v AS SELECT * FROM items;`,
  );
  const counts = await countAllSqliteRows(file, { modulePath });
  expect(counts).toEqual({ items: 321, 'we"ird': 2, ['__proto__']: 1, empty: 0 });
  expect(Object.keys(counts)).toHaveLength(4);
});

it('counts an excluded table as 0 in the snapshot, as the backup packs it', async () => {
  const src = path.join(tmp, 'src.sqlite');
  await exec(
    src,
    'CREATE TABLE keep (v); INSERT INTO keep VALUES (1), (2); CREATE TABLE runtime (v); INSERT INTO runtime VALUES (1);',
  );
  const snapshot = path.join(tmp, 'snap.sqlite');
  await snapshotSqlite(src, snapshot, { modulePath, emptyTables: ['runtime'] });
  expect(await countAllSqliteRows(snapshot, { modulePath })).toEqual({ keep: 2, runtime: 0 });
});

it('answers {} for a database without tables', async () => {
  const file = path.join(tmp, 'empty.sqlite');
  await exec(file, 'CREATE VIEW v1 AS SELECT 1;');
  expect(await countAllSqliteRows(file, { modulePath })).toEqual({});
});
