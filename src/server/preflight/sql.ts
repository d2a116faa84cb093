import type { Application } from '@nocobase/server';
import { getDumper } from '../dumpers';
import type { DbConfig, ToolInfo } from '../dumpers/types';
import { sqliteValue } from '../dumpers/sqlite-snapshot';
import { captureTool } from '../process/run';
import { cellText } from '../db/query-text';

/** One read-only statement whose answer is one value (first column of the first row), as text; null when no row. */
export type SqlValue = (sql: string) => Promise<string | null>;

/** Through the app's own connection (web actions, the app CLI). */
export function sqlOfApp(app: Application): SqlValue {
  return async (sql) => {
    const rows = (await app.db.sequelize.query(sql, { type: 'SELECT' } as never)) as unknown as Record<string, unknown>[];
    const first = rows?.[0];
    if (!first) return null;
    return asText(Object.values(first)[0]);
  };
}

/** A driver's value as the text a client tool would print: JSON for objects, null for none. */
function asText(value: unknown): string | null {
  return value === null || value === undefined ? null : cellText(value);
}

/** Through the database's client tool (the standalone command, which never loads NocoBase). */
export function sqlOfTool(db: DbConfig, tool: ToolInfo, tmpDir: string): SqlValue {
  const dumper = getDumper(db.dialect);
  if (dumper.kind !== 'tool') throw new Error(`no client tool for ${db.dialect}`);
  return async (sql) => {
    const out = (await captureTool(dumper.querySpec(db, tool, sql, { tmpDir }))).trim();
    return out === '' || out === 'NULL' ? null : out.split('\n')[0];
  };
}

/** Through the app's own sqlite3 module, the file opened read-only (the standalone command on SQLite). */
export function sqlOfSqlite(file: string, modulePath?: string): SqlValue {
  return async (sql) => asText(await sqliteValue(file, sql, { modulePath }));
}
