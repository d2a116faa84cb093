import fs from 'fs';
import path from 'path';
import { captureTool } from '../process/run';
import { parseCount, parseJsonNames } from './parse';
import { sqliteSpec } from './sqlite';
import type { SqliteTask } from './sqlite';

export interface SqliteRunOptions {
  /** Path of the sqlite3 package's entry; by default resolved from the app (cwd) or near the database file. */
  modulePath?: string;
  signal?: AbortSignal;
}

/** The app's own sqlite3 module: this plugin ships no native code. */
export function resolveSqlite3(near?: string): string {
  return require.resolve('sqlite3', { paths: [process.cwd(), ...(near ? [path.dirname(near)] : [])] });
}

function runSqlite(opts: SqliteRunOptions, task: SqliteTask, file = '', extra = ''): Promise<string> {
  const modulePath = opts.modulePath ?? resolveSqlite3(file || undefined);
  return captureTool(sqliteSpec(modulePath, task, file, extra), { signal: opts.signal });
}

export interface SnapshotOptions extends SqliteRunOptions {
  /** Tables whose rows are deleted from the snapshot (schema kept), like excludeTableData of the dump tools. */
  emptyTables?: string[];
}

/** Consistent online snapshot of `src` into `dest` (VACUUM INTO on a read-only connection; dest must not exist). */
export async function snapshotSqlite(src: string, dest: string, opts: SnapshotOptions = {}): Promise<void> {
  // VACUUM INTO would write into an existing empty file: a snapshot always gets a fresh path.
  if (fs.existsSync(dest)) throw new Error(`The snapshot target already exists: ${dest}`);
  const run = { ...opts, modulePath: opts.modulePath ?? resolveSqlite3(src) };
  await runSqlite(run, 'snapshot', src, dest);
  if (opts.emptyTables?.length) await runSqlite(run, 'empty', dest, JSON.stringify(opts.emptyTables));
}

export async function listSqliteTables(src: string, opts: SqliteRunOptions = {}): Promise<string[]> {
  return parseJsonNames(await runSqlite(opts, 'tables', src));
}

export async function countSqliteRows(src: string, table: string, opts: SqliteRunOptions = {}): Promise<number> {
  return parseCount(await runSqlite(opts, 'count', src, table));
}

export async function sqliteVersion(opts: SqliteRunOptions = {}): Promise<string> {
  return JSON.parse(await runSqlite(opts, 'version')) as string;
}
