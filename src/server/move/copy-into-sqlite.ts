import { runPipedRound } from './piped-children';
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
  // Only the planned tables' data: pg_restore skips the others' without decompressing them.
  const only = [...new Set(input.plan.tables.map((t) => t.source))].flatMap((t) => ['-t', t]);
  return runPipedRound({
    tmpDir: input.tmpDir,
    plan: input.plan,
    from: () =>
      input.plan.format === 'mysql'
        ? { file: input.dump }
        : { command: input.pgRestore ?? 'pg_restore', args: ['--data-only', '--no-owner', '--no-acl', ...only, '-f', '-', input.dump], env: {} },
    into: (planFile) => ({ command: process.execPath, args: ['-e', WRITER, input.sqliteModule, input.file, planFile], env: {} }),
    progressFrom: 'into',
    onProgress: input.onProgress,
    signal: input.signal,
  });
}
