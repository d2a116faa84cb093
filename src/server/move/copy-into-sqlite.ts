import fs from 'fs';
import path from 'path';
import { PassThrough } from 'stream';
import { runTool } from '../process/run';
import { makeCopyText } from './copy-text';
import { makeMysqlDumpRows } from './mysql-dump-rows';
import { sqliteWriterChild, type SqliteCopyScript } from './sqlite-writer-child';
import { makeSqliteValues } from './sqlite-values';

// One round of a move into SQLite: pg_restore writes a PostgreSQL dump's rows as plain SQL (no server needed), or a
// MySQL/MariaDB dump, which is plain SQL already, is read from its file; a node child reads it and writes the planned
// tables into the new SQLite file, through a pipe with backpressure. The server only passes pg_restore's bytes along
// (and none of a MySQL dump's, which the child reads from the file itself): its memory does not grow with the data.

const WRITER = `
const [modulePath, file, planFile] = process.argv.slice(1);
const plan = JSON.parse(require('fs').readFileSync(planFile, 'utf8'));
const copyText = (${makeCopyText.toString()})();
const dumpRows = (${makeMysqlDumpRows.toString()})();
const values = (${makeSqliteValues.toString()})();
const progress = (table, rows) => process.stderr.write(JSON.stringify({ table, rows }) + '\\n');
const deps = { sqlite3: require(modulePath), copyText, dumpRows, values, input: process.stdin, StringDecoder: require('string_decoder').StringDecoder, progress };
(${sqliteWriterChild.toString()})(deps, file, plan).catch((error) => {
  process.stderr.write(String((error && error.message) || error) + '\\n');
  process.exitCode = 1;
});
`;

export interface CopyIntoSqliteInput {
  /** pg_restore's path, for a PostgreSQL dump (plan.format 'pg-copy'). */
  pgRestore?: string;
  /** The staged dump: a custom-format file or a directory-format folder; a MySQL/MariaDB dump file. */
  dump: string;
  /** The sqlite3 package's entry (the app's own module). */
  sqliteModule: string;
  /** The new SQLite file NocoBase's install made. */
  file: string;
  plan: SqliteCopyScript;
  /** 0700 scratch folder (the plan file). */
  tmpDir: string;
  onProgress?: (table: string, rows: number) => void;
  signal?: AbortSignal;
}

/** Runs one round; answers the rows copied per target table. */
export async function copyIntoSqlite(input: CopyIntoSqliteInput): Promise<Record<string, number>> {
  const planFile = path.join(input.tmpDir, `move-plan-${process.pid}-${Date.now()}.json`);
  await fs.promises.writeFile(planFile, JSON.stringify(input.plan), { mode: 0o600, flag: 'wx' });
  const rows: Record<string, number> = Object.create(null);
  const onLine = (line: string) => {
    let p: unknown;
    try {
      p = JSON.parse(line);
    } catch {
      return; // an error message: it is in the tool's error
    }
    const { table, rows: n } = (p ?? {}) as { table?: unknown; rows?: unknown };
    if (typeof table === 'string' && typeof n === 'number') {
      rows[table] = n;
      input.onProgress?.(table, n);
    }
  };
  // Either side failing stops the other: a writer that died would leave pg_restore blocked on a full pipe.
  const readerStop = new AbortController();
  const writerStop = new AbortController();
  const forward = () => {
    readerStop.abort();
    writerStop.abort();
  };
  input.signal?.addEventListener('abort', forward, { once: true });
  const pipe = new PassThrough({ highWaterMark: 1024 * 1024 });
  try {
    let cause: unknown = null;
    const fail = (err: unknown, other: AbortController): never => {
      cause ??= err;
      other.abort();
      throw err;
    };
    const mysql = input.plan.format === 'mysql';
    // Only the planned tables' data: pg_restore skips the others' without decompressing them.
    const only = [...new Set(input.plan.tables.map((t) => t.source))].flatMap((t) => ['-t', t]);
    const reader = mysql
      ? Promise.resolve()
      : runTool(
          { command: input.pgRestore ?? 'pg_restore', args: ['--data-only', '--no-owner', '--no-acl', ...only, '-f', '-', input.dump], env: {} },
          { stdout: pipe, signal: readerStop.signal },
        ).then(
          () => void pipe.end(),
          (err) => fail(err, writerStop),
        );
    const writer = runTool(
      { command: process.execPath, args: ['-e', WRITER, input.sqliteModule, input.file, planFile], env: {} },
      { stdin: mysql ? input.dump : pipe, onStderrLine: onLine, signal: writerStop.signal },
    ).catch((err) => fail(err, readerStop));
    const settled = await Promise.allSettled([reader, writer]);
    if (settled.some((r) => r.status === 'rejected')) throw cause;
    return rows;
  } finally {
    input.signal?.removeEventListener('abort', forward);
    pipe.destroy();
    await fs.promises.rm(planFile, { force: true });
  }
}
