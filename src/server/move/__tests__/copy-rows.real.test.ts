// A move's bulk load against the real servers: a SQLite file with the value shapes NocoBase keeps there is copied
// into tables typed as NocoBase creates them on PostgreSQL 15 and MariaDB 10.11, and read back value by value.
import fs from 'fs';
import os from 'os';
import path from 'path';
import { getDumper } from '../../dumpers';
import type { DbConfig, ToolDumper } from '../../dumpers/types';
import { checkTools } from '../../engine/tool-check';
import { sqliteExec, sqliteModulePath } from '../../__tests__/sqlite-file';
import { sqliteSchema } from '../../dumpers/sqlite-snapshot';
import { copyRows } from '../copy-rows';
import { planRound } from '../copy-plan';
import { readTargetSchema } from '../target-schema';
import { scratchDatabases } from '../../__tests__/live-servers';

jest.setTimeout(120_000);

const live = scratchDatabases('bm_move');
const { name: NAME, psql, maria } = live;
let tmp: string;
let source: string;

const ROWS = 2500; // more than one batch of the reader
const BIG = '9007199254740993'; // 2^53 + 1: not a double
const SPECIAL = "'quote' \\ back\ttab\nnewline é 漢字";

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bm-move-'));
  source = path.join(tmp, 'source.sqlite');
  // As NocoBase's SQLite dialect keeps values: booleans 0/1, times as text with an offset, JSON as text.
  // Generated in SQL (a script with 2,500 literal rows would not fit in one argument).
  await sqliteExec(
    source,
    `CREATE TABLE items (id INTEGER PRIMARY KEY AUTOINCREMENT, title VARCHAR(255), done TINYINT(1), at DATETIME, day DATE, meta JSON, big BIGINT, price DECIMAL(20,2), pick VARCHAR(255), bytes BLOB, tags JSON, legacy TEXT);
     WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${ROWS - 1})
     INSERT INTO items SELECT i + 1, CASE WHEN i = 7 THEN '${SPECIAL.replace(/'/g, "''")}' ELSE 'row ' || (i + 1) END, i % 2,
       '2026-03-0' || (i % 9 + 1) || ' 05:06:07.' || printf('%03d', i % 1000) || ' +00:00', '2026-01-02',
       '{"n":' || i || ',"s":"x\\"y"}', CASE WHEN i = 3 THEN ${BIG} ELSE (i + 1) * 1000 END, i || '.25',
       CASE WHEN i = 5 THEN NULL ELSE CAST(i % 3 AS TEXT) END, CASE WHEN i = 7 THEN X'00ff07' ELSE X'00ff' END,
       '["a","b' || i || '"]', 'gone' FROM n;
     CREATE TABLE "handMade" (x INTEGER);
     CREATE VIEW v_items AS SELECT id FROM items;`,
  );
  await live.create();
});

afterAll(async () => {
  await live.drop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const cases: { dialect: 'postgres' | 'mariadb'; db: DbConfig; create: string; read: (sql: string) => Promise<string> }[] = [
  {
    dialect: 'postgres',
    db: { dialect: 'postgres', host: '127.0.0.1', port: 5432, user: 'postgres', password: 'postgres', database: NAME, schema: 'public' },
    create: `CREATE TABLE items (id BIGSERIAL PRIMARY KEY, title VARCHAR(255), done BOOLEAN, at TIMESTAMPTZ, day DATE, meta JSONB, big BIGINT, price DECIMAL(20,2), pick VARCHAR(255), bytes BYTEA, tags VARCHAR(255)[], extra TEXT DEFAULT 'kept');
             INSERT INTO items (title) VALUES ('from install')`,
    read: (sql) => psql(sql),
  },
  {
    dialect: 'mariadb',
    db: { dialect: 'mariadb', host: '127.0.0.1', port: 3306, user: 'root', password: '', database: NAME },
    create: `CREATE TABLE items (id BIGINT AUTO_INCREMENT PRIMARY KEY, title VARCHAR(255), done TINYINT(1), at DATETIME(3), day DATE, meta JSON, big BIGINT, price DECIMAL(20,2), pick VARCHAR(255), bytes BLOB, tags JSON, extra VARCHAR(20) DEFAULT 'kept');
             INSERT INTO items (title) VALUES ('from install')`,
    read: (sql) => maria(sql),
  },
];

describe.each(cases)('SQLite into $dialect', ({ dialect, db, create, read }) => {
  let dumper: ToolDumper;
  beforeAll(async () => {
    dumper = getDumper(db.dialect) as ToolDumper;
    if (dialect === 'postgres') await psql(create);
    else await maria(create.replace(/\n\s*/g, ' '));
  });

  it('copies every row, converting each value to the column NocoBase made, and sets the next id', async () => {
    const dir = path.join(tmp, dialect);
    fs.mkdirSync(dir, { mode: 0o700 });
    const { tool } = await checkTools(dumper, db, dir);
    const src = await sqliteSchema(source, { modulePath: sqliteModulePath });
    expect(src.views).toEqual(['v_items']);
    const target = await readTargetSchema(db, tool, dir);
    const round = planRound(src, target);
    expect(round.tables.map((t) => t.source)).toEqual(['items']);
    expect(round.tables[0].columns.map((c) => c.source)).not.toContain('legacy');
    const seen: number[] = [];
    const rows = await copyRows({
      sqliteModule: sqliteModulePath,
      file: source,
      plan: { family: dialect === 'postgres' ? 'postgres' : 'mysql', schema: 'public', offsetMinutes: 0, truncate: round.truncate, tables: round.tables, sequences: round.sequences, batchRows: 1000 },
      db,
      tool,
      tmpDir: dir,
      onProgress: (_t, n) => seen.push(n),
    });
    expect(rows).toEqual({ items: ROWS });
    expect(seen).toEqual(expect.arrayContaining([1000, 2000, ROWS]));

    const pg = dialect === 'postgres';
    expect((await read('SELECT count(*) FROM items')).trim()).toBe(String(ROWS));
    const row = async (id: number) =>
      (
        await read(
          pg
            ? `SELECT encode(convert_to(title, 'UTF8'), 'hex'), done::int, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS'), day, meta->>'s', big, price, coalesce(pick, 'null'), encode(bytes, 'hex'), array_to_string(tags, ','), extra FROM items WHERE id = ${id}`
            : `SELECT HEX(title), done, DATE_FORMAT(at, '%Y-%m-%d %H:%i:%s.%f'), day, JSON_VALUE(meta, '$.s'), big, price, COALESCE(pick, 'null'), HEX(bytes), CONCAT(JSON_VALUE(tags, '$[0]'), ',', JSON_VALUE(tags, '$[1]')), extra FROM items WHERE id = ${id}`,
        )
      ).replace(/\n$/, '').split(pg ? '|' : '\t');
    const [title, done, at, day, s, big, price, pick, bytes, , extra] = await row(8);
    expect(title.toLowerCase()).toBe(Buffer.from(SPECIAL).toString('hex'));
    expect([done, day, s, price, pick, extra]).toEqual(['1', '2026-01-02', 'x"y', '7.25', '1', 'kept']);
    expect(at.slice(0, 23)).toBe('2026-03-08 05:06:07.007');
    expect(bytes.toLowerCase()).toBe('00ff07');
    expect(big).toBe('8000');
    expect((await row(4))[5]).toBe(BIG);
    expect((await row(6))[7]).toBe('null');
    expect((await row(ROWS))[9]).toBe(`a,b${ROWS - 1}`);

    // The next record gets the next id (the install's row and its id are gone).
    await read(pg ? `INSERT INTO items (title) VALUES ('new')` : `INSERT INTO items (title) VALUES ('new')`);
    expect((await read(`SELECT max(id) FROM items WHERE title = 'new'`)).trim()).toBe(String(ROWS + 1));
    expect((await read(`SELECT count(*) FROM items WHERE title = 'from install'`)).trim()).toBe('0');
  });

  it('stops at the first value the target refuses, with the database\'s own message, and the reader stops too', async () => {
    const dir = path.join(tmp, `${dialect}-bad`);
    fs.mkdirSync(dir, { mode: 0o700 });
    const { tool } = await checkTools(dumper, db, dir);
    const before = (await read('SELECT count(*) FROM items')).trim();
    const err = await copyRows({
      sqliteModule: sqliteModulePath,
      file: source,
      // A text column read into an integer column: refused by both servers.
      plan: {
        family: dialect === 'postgres' ? 'postgres' : 'mysql',
        schema: 'public',
        offsetMinutes: 0,
        truncate: [],
        tables: [{ source: 'items', target: 'items', columns: [{ source: 'title', target: 'big', kind: 'integer' }] }],
        sequences: [],
        batchRows: 500,
      },
      db,
      tool,
      tmpDir: dir,
    }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect(String((err as Error).message)).toMatch(pg(dialect) ? /invalid input syntax for type bigint/ : /Incorrect integer value|Truncated/);
    // PostgreSQL loads in one transaction: nothing of the failed load stays.
    if (pg(dialect)) expect((await read('SELECT count(*) FROM items')).trim()).toBe(before);
  });
});

const pg = (d: string) => d === 'postgres';
