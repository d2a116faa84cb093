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

/**
 * The app's own sqlite3 module: this plugin ships no native code. Looked up from the working folder, the app's
 * node_modules (NODE_MODULES_PATH, which NocoBase sets; the process may run elsewhere, e.g. under a test runner)
 * and the database file's folder.
 */
export function resolveSqlite3(near?: string): string {
  const appModules = process.env.NODE_MODULES_PATH ? [process.env.NODE_MODULES_PATH] : [];
  return require.resolve('sqlite3', { paths: [process.cwd(), ...appModules, ...(near ? [path.dirname(near)] : [])] });
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

/** Every table's exact row count, read in one statement. */
export async function countAllSqliteRows(src: string, opts: SqliteRunOptions = {}): Promise<Record<string, number>> {
  const value: unknown = JSON.parse(await runSqlite(opts, 'counts', src));
  const counts = (value && typeof value === 'object' ? value : {}) as Record<string, unknown>;
  if (!Object.values(counts).every((n) => Number.isSafeInteger(n))) throw new Error('Unexpected row counts');
  return counts as Record<string, number>;
}

/** One read-only statement's answer: the first column of its first row (null when no row). */
export async function sqliteValue(src: string, sql: string, opts: SqliteRunOptions = {}): Promise<unknown> {
  return JSON.parse(await runSqlite(opts, 'value', src, sql)) as unknown;
}

export async function sqliteVersion(opts: SqliteRunOptions = {}): Promise<string> {
  return JSON.parse(await runSqlite(opts, 'version')) as string;
}

/** Tables (columns, row counts), views and triggers of a SQLite file: what a move to another dialect reads. */
export async function sqliteSchema(
  src: string,
  opts: SqliteRunOptions = {},
): Promise<{ tables: { name: string; columns: string[]; rows: number }[]; views: string[]; triggers: string[] }> {
  const value = JSON.parse(await runSqlite(opts, 'schema', src)) as Record<string, unknown>;
  const names = (v: unknown) => (Array.isArray(v) && v.every((n) => typeof n === 'string') ? (v as string[]) : null);
  const tables = Array.isArray(value?.tables) ? (value.tables as Record<string, unknown>[]) : null;
  const views = names(value?.views);
  const triggers = names(value?.triggers);
  if (!tables || !views || !triggers) throw new Error('Unexpected SQLite schema');
  return {
    tables: tables.map((t) => {
      const columns = names(t.columns);
      if (typeof t.name !== 'string' || !columns || !Number.isSafeInteger(t.rows)) throw new Error('Unexpected SQLite schema');
      return { name: t.name, columns, rows: t.rows as number };
    }),
    views,
    triggers,
  };
}

/** [table, column, declared type] of every table of a SQLite file, in column order. */
export async function sqliteColumns(src: string, opts: SqliteRunOptions = {}): Promise<[string, string, string][]> {
  const value = JSON.parse(await runSqlite(opts, 'columns', src)) as unknown;
  const ok = Array.isArray(value) && value.every((r) => Array.isArray(r) && r.length === 3 && typeof r[0] === 'string' && typeof r[1] === 'string');
  if (!ok) throw new Error('Unexpected SQLite columns');
  return (value as unknown[][]).map((r) => [r[0] as string, r[1] as string, typeof r[2] === 'string' ? r[2] : '']);
}
