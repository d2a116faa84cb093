import type { Writable } from 'stream';
import type { CopyScript } from './copy-plan-types';
import type { Encoders, SourceValue } from './encoders';

// The body of the move's reader child (copy-rows.ts): reads the source SQLite file (the app's own sqlite3 module,
// read-only) table by table in rowid order, a batch at a time, and writes the SQL script that loads the rows into
// the target on stdout, which is the target client's stdin. Rows never pass through the server. It runs from its own
// source text (`moveRowsChild.toString()`), so it uses nothing but its parameters. Progress goes to stderr as JSON
// lines: {"table": name, "rows": n}.

interface Deps {
  sqlite3: { Database: new (file: string, mode: number, cb: (err: Error | null) => void) => SqliteDb; OPEN_READONLY: number };
  encoders: Encoders;
  out: Writable;
  progress: (table: string, rows: number) => void;
}

interface SqliteDb {
  all(sql: string, params: unknown[], cb: (err: Error | null, rows: Record<string, SourceValue>[]) => void): void;
  close(cb: (err: Error | null) => void): void;
}

export async function moveRowsChild(deps: Deps, file: string, plan: CopyScript): Promise<void> {
  const { encoders, out } = deps;
  const pg = plan.family === 'postgres';
  const sqIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;
  const pgIdent = sqIdent;
  const myIdent = (name: string) => `\`${name.replace(/`/g, '``')}\``;
  const qualified = (name: string) => (pg ? (plan.schema ? `${pgIdent(plan.schema)}.${pgIdent(name)}` : pgIdent(name)) : myIdent(name));

  const db: SqliteDb = await new Promise((resolve, reject) => {
    const handle = new deps.sqlite3.Database(file, deps.sqlite3.OPEN_READONLY, (err) => (err ? reject(err) : resolve(handle)));
  });
  const all = (sql: string, params: unknown[]) =>
    new Promise<Record<string, SourceValue>[]>((resolve, reject) => db.all(sql, params, (err, rows) => (err ? reject(err) : resolve(rows))));

  // Output in pieces of about 256 KiB, waiting when the client is slower than the reads.
  let pending = '';
  const flush = async () => {
    if (!pending) return;
    const chunk = pending;
    pending = '';
    if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  };
  const emit = async (text: string) => {
    pending += text;
    if (pending.length >= 262144) await flush();
  };

  if (pg) {
    await emit("SET client_encoding = 'UTF8';\nSET standard_conforming_strings = on;\nBEGIN;\n");
    // Foreign keys and triggers wait until the whole copy is in (a superuser only; others load in table order).
    await emit("DO $bm$ BEGIN SET LOCAL session_replication_role = replica; EXCEPTION WHEN insufficient_privilege THEN NULL; END $bm$;\n");
    if (plan.truncate.length) await emit(`TRUNCATE ${plan.truncate.map(qualified).join(', ')} RESTART IDENTITY;\n`);
  } else {
    const zone = `${plan.offsetMinutes < 0 ? '-' : '+'}${String(Math.floor(Math.abs(plan.offsetMinutes) / 60)).padStart(2, '0')}:${String(Math.abs(plan.offsetMinutes) % 60).padStart(2, '0')}`;
    await emit(`SET NAMES utf8mb4;\nSET FOREIGN_KEY_CHECKS = 0;\nSET UNIQUE_CHECKS = 0;\nSET time_zone = '${zone}';\n`);
    // An id of 0 stays 0 instead of taking the next auto-increment value.
    await emit("SET SESSION sql_mode = CONCAT_WS(',', NULLIF(@@SESSION.sql_mode, ''), 'NO_AUTO_VALUE_ON_ZERO');\n");
    for (const t of plan.truncate) await emit(`TRUNCATE TABLE ${myIdent(t)};\n`);
  }

  for (const table of plan.tables) {
    const names = table.columns.map((c) => c.source);
    // rowid is shadowed by a column of that name: take an alias the table does not use.
    const rowid = ['rowid', '_rowid_', 'oid'].find((a) => !names.some((n) => n.toLowerCase() === a));
    const select = table.columns
      .map((c, i) => `CASE typeof(${sqIdent(c.source)}) WHEN 'integer' THEN CAST(${sqIdent(c.source)} AS TEXT) ELSE ${sqIdent(c.source)} END AS c${i}`)
      .join(', ');
    let byRowid = !!rowid;
    if (byRowid) await all(`SELECT ${rowid} FROM ${sqIdent(table.source)} LIMIT 0`, []).catch(() => (byRowid = false));
    const kinds = table.columns.map((c) => c.kind);
    const targetCols = table.columns.map((c) => (pg ? pgIdent(c.target) : myIdent(c.target))).join(', ');
    if (pg) await emit(`COPY ${qualified(table.target)} (${targetCols}) FROM STDIN;\n`);
    else await emit('START TRANSACTION;\n');
    // As text both ways: a rowid beyond 2^53 (a snowflake id as primary key) stays exact.
    let last = '-9223372036854775808';
    let offset = 0;
    let copied = 0;
    const fetch = () => {
      const batch = byRowid
        ? all(`SELECT CAST(${rowid} AS TEXT) AS r, ${select} FROM ${sqIdent(table.source)} WHERE ${rowid} > CAST(? AS INTEGER) ORDER BY ${rowid} LIMIT ?`, [last, plan.batchRows])
        : all(`SELECT ${select} FROM ${sqIdent(table.source)} LIMIT ? OFFSET ?`, [plan.batchRows, offset]);
      // Awaited later: its failure must not count as unhandled meanwhile (it is thrown where it is awaited).
      batch.catch(() => undefined);
      return batch;
    };
    // The next batch is read (on SQLite's own thread) while this one is encoded: measured, the reader otherwise
    // waited for SQLite a third of its time.
    let next: Promise<Record<string, SourceValue>[]> | null = fetch();
    while (next) {
      const rows: Record<string, SourceValue>[] = await next;
      if (!rows.length) break;
      offset += rows.length;
      if (byRowid) last = rows[rows.length - 1].r as string;
      next = rows.length < plan.batchRows ? null : fetch();
      if (pg) {
        let text = '';
        for (const row of rows) {
          let line = '';
          for (let i = 0; i < kinds.length; i++) line += (i ? '\t' : '') + encoders.pg(kinds[i], row[`c${i}`]);
          text += `${line}\n`;
        }
        await emit(text);
      } else {
        // One INSERT of at most about 1 MiB (well under max_allowed_packet).
        let statement = '';
        for (const row of rows) {
          let tuple = '(';
          for (let i = 0; i < kinds.length; i++) tuple += (i ? ',' : '') + encoders.mysql(kinds[i], row[`c${i}`]);
          tuple += ')';
          if (!statement) statement = `INSERT INTO ${myIdent(table.target)} (${targetCols}) VALUES ${tuple}`;
          else statement += `,${tuple}`;
          if (statement.length > 1048576) {
            await emit(`${statement};\n`);
            statement = '';
          }
        }
        if (statement) await emit(`${statement};\n`);
      }
      copied += rows.length;
      deps.progress(table.target, copied);
    }
    await emit(pg ? '\\.\n' : 'COMMIT;\n');
    deps.progress(table.target, copied);
  }

  if (pg) {
    // Past the highest id copied, so a new record gets the next one (an empty table starts again at 1).
    for (const [t, c] of plan.sequences) {
      const q = `'${qualified(t).replace(/'/g, "''")}'`;
      await emit(
        `SELECT setval(pg_get_serial_sequence(${q}, '${c.replace(/'/g, "''")}'), GREATEST(COALESCE(MAX(${pgIdent(c)}), 0), 1), MAX(${pgIdent(c)}) IS NOT NULL) FROM ${qualified(t)};\n`,
      );
    }
    await emit('COMMIT;\n');
  } else {
    await emit('SET FOREIGN_KEY_CHECKS = 1;\nSET UNIQUE_CHECKS = 1;\n');
  }
  await flush();
  await new Promise<void>((resolve, reject) => db.close((err) => (err ? reject(err) : resolve())));
}
