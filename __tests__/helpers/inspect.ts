import crypto from 'crypto';
import fs from 'fs';
import path from 'path';

// Direct, read-mostly access to a test database and storage folder, to compare states before and after a backup or
// restore. The drivers are the app's own (pg, mysql2, sqlite3 from .app/node_modules).

export type Dialect = 'postgres' | 'mysql' | 'mariadb' | 'sqlite';

export interface DbTarget {
  dialect: Dialect;
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  database?: string;
  /** SQLite file. */
  storage?: string;
}

export interface Conn {
  dialect: Dialect;
  query<T = Record<string, any>>(sql: string): Promise<T[]>;
  close(): Promise<void>;
}

export const isMysqlFamily = (d: string) => d === 'mysql' || d === 'mariadb';

/** The DbTarget of a real app started by startRealApp (its env). */
export function targetOfEnv(env: Record<string, string>): DbTarget {
  const dialect = env.DB_DIALECT as Dialect;
  if (dialect === 'sqlite') return { dialect, storage: env.DB_STORAGE };
  return {
    dialect,
    host: env.DB_HOST,
    port: Number(env.DB_PORT),
    user: env.DB_USER,
    password: env.DB_PASSWORD,
    database: env.DB_DATABASE,
  };
}

export async function connect(t: DbTarget, opts: { readonly?: boolean } = {}): Promise<Conn> {
  if (t.dialect === 'postgres') {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { Client } = require('pg');
    const c = new Client({ host: t.host, port: t.port, user: t.user, password: t.password, database: t.database });
    await c.connect();
    return {
      dialect: t.dialect,
      query: async (sql) => (await c.query(sql)).rows,
      close: () => c.end(),
    };
  }
  if (isMysqlFamily(t.dialect)) {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const mysql = require('mysql2/promise');
    const c = await mysql.createConnection({
      host: t.host,
      port: t.port,
      user: t.user,
      password: t.password || undefined,
      database: t.database,
      multipleStatements: true,
      supportBigNumbers: true,
      bigNumberStrings: true,
      dateStrings: true,
    });
    return {
      dialect: t.dialect,
      query: async (sql) => {
        const [rows] = await c.query(sql);
        return Array.isArray(rows) ? (rows as any[]) : [];
      },
      close: () => c.end(),
    };
  }
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const sqlite3 = require('sqlite3');
  const mode = opts.readonly ? sqlite3.OPEN_READONLY : sqlite3.OPEN_READWRITE;
  const db = await new Promise<any>((resolve, reject) => {
    const d = new sqlite3.Database(t.storage, mode, (err: Error | null) => (err ? reject(err) : resolve(d)));
  });
  db.configure('busyTimeout', 30000);
  return {
    dialect: t.dialect,
    query: (sql) => new Promise((resolve, reject) => db.all(sql, (err: Error | null, rows: any[]) => (err ? reject(err) : resolve(rows)))),
    close: () => new Promise<void>((resolve, reject) => db.close((err: Error | null) => (err ? reject(err) : resolve()))),
  };
}

export async function withConn<T>(t: DbTarget, fn: (c: Conn) => Promise<T>, opts: { readonly?: boolean } = {}): Promise<T> {
  const c = await connect(t, opts);
  try {
    return await fn(c);
  } finally {
    await c.close();
  }
}

export function quoteIdent(dialect: string, name: string): string {
  return isMysqlFamily(dialect) ? `\`${name.replace(/`/g, '``')}\`` : `"${name.replace(/"/g, '""')}"`;
}

/** Base tables of the current schema (PostgreSQL), database (MySQL family) or file (SQLite), sorted. */
export async function listTables(c: Conn): Promise<string[]> {
  let rows: { name: string }[];
  if (c.dialect === 'postgres') {
    rows = await c.query(
      "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
    );
  } else if (isMysqlFamily(c.dialect)) {
    rows = await c.query(
      "SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'",
    );
  } else {
    rows = await c.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'");
  }
  return rows.map((r) => String(r.name)).sort();
}

export async function rowCounts(c: Conn, tables?: string[]): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of tables || (await listTables(c))) {
    const [row] = await c.query<{ n: number | string }>(`SELECT COUNT(*) AS n FROM ${quoteIdent(c.dialect, t)}`);
    out[t] = Number(row.n);
  }
  return out;
}

/**
 * A digest of every row of every table (except `exclude`): any change of data or of the table list shows.
 * PostgreSQL hashes the rows' text, the MySQL family uses CHECKSUM TABLE, SQLite hashes the rows read in node.
 */
export async function dataDigest(c: Conn, exclude: string[] = []): Promise<Record<string, string>> {
  const tables = (await listTables(c)).filter((t) => !exclude.includes(t));
  const out: Record<string, string> = {};
  if (isMysqlFamily(c.dialect)) {
    if (!tables.length) return out;
    const rows = await c.query<{ Table: string; Checksum: string | number | null }>(
      `CHECKSUM TABLE ${tables.map((t) => quoteIdent(c.dialect, t)).join(', ')}`,
    );
    for (const r of rows) out[r.Table.split('.').slice(1).join('.')] = String(r.Checksum);
    return out;
  }
  for (const t of tables) {
    if (c.dialect === 'postgres') {
      const [row] = await c.query<{ d: string; n: string }>(
        `SELECT md5(coalesce(string_agg(x.t, E'\\n' ORDER BY x.t), '')) AS d, count(*) AS n FROM (SELECT r::text AS t FROM ${quoteIdent(c.dialect, t)} r) x`,
      );
      out[t] = `${row.n}:${row.d}`;
    } else {
      const rows = await c.query(`SELECT * FROM ${quoteIdent(c.dialect, t)}`);
      const lines = rows.map((r) => JSON.stringify(r)).sort();
      out[t] = `${rows.length}:${crypto.createHash('sha256').update(lines.join('\n')).digest('hex')}`;
    }
  }
  return out;
}

export interface SchemaObjects {
  views: Record<string, any>[];
  routines: Record<string, any>[];
  triggers: Record<string, any>[];
  indexes: Record<string, any>[];
  columns: Record<string, any>[];
}

/**
 * The definitions of views, functions/procedures, triggers, indexes and column defaults whose names (or tables)
 * start with `prefix`, read from the catalogs, normalised so two databases with different names compare equal.
 */
export async function schemaObjects(c: Conn, prefix: string): Promise<SchemaObjects> {
  const p = prefix.replace(/'/g, "''");
  const n = prefix.length;
  if (c.dialect === 'postgres') {
    return {
      views: await c.query(
        `SELECT viewname, definition FROM pg_views WHERE schemaname = current_schema() AND substr(viewname, 1, ${n}) = '${p}' ORDER BY 1`,
      ),
      routines: await c.query(
        `SELECT p.proname, pg_get_functiondef(p.oid) AS def FROM pg_proc p JOIN pg_namespace s ON s.oid = p.pronamespace
         WHERE s.nspname = current_schema() AND substr(p.proname, 1, ${n}) = '${p}' ORDER BY 1`,
      ),
      triggers: await c.query(
        `SELECT t.tgname, c.relname, pg_get_triggerdef(t.oid) AS def, t.tgenabled FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
         JOIN pg_namespace s ON s.oid = c.relnamespace
         WHERE NOT t.tgisinternal AND s.nspname = current_schema() AND substr(c.relname, 1, ${n}) = '${p}' ORDER BY 1`,
      ),
      indexes: await c.query(
        `SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND substr(tablename, 1, ${n}) = '${p}' ORDER BY 1, 2`,
      ),
      columns: await c.query(
        `SELECT table_name, column_name, column_default, is_nullable, data_type FROM information_schema.columns
         WHERE table_schema = current_schema() AND substr(table_name, 1, ${n}) = '${p}' ORDER BY 1, ordinal_position`,
      ),
    };
  }
  if (isMysqlFamily(c.dialect)) {
    const [{ db }] = await c.query<{ db: string }>('SELECT DATABASE() AS db');
    const norm = (rows: Record<string, any>[]) =>
      rows.map((r) =>
        Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'string' ? v.split(`\`${db}\`.`).join('`<db>`.') : v])),
      );
    return {
      views: norm(
        await c.query(
          `SELECT TABLE_NAME, VIEW_DEFINITION, CHECK_OPTION, IS_UPDATABLE, SECURITY_TYPE FROM information_schema.VIEWS
           WHERE TABLE_SCHEMA = DATABASE() AND SUBSTR(TABLE_NAME, 1, ${n}) = '${p}' ORDER BY 1`,
        ),
      ),
      routines: norm(
        await c.query(
          `SELECT ROUTINE_NAME, ROUTINE_TYPE, DATA_TYPE, ROUTINE_DEFINITION, IS_DETERMINISTIC, SQL_DATA_ACCESS FROM information_schema.ROUTINES
           WHERE ROUTINE_SCHEMA = DATABASE() AND SUBSTR(ROUTINE_NAME, 1, ${n}) = '${p}' ORDER BY 1`,
        ),
      ),
      triggers: norm(
        await c.query(
          `SELECT TRIGGER_NAME, EVENT_MANIPULATION, EVENT_OBJECT_TABLE, ACTION_TIMING, ACTION_STATEMENT FROM information_schema.TRIGGERS
           WHERE TRIGGER_SCHEMA = DATABASE() AND SUBSTR(EVENT_OBJECT_TABLE, 1, ${n}) = '${p}' ORDER BY 1`,
        ),
      ),
      indexes: await c.query(
        `SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, SEQ_IN_INDEX, COLUMN_NAME FROM information_schema.STATISTICS
         WHERE TABLE_SCHEMA = DATABASE() AND SUBSTR(TABLE_NAME, 1, ${n}) = '${p}' ORDER BY 1, 2, 4`,
      ),
      columns: await c.query(
        `SELECT TABLE_NAME, COLUMN_NAME, COLUMN_DEFAULT, IS_NULLABLE, COLUMN_TYPE, EXTRA FROM information_schema.COLUMNS
         WHERE TABLE_SCHEMA = DATABASE() AND SUBSTR(TABLE_NAME, 1, ${n}) = '${p}' ORDER BY 1, ORDINAL_POSITION`,
      ),
    };
  }
  const master = (type: string) =>
    c.query(`SELECT type, name, tbl_name, sql FROM sqlite_master WHERE type = '${type}' AND substr(tbl_name, 1, ${n}) = '${p}' ORDER BY name`);
  const tables = await c.query<{ name: string }>(
    `SELECT name FROM sqlite_master WHERE type = 'table' AND substr(name, 1, ${n}) = '${p}' ORDER BY name`,
  );
  const columns: Record<string, any>[] = [];
  for (const t of tables) {
    for (const col of await c.query(`PRAGMA table_info(${quoteIdent('sqlite', t.name)})`)) columns.push({ table: t.name, ...col });
  }
  return {
    views: await master('view'),
    routines: [], // SQLite has no stored functions
    triggers: await master('trigger'),
    indexes: await master('index'),
    columns: [...columns, ...(await master('table'))],
  };
}

export async function sha256File(file: string): Promise<string> {
  const h = crypto.createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

export const sha256 = (data: Buffer | string) => crypto.createHash('sha256').update(data).digest('hex');

/**
 * Every file (sha256) and folder ('dir') under root, by forward-slash relative path; `skip` leaves out a path and
 * everything under it.
 */
export async function listFiles(root: string, skip: (rel: string) => boolean = () => false): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (dir: string, rel: string) => {
    let entries: fs.Dirent[];
    try {
      entries = await fs.promises.readdir(dir, { withFileTypes: true });
    } catch (err: any) {
      if (err?.code === 'ENOENT') return;
      throw err;
    }
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (skip(r)) continue;
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        out[r] = 'dir';
        await walk(p, r);
      } else if (e.isSymbolicLink()) {
        out[r] = `symlink:${await fs.promises.readlink(p)}`;
      } else if (e.isFile()) {
        // A file that vanished between the listing and the read (a SQLite -journal) was never there.
        const digest = await sha256File(p).catch((err) => {
          if (err?.code === 'ENOENT') return null;
          throw err;
        });
        if (digest !== null) out[r] = digest;
      }
    }
  };
  await walk(root, '');
  return out;
}

/** A few thousand rows of test data as multi-row INSERTs (portable SQL: '' escapes, no backslashes). */
export function insertStatements(table: string, from: number, to: number, chunk = 500): string[] {
  const out: string[] = [];
  for (let start = from; start <= to; start += chunk) {
    const values: string[] = [];
    for (let i = start; i <= Math.min(to, start + chunk - 1); i++) {
      const note = i % 17 === 0 ? 'NULL' : `'O''Brien ☃ #${i} ${'x'.repeat(i % 40)}'`;
      values.push(`('c${i}', ${i % 10}, ${note})`);
    }
    out.push(`INSERT INTO ${table} (code, qty, note) VALUES ${values.join(', ')}`);
  }
  return out;
}

/**
 * DDL of the test objects named `<prefix>items...`: a table with column defaults, a unique and a partial/plain
 * index, a view, a trigger (PostgreSQL: with its plpgsql function) and, on the MySQL family, a stored function and
 * a stored procedure.
 */
export function schemaStatements(dialect: Dialect, prefix: string): string[] {
  const t = `${prefix}items`;
  if (dialect === 'postgres') {
    return [
      `DROP VIEW IF EXISTS ${t}_view`,
      `DROP TABLE IF EXISTS ${t} CASCADE`,
      `DROP FUNCTION IF EXISTS ${prefix}touch() CASCADE`,
      `CREATE TABLE ${t} (id serial PRIMARY KEY, code varchar(40) NOT NULL, qty integer NOT NULL DEFAULT 7, note text DEFAULT 'n/a', touched integer NOT NULL DEFAULT 0)`,
      `CREATE UNIQUE INDEX ${t}_code_key ON ${t} (code)`,
      `CREATE INDEX ${t}_qty_idx ON ${t} (qty) WHERE qty > 3`,
      `CREATE VIEW ${t}_view AS SELECT code, qty * 2 AS double_qty FROM ${t} WHERE qty > 5`,
      `CREATE FUNCTION ${prefix}touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.touched := OLD.touched + 1; RETURN NEW; END; $$`,
      `CREATE TRIGGER ${t}_touch BEFORE UPDATE ON ${t} FOR EACH ROW EXECUTE FUNCTION ${prefix}touch()`,
    ];
  }
  if (isMysqlFamily(dialect)) {
    return [
      `DROP VIEW IF EXISTS ${t}_view`,
      `DROP TABLE IF EXISTS ${t}`,
      `DROP FUNCTION IF EXISTS ${prefix}double`,
      `DROP PROCEDURE IF EXISTS ${prefix}count`,
      `CREATE TABLE ${t} (id int NOT NULL AUTO_INCREMENT PRIMARY KEY, code varchar(40) NOT NULL, qty int NOT NULL DEFAULT 7,
        note varchar(100) DEFAULT 'n/a', touched int NOT NULL DEFAULT 0, UNIQUE KEY ${t}_code_key (code), KEY ${t}_qty_idx (qty))
        ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
      `CREATE VIEW ${t}_view AS SELECT code, qty * 2 AS double_qty FROM ${t} WHERE qty > 5`,
      `CREATE FUNCTION ${prefix}double(x INT) RETURNS INT DETERMINISTIC RETURN x * 2`,
      `CREATE PROCEDURE ${prefix}count(OUT n INT) READS SQL DATA SELECT COUNT(*) INTO n FROM ${t}`,
      `CREATE TRIGGER ${t}_touch BEFORE UPDATE ON ${t} FOR EACH ROW SET NEW.touched = OLD.touched + 1`,
    ];
  }
  return [
    `DROP VIEW IF EXISTS ${t}_view`,
    `DROP TABLE IF EXISTS ${t}`,
    `CREATE TABLE ${t} (id INTEGER PRIMARY KEY AUTOINCREMENT, code TEXT NOT NULL, qty INTEGER NOT NULL DEFAULT 7, note TEXT DEFAULT 'n/a', touched INTEGER NOT NULL DEFAULT 0)`,
    `CREATE UNIQUE INDEX ${t}_code_key ON ${t} (code)`,
    `CREATE INDEX ${t}_qty_idx ON ${t} (qty) WHERE qty > 3`,
    `CREATE VIEW ${t}_view AS SELECT code, qty * 2 AS double_qty FROM ${t} WHERE qty > 5`,
    `CREATE TRIGGER ${t}_touch AFTER UPDATE OF qty ON ${t} BEGIN UPDATE ${t} SET touched = OLD.touched + 1 WHERE id = NEW.id; END`,
  ];
}

/**
 * Exercises the objects of schemaStatements on a database that holds them (never the live app's): the trigger
 * fires, defaults apply, the unique index refuses a duplicate, the view filters, the routines answer.
 */
export async function exerciseObjects(c: Conn, prefix: string): Promise<void> {
  const t = `${prefix}items`;
  const [before] = await c.query<{ touched: number }>(`SELECT touched FROM ${t} WHERE code = 'c1'`);
  await c.query(`UPDATE ${t} SET qty = qty + 1 WHERE code = 'c1'`);
  const [after] = await c.query<{ touched: number }>(`SELECT touched FROM ${t} WHERE code = 'c1'`);
  expect(Number(after.touched)).toBe(Number(before.touched) + 1);

  await c.query(`INSERT INTO ${t} (code) VALUES ('fresh-row')`);
  const [fresh] = await c.query<{ qty: number; note: string; touched: number }>(`SELECT qty, note, touched FROM ${t} WHERE code = 'fresh-row'`);
  expect({ qty: Number(fresh.qty), note: fresh.note, touched: Number(fresh.touched) }).toEqual({ qty: 7, note: 'n/a', touched: 0 });

  await expect(c.query(`INSERT INTO ${t} (code) VALUES ('c2')`)).rejects.toThrow(/unique|duplicate/i);

  const [v] = await c.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${t}_view`);
  const [w] = await c.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${t} WHERE qty > 5`);
  expect(Number(v.n)).toBe(Number(w.n));

  if (isMysqlFamily(c.dialect)) {
    const [d] = await c.query<{ v: number }>(`SELECT ${prefix}double(21) AS v`);
    expect(Number(d.v)).toBe(42);
    const rows = await c.query<any>(`CALL ${prefix}count(@bm_n); SELECT @bm_n AS n`);
    const [all] = await c.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${t}`);
    expect(Number((rows as any)[1]?.[0]?.n)).toBe(Number(all.n));
  }
}
