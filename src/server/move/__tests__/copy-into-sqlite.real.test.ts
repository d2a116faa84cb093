// A move's bulk load out of PostgreSQL 15: a table typed as NocoBase creates it there, with the value shapes it keeps,
// is dumped with pg_dump -Fc, read back with pg_restore (no server) and written into a SQLite file typed as NocoBase
// creates it on SQLite, then read back value by value.
import { execFileSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { sqliteExec, sqliteModulePath, sqliteQuery } from '../../__tests__/sqlite-file';
import { scratchDatabases } from '../../__tests__/live-servers';
import { backupPaths } from '../../paths';
import { gatherTargetFacts } from '../../preflight/facts';
import { copyIntoSqlite } from '../copy-into-sqlite';
import { checkMoveIntoSqlite } from '../move-into-sqlite';
import { planRound } from '../copy-plan';
import { readPgSourceSchema } from '../pg-source-schema';
import { readSqliteTargetSchema } from '../target-schema';

jest.setTimeout(120_000);

const live = scratchDatabases('bm_tosqlite');
const ROWS = 1200; // more than two statements of the writer
const BIG = '9007199254740993'; // 2^53 + 1: not a double
const SPECIAL = "'quote' \\ back\ttab\nnewline\rcr é 漢字 \\N";
let tmp: string;
let dump: string;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bm-tosqlite-'));
  await live.create();
  await live.psql(
    `CREATE TABLE "Items" (id BIGSERIAL PRIMARY KEY, "Title" VARCHAR(255), done BOOLEAN, at TIMESTAMPTZ, wall TIMESTAMP, day DATE, meta JSONB,
       big BIGINT, price NUMERIC(20,4), ratio DOUBLE PRECISION, bytes BYTEA, tags VARCHAR(255)[], nums INTEGER[], legacy TEXT);
     SET TIME ZONE 'Asia/Shanghai';
     INSERT INTO "Items" SELECT i, CASE WHEN i = 8 THEN $t$${SPECIAL}$t$ ELSE 'row ' || i END, i % 2 = 0,
       timestamptz '2026-03-04 05:06:07.891234+00' + (i || ' minutes')::interval, timestamp '2026-05-02 11:30:00' + (i || ' seconds')::interval,
       date '2026-01-02', jsonb_build_object('n', i, 's', 'x"y', 'list', jsonb_build_array(1, 'two', null, true)),
       CASE WHEN i = 4 THEN ${BIG} ELSE i::bigint * 1000000007 END, (i || '1234.5678')::numeric, i / 3.0, CASE WHEN i = 7 THEN '\\x00ff07'::bytea ELSE '\\x00ff'::bytea END,
       CASE WHEN i = 9 THEN ARRAY['a,b', 'c"d', NULL] ELSE ARRAY['red', 'blue'] END, ARRAY[i, i + 1], 'gone'
       FROM generate_series(1, ${ROWS}) i;
     INSERT INTO "Items" (id) VALUES (${ROWS + 1});
     CREATE TABLE other (x INTEGER); INSERT INTO other VALUES (1);
     CREATE VIEW v_items AS SELECT id FROM "Items";
     CREATE FUNCTION bm_touch() RETURNS trigger LANGUAGE plpgsql AS $f$ BEGIN RETURN NEW; END $f$;
     CREATE TRIGGER bm_touch BEFORE INSERT ON other FOR EACH ROW EXECUTE FUNCTION bm_touch();`,
  );
  dump = path.join(tmp, 'db.dump');
  execFileSync('pg_dump', ['-Fc', '-b', '--quote-all-identifiers', '-h', '127.0.0.1', '-U', 'postgres', '-n', 'public', '-f', dump, live.name]);
});

afterAll(async () => {
  await live.drop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

it("reads a PostgreSQL dump's tables, columns, views, triggers and functions without a server", async () => {
  const schema = await readPgSourceSchema('pg_restore', dump);
  expect(schema.tables.map((t) => t.name)).toEqual(['Items', 'other']);
  const items = schema.tables[0];
  expect(items.columns).toEqual(['id', 'Title', 'done', 'at', 'wall', 'day', 'meta', 'big', 'price', 'ratio', 'bytes', 'tags', 'nums', 'legacy']);
  expect(items.types).toEqual([
    'bigint',
    'character varying(255)',
    'boolean',
    'timestamp with time zone',
    'timestamp without time zone',
    'date',
    'jsonb',
    'bigint',
    'numeric(20,4)',
    'double precision',
    'bytea',
    'character varying(255)[]',
    'integer[]',
    'text',
  ]);
  expect([schema.views, schema.triggers, schema.functions]).toEqual([['v_items'], ['bm_touch'], ['bm_touch']]);
});

it('copies every row into the SQLite tables NocoBase made, each value as NocoBase keeps it there, and the next id follows', async () => {
  const file = path.join(tmp, 'target.sqlite');
  // As Sequelize declares NocoBase's fields on SQLite; the install's own row and counter are replaced.
  await sqliteExec(
    file,
    `CREATE TABLE "Items" (id INTEGER PRIMARY KEY AUTOINCREMENT, "Title" VARCHAR(255), done TINYINT(1), at DATETIME, wall DATETIME, day DATE, meta JSON,
       big BIGINT, price DECIMAL(20,4), ratio DOUBLE PRECISION, bytes BLOB, tags JSON, nums JSON, extra TEXT DEFAULT 'kept');
     INSERT INTO "Items" (id, "Title") VALUES (5000, 'from install');
     CREATE TABLE untouched (y INTEGER); INSERT INTO untouched VALUES (7);`,
  );
  const source = await readPgSourceSchema('pg_restore', dump);
  const round = planRound(source, await readSqliteTargetSchema(file, sqliteModulePath));
  expect(round.tables.map((t) => t.source)).toEqual(['Items']);
  const seen: number[] = [];
  const rows = await copyIntoSqlite({
    pgRestore: 'pg_restore',
    dump,
    sqliteModule: sqliteModulePath,
    file,
    plan: { format: 'pg-copy', truncate: round.truncate, tables: round.tables },
    tmpDir: tmp,
    onProgress: (_t, n) => seen.push(n),
  });
  expect(rows).toEqual({ Items: ROWS + 1 });
  expect(Math.max(...seen)).toBe(ROWS + 1);
  expect(seen.length).toBeGreaterThan(2);

  const row = async (id: number) =>
    (
      await sqliteQuery<Record<string, unknown>>(
        file,
        `SELECT hex("Title") AS title, typeof("Title") AS titleType, done, typeof(done) AS doneType, at, wall, day, meta, CAST(big AS TEXT) AS big, typeof(big) AS bigType, price, ratio, hex(bytes) AS bytes, typeof(bytes) AS bytesType, tags, nums, extra FROM "Items" WHERE id = ${id}`,
      )
    )[0];
  const eight = await row(8);
  expect(Buffer.from(String(eight.title), 'hex').toString('utf8')).toBe(SPECIAL);
  expect(eight).toMatchObject({
    done: 1,
    doneType: 'integer',
    at: '2026-03-04 05:14:07.891 +00:00',
    wall: '2026-05-02 11:30:08.000 +00:00',
    day: '2026-01-02',
    price: 81234.5678,
    extra: 'kept',
    bigType: 'integer',
    bytesType: 'blob',
    tags: '["red","blue"]',
    nums: '[8,9]',
  });
  expect(JSON.parse(String(eight.meta))).toEqual({ n: 8, s: 'x"y', list: [1, 'two', null, true] });
  expect(eight.ratio).toBeCloseTo(8 / 3, 12);
  expect([(await row(4)).big, (await row(7)).bytes, (await row(7)).done, (await row(9)).tags]).toEqual([BIG, '00FF07', 0, '["a,b","c\\"d",null]']);
  // The row of NULLs stays NULL (not the string "\N").
  expect(await row(ROWS + 1)).toMatchObject({ titleType: 'null', done: null, at: null, meta: null, tags: null, bytesType: 'null' });

  // The install's row is gone, the table it did not fill is untouched, a new record gets the next id.
  await sqliteExec(file, `INSERT INTO "Items" ("Title") VALUES ('new')`);
  expect(await sqliteQuery(file, `SELECT id FROM "Items" WHERE "Title" IN ('new', 'from install') ORDER BY id`)).toEqual([{ id: ROWS + 2 }]);
  expect(await sqliteQuery(file, 'SELECT y FROM untouched')).toEqual([{ y: 7 }]);
});

it('stops with the reason when the dump cannot be read, and the writer stops too', async () => {
  const file = path.join(tmp, 'bad.sqlite');
  await sqliteExec(file, 'CREATE TABLE "Items" (id INTEGER PRIMARY KEY AUTOINCREMENT, "Title" VARCHAR(255));');
  const truncated = path.join(tmp, 'truncated.dump');
  fs.writeFileSync(truncated, fs.readFileSync(dump).subarray(0, Math.floor(fs.statSync(dump).size / 2)));
  const err = await copyIntoSqlite({
    pgRestore: 'pg_restore',
    dump: truncated,
    sqliteModule: sqliteModulePath,
    file,
    plan: { format: 'pg-copy', truncate: ['Items'], tables: [{ source: 'Items', target: 'Items', columns: [{ source: 'id', target: 'id', kind: 'integer' }] }] },
    tmpDir: tmp,
  }).catch((e: Error) => e);
  expect(err).toBeInstanceOf(Error);
  expect(String((err as Error).message)).toMatch(/pg_restore|dump|ended/);
});

describe('before a move into SQLite touches anything', () => {
  const appDir = path.resolve(__dirname, '../../../../.app');
  const target = () => ({ dialect: 'sqlite' as const, storage: path.join(tmp, 'app.sqlite') });

  it("reads the dump's schema, with each table's rows from the manifest for the progress", async () => {
    const checked = await checkMoveIntoSqlite({ source: dump, sourceRows: { Items: ROWS + 1, other: 1, gone: 5 }, target: target(), appDir });
    expect(checked.source.tables.map((t) => [t.name, t.rows])).toEqual([['Items', ROWS + 1], ['other', 1]]);
    expect(checked.pgRestore).toBe('pg_restore');
  });

  it('refuses without pg_restore, saying how to get it, and with a dump pg_restore cannot read', async () => {
    const missing = await checkMoveIntoSqlite({ source: dump, target: target(), tools: { restore: path.join(tmp, 'no-such', 'pg_restore') }, appDir }).catch((e) => e);
    expect([missing.code, missing.params.fix]).toEqual(['TOOL_MISSING', expect.stringContaining('postgresql-client')]);
    const foreign = path.join(tmp, 'foreign.dump');
    fs.writeFileSync(foreign, 'PK\u0003\u0004 not a dump');
    const unread = await checkMoveIntoSqlite({ source: foreign, target: target(), appDir }).catch((e) => e);
    expect([unread.code, unread.params.tool]).toEqual(['TOOL_FAILED', 'pg_restore']);
    expect(fs.existsSync(target().storage)).toBe(false);
  });

  it("the pre-flight of a SQLite app reads pg_restore's version for a PostgreSQL backup (the newest dump format it reads)", async () => {
    const requirements = { dumpFormat: { tool: 'pg_dump', version: '15.0' } } as unknown as Parameters<typeof gatherTargetFacts>[0]['requirements'];
    const facts = await gatherTargetFacts({ db: target(), underscored: false, appDir, paths: backupPaths(tmp, 'main'), requirements, stagingBytes: 0, safetyBackup: false });
    const version = execFileSync('pg_restore', ['--version']).toString();
    expect(facts.restoreTool).toEqual({ tool: 'pg_restore', version: expect.any(String), reads: expect.stringMatching(/^1\.\d+$/) });
    expect(version).toContain(facts.restoreTool?.version);
    const sqliteBackup = await gatherTargetFacts({ db: target(), underscored: false, appDir, paths: backupPaths(tmp, 'main'), stagingBytes: 0, safetyBackup: false });
    expect(sqliteBackup.restoreTool).toEqual({ tool: 'sqlite', version: '' });
  });
});

// Out of MariaDB 10.11 (the mysql dialect reads the same dumps): a table typed as NocoBase creates it there, dumped
// with mariadb-dump as a backup dumps (--hex-blob), read from the file and written into SQLite.
describe('a MariaDB dump into SQLite', () => {
  let mdump: string;
  beforeAll(async () => {
    await live.maria(
      `CREATE TABLE \`Items\` (id BIGINT AUTO_INCREMENT PRIMARY KEY, \`Title\` VARCHAR(255), done TINYINT(1), at DATETIME(3), ts TIMESTAMP(3) NULL, day DATE, meta JSON,
         big BIGINT, price DECIMAL(20,4), ratio DOUBLE, bytes BLOB, legacy TEXT);
       INSERT INTO \`Items\` (id) SELECT seq FROM seq_1_to_${ROWS};
       UPDATE \`Items\` SET \`Title\` = CONCAT('row ', id), done = id % 2 = 0, at = TIMESTAMPADD(MINUTE, id, '2026-03-04 05:06:07.891'), day = '2026-01-02',
         meta = JSON_OBJECT('n', id, 's', 'x"y'), big = id * 1000000007, price = CONCAT(id, '1234.5678'), ratio = id / 3, bytes = IF(id = 7, 0x00ff07, 0x00ff);
       UPDATE \`Items\` SET \`Title\` = 'quote'' \\\\ back\\ttab\\nnewline\\rcr é 漢字', big = 9007199254740993 WHERE id = 8;
       SET time_zone = '+00:00'; UPDATE \`Items\` SET ts = '2026-03-04 05:06:07.891' WHERE id = 9;
       INSERT INTO \`Items\` (id) VALUES (${ROWS + 1});
       CREATE VIEW v_items AS SELECT id FROM \`Items\`;`.replace(/\n\s*/g, ' '),
    );
    mdump = path.join(tmp, 'maria.sql');
    fs.writeFileSync(mdump, execFileSync('mariadb-dump', ['-h', '127.0.0.1', '-u', 'root', '--single-transaction', '--routines', '--triggers', '--events', '--hex-blob', '--default-character-set=utf8mb4', live.name], { maxBuffer: 1 << 28 }));
  });

  it('copies every row, DATETIMEs read in the zone NocoBase wrote them in, TIMESTAMPs in UTC, and the next id follows', async () => {
    const file = path.join(tmp, 'from-maria.sqlite');
    await sqliteExec(
      file,
      `CREATE TABLE "Items" (id INTEGER PRIMARY KEY AUTOINCREMENT, "Title" VARCHAR(255), done TINYINT(1), at DATETIME, ts DATETIME, day DATE, meta JSON,
         big BIGINT, price DECIMAL(20,4), ratio DOUBLE PRECISION, bytes BLOB, extra TEXT DEFAULT 'kept');
       INSERT INTO "Items" (id, "Title") VALUES (5000, 'from install');`,
    );
    const checked = await checkMoveIntoSqlite({ from: 'mariadb', source: mdump, target: { dialect: 'sqlite', storage: file }, appDir: path.resolve(__dirname, '../../../../.app'), timezone: '+08:00' });
    expect([checked.source.views, checked.zone, checked.pgRestore]).toEqual([['v_items'], '+08:00', undefined]);
    const round = planRound(checked.source, await readSqliteTargetSchema(file, sqliteModulePath));
    expect(round.tables.map((t) => t.source)).toEqual(['Items']);
    const rows = await copyIntoSqlite({
      dump: mdump,
      sqliteModule: sqliteModulePath,
      file,
      plan: { format: 'mysql', truncate: round.truncate, tables: round.tables, order: Object.fromEntries(checked.source.tables.map((t) => [t.name, t.columns])), zone: checked.zone },
      tmpDir: tmp,
    });
    expect(rows).toEqual({ Items: ROWS + 1 });
    const row = async (id: number) =>
      (await sqliteQuery<Record<string, unknown>>(file, `SELECT "Title" AS title, done, at, ts, day, meta, CAST(big AS TEXT) AS big, typeof(big) AS bigType, price, ratio, hex(bytes) AS bytes, typeof(bytes) AS bytesType, extra FROM "Items" WHERE id = ${id}`))[0];
    expect(await row(8)).toMatchObject({
      title: "quote' \\ back\ttab\nnewline\rcr é 漢字",
      done: 1,
      // 05:14:07.891 in +08:00 is 21:14:07.891 UTC the day before.
      at: '2026-03-03 21:14:07.891 +00:00',
      day: '2026-01-02',
      big: '9007199254740993',
      bigType: 'integer',
      price: 81234.5678,
      bytes: '00FF',
      bytesType: 'blob',
      extra: 'kept',
    });
    expect(JSON.parse(String((await row(8)).meta))).toEqual({ n: 8, s: 'x"y' });
    expect([(await row(9)).ts, (await row(7)).bytes, (await row(7)).done]).toEqual(['2026-03-04 05:06:07.891 +00:00', '00FF07', 0]);
    expect(await row(ROWS + 1)).toMatchObject({ title: null, at: null, meta: null, bytesType: 'null' });
    await sqliteExec(file, `INSERT INTO "Items" ("Title") VALUES ('new')`);
    expect(await sqliteQuery(file, `SELECT id FROM "Items" WHERE "Title" IN ('new', 'from install') ORDER BY id`)).toEqual([{ id: ROWS + 2 }]);
  });
});
