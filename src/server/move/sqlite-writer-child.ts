import type { Readable } from 'stream';
import type { StringDecoder } from 'string_decoder';
import type { CopyTable } from './copy-plan-types';
import type { CopyText } from './copy-text';
import type { DumpValue, MysqlDumpRows } from './mysql-dump-rows';
import type { SqliteValue, SqliteValues } from './sqlite-values';

// The body of the writer child of a move into SQLite (copy-into-sqlite.ts): reads the plain SQL of
// `pg_restore --data-only`, or a MySQL/MariaDB dump, on stdin, and writes each planned table's COPY rows into the new SQLite file (the app's
// own sqlite3 module), converted as NocoBase keeps them there. It runs from its own source text
// (`sqliteWriterChild.toString()`), so it uses nothing but its parameters. Progress goes to stderr as JSON lines:
// {"table": name, "rows": n}.

export interface SqliteCopyScript {
  /** What stdin holds: pg_restore's plain SQL (COPY blocks), or a MySQL/MariaDB dump (INSERTs). */
  format: 'pg-copy' | 'mysql';
  /** Target tables emptied first (what NocoBase's install put in them), their AUTOINCREMENT counters too. */
  truncate: string[];
  tables: CopyTable[];
  /** MySQL: each source table's columns in the dump's order (its INSERTs name none). */
  order?: Record<string, string[]>;
  /** MySQL: the zone its DATETIMEs were written in ('+08:00'). */
  zone?: string;
}

interface Deps {
  sqlite3: { Database: new (file: string, mode: number, cb: (err: Error | null) => void) => SqliteDb; OPEN_READWRITE: number };
  copyText: CopyText;
  dumpRows: MysqlDumpRows;
  values: SqliteValues;
  input: Readable;
  StringDecoder: typeof StringDecoder;
  progress: (table: string, rows: number) => void;
}

interface SqliteStatement {
  run(params: SqliteValue[], cb: (err: Error | null) => void): void;
  finalize(cb: (err: Error | null) => void): void;
}

interface SqliteDb {
  exec(sql: string, cb: (err: Error | null) => void): void;
  run(sql: string, params: unknown[], cb: (err: Error | null) => void): void;
  get(sql: string, params: unknown[], cb: (err: Error | null, row?: Record<string, unknown>) => void): void;
  prepare(sql: string, cb: (err: Error | null) => void): SqliteStatement;
  close(cb: (err: Error | null) => void): void;
}

export async function sqliteWriterChild(deps: Deps, file: string, plan: SqliteCopyScript): Promise<void> {
  const { copyText, dumpRows, values } = deps;
  const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;
  const db: SqliteDb = await new Promise((resolve, reject) => {
    const handle = new deps.sqlite3.Database(file, deps.sqlite3.OPEN_READWRITE, (err) => (err ? reject(err) : resolve(handle)));
  });
  const exec = (sql: string) => new Promise<void>((resolve, reject) => db.exec(sql, (err) => (err ? reject(err) : resolve())));
  const run = (sql: string, params: unknown[]) => new Promise<void>((resolve, reject) => db.run(sql, params, (err) => (err ? reject(err) : resolve())));
  const get = (sql: string) => new Promise<Record<string, unknown> | undefined>((resolve, reject) => db.get(sql, [], (err, row) => (err ? reject(err) : resolve(row))));
  const prepare = (sql: string) =>
    new Promise<SqliteStatement>((resolve, reject) => {
      const stmt = db.prepare(sql, (err) => (err ? reject(err) : resolve(stmt)));
    });
  const stmtRun = (stmt: SqliteStatement, params: SqliteValue[]) => new Promise<void>((resolve, reject) => stmt.run(params, (err) => (err ? reject(err) : resolve())));
  const finalize = (stmt: SqliteStatement) => new Promise<void>((resolve, reject) => stmt.finalize((err) => (err ? reject(err) : resolve())));

  // The file is new and not live until the move renames it into place (after an fsync): no journal is needed, and a
  // failed copy throws the file away. Foreign keys are checked by nothing during the copy, as NocoBase's own
  // SQLite connection leaves them.
  await exec('PRAGMA foreign_keys = OFF; PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; BEGIN;');
  for (const t of plan.truncate) await exec(`DELETE FROM ${ident(t)};`);
  if (plan.truncate.length && (await get("SELECT 1 AS x FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'"))) {
    // A new record gets the id after the highest one copied, not after what the install had made.
    await run(`DELETE FROM sqlite_sequence WHERE name IN (${plan.truncate.map(() => '?').join(', ')})`, plan.truncate);
  }

  const exact = new Map(plan.tables.map((t) => [t.source, t]));
  const folded = new Map<string, CopyTable>();
  for (const t of plan.tables) if (!folded.has(t.source.toLowerCase())) folded.set(t.source.toLowerCase(), t);

  interface Current {
    table: CopyTable;
    /** For each planned column, its position in the COPY row (columns the dump lacks are left out). */
    at: number[];
    cols: CopyTable['columns'];
    perStatement: number;
    full: SqliteStatement | null;
    rows: SqliteValue[][];
    copied: number;
  }
  let inCopy = false;
  let current: Current | null = null;
  const insertSql = (c: Current, n: number) => {
    const tuple = `(${c.cols.map(() => '?').join(', ')})`;
    return `INSERT INTO ${ident(c.table.target)} (${c.cols.map((col) => ident(col.target)).join(', ')}) VALUES ${new Array(n).fill(tuple).join(', ')}`;
  };
  const flush = async (c: Current) => {
    if (!c.rows.length) return;
    const rows = c.rows;
    c.rows = [];
    const params: SqliteValue[] = [];
    for (const r of rows) for (const v of r) params.push(v);
    if (rows.length === c.perStatement) {
      c.full ??= await prepare(insertSql(c, c.perStatement));
      await stmtRun(c.full, params);
    } else await run(insertSql(c, rows.length), params);
    c.copied += rows.length;
    deps.progress(c.table.target, c.copied);
  };

  const begin = (source: string, columns: string[]): Current | null => {
    const table = exact.get(source) ?? folded.get(source.toLowerCase());
    if (!table) return null;
    const position = new Map(columns.map((c, i) => [c, i]));
    const cols = table.columns.filter((c) => position.has(c.source));
    if (!cols.length) return null;
    // At most 999 parameters a statement (SQLite's limit before 3.32), 500 rows.
    return { table, at: cols.map((c) => position.get(c.source) as number), cols, perStatement: Math.max(1, Math.min(500, Math.floor(999 / cols.length))), full: null, rows: [], copied: 0 };
  };
  const end = async () => {
    if (!current) return;
    const c: Current = current;
    current = null;
    await flush(c);
    if (c.full) await finalize(c.full);
    deps.progress(c.table.target, c.copied);
  };

  const onCopyLine = async (line: string) => {
    if (!inCopy) {
      const h = copyText.header(line);
      if (!h) return;
      inCopy = true;
      current = begin(h.table, h.columns);
      return;
    }
    if (line === '\\.') {
      inCopy = false;
      await end();
      return;
    }
    const c = current;
    if (!c) return;
    const f = copyText.fields(line);
    const row: SqliteValue[] = new Array(c.cols.length);
    for (let i = 0; i < c.cols.length; i++) row[i] = values.fromPg(c.cols[i].kind, c.cols[i].sourceType ?? '', f[c.at[i]] ?? null);
    c.rows.push(row);
    if (c.rows.length === c.perStatement) await flush(c);
  };

  // A table's rows come in many INSERT statements, one after the other: its copy ends when another table's start.
  let inInsert = false;
  let source: string | null = null;
  const zone = plan.zone ?? '+00:00';
  const onInsertLine = async (line: string) => {
    let text = line;
    if (!inInsert) {
      const s = dumpRows.start(line);
      if (!s) return;
      inInsert = true;
      text = s.rest;
      if (s.table !== source) {
        await end();
        source = s.table;
        current = begin(s.table, plan.order?.[s.table] ?? []);
      }
    }
    const { rows, done } = dumpRows.tuples(text);
    if (done) inInsert = false;
    const c = current;
    if (!c) return;
    for (const f of rows) {
      const row: SqliteValue[] = new Array(c.cols.length);
      for (let i = 0; i < c.cols.length; i++) row[i] = values.fromMysql(c.cols[i].kind, c.cols[i].sourceType ?? '', (f[c.at[i]] ?? null) as DumpValue, zone);
      c.rows.push(row);
      if (c.rows.length === c.perStatement) await flush(c);
    }
  };
  const onLine = plan.format === 'mysql' ? onInsertLine : onCopyLine;

  // Read on demand: while a batch is written, the reader (pg_restore, or the dump file) waits on a full pipe.
  let rest = '';
  const decoder = new deps.StringDecoder('utf8');
  for await (const chunk of deps.input) {
    const lines = (rest + decoder.write(chunk)).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) await onLine(line);
  }
  rest += decoder.end();
  if (rest) await onLine(rest);
  if (inCopy || inInsert) throw new Error("The dump ended inside a table's rows");
  await end();
  await exec('COMMIT;');
  await new Promise<void>((resolve, reject) => db.close((err) => (err ? reject(err) : resolve())));
}
