import path from 'path';
import { resolveSqlite3 } from '../dumpers/sqlite-snapshot';
import { captureTool } from '../process/run';

// SQLite files for tests without an app, written and read with the dev app's own sqlite3 module in a child process
// (as the plugin reads them), so a test sees what a restore left on disk.

export const sqliteModulePath = resolveSqlite3(path.resolve(__dirname, '../../../.app/storage/db/x.sqlite'));

// Run with node -e: argv[1] the sqlite3 module, argv[2] the file, argv[3] the SQL.
const QUERY = `const s = require(process.argv[1]); const db = new s.Database(process.argv[2]);
db.all(process.argv[3], (e, rows) => { if (e) { console.error(e.message); process.exitCode = 1; } else console.log(JSON.stringify(rows ?? [])); db.close(); });`;
const EXEC = `const s = require(process.argv[1]); const db = new s.Database(process.argv[2]);
db.exec(process.argv[3], (e) => { if (e) { console.error(e.message); process.exitCode = 1; } db.close(); });`;

/** Runs one statement (db.all: a SELECT answers its rows); exec-style scripts of several statements: sqliteExec. */
export async function sqliteQuery<T = Record<string, unknown>>(file: string, sql: string): Promise<T[]> {
  const out = await captureTool({ command: process.execPath, args: ['-e', QUERY, sqliteModulePath, file, sql], env: {} });
  return JSON.parse(String(out).trim() || '[]') as T[];
}

/** Runs a script of statements (CREATE, INSERT, ...). */
export async function sqliteExec(file: string, sql: string): Promise<void> {
  await captureTool({ command: process.execPath, args: ['-e', EXEC, sqliteModulePath, file, sql], env: {} });
}

/**
 * For a test whose database file lies outside an app: NODE_MODULES_PATH names the dev app's node_modules, as NocoBase
 * sets it, so that the backup finds that sqlite3; put back after the file's tests.
 */
export function useAppSqliteModules(): void {
  const saved = process.env.NODE_MODULES_PATH;
  beforeAll(() => {
    const modules = `${path.sep}node_modules`;
    process.env.NODE_MODULES_PATH = sqliteModulePath.slice(0, sqliteModulePath.lastIndexOf(modules + path.sep)) + modules;
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.NODE_MODULES_PATH;
    else process.env.NODE_MODULES_PATH = saved;
  });
}
