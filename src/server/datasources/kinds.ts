import { sourceDumpEntry } from '../archive/layout';
import { dbConfigFromOptions } from '../db-config';
import type { DbConfig } from '../dumpers/types';
import { BackupError } from '../errors';
import type { DataSourceChoice } from '../../choices';

export type { DataSourceChoice };

// External data sources (NocoBase's data source manager) a backup can carry: which ones, and how to reach them. Pure.

export interface DataSourceRow {
  key: string;
  displayName?: string | null;
  type: string;
  enabled?: boolean | null;
  /** As stored, with environment templates already rendered by the caller. Holds the password: never answered. */
  options?: Record<string, unknown> | null;
}

/** Data source types whose engines have a dump tool we run, and the dialect that tool is chosen by. */
const DIALECT_OF: Record<string, DbConfig['dialect']> = {
  postgres: 'postgres',
  mysql: 'mysql',
  mariadb: 'mariadb',
  kingbase: 'kingbase',
};
/** Databases whose native tools (sqlpackage/bcp, RMAN/Data Pump) are not available to this plugin. */
const NO_TOOL = ['mssql', 'oracle'];

/** A source key as it appears in archive paths: letters, digits, '_' and '-'. */
export function isSourceKey(key: unknown): key is string {
  return typeof key === 'string' && key !== 'main' && /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(key);
}

export function describeDataSource(row: DataSourceRow): DataSourceChoice {
  const base = { key: row.key, title: row.displayName || row.key, type: row.type };
  if (!isSourceKey(row.key)) return { ...base, supported: false, reason: 'DATASOURCE_KEY_UNSUPPORTED' };
  if (DIALECT_OF[row.type]) return { ...base, supported: true };
  if (NO_TOOL.includes(row.type)) return { ...base, supported: false, reason: 'DATASOURCE_NO_TOOL' };
  return { ...base, supported: false, reason: 'DATASOURCE_NOT_A_DATABASE' };
}

/** The source's database as its own options name it (host, port, database, username, password, schema). */
export function sourceDbConfig(row: DataSourceRow): DbConfig {
  const dialect = DIALECT_OF[row.type];
  if (!dialect) throw new Error(`no dump tool for data source type ${row.type}`);
  const o = (row.options || {}) as Record<string, unknown>;
  const str = (v: unknown) => (v === undefined || v === null || v === '' ? undefined : String(v));
  return dbConfigFromOptions({
    dialect,
    host: str(o.host),
    port: str(o.port),
    database: str(o.database),
    username: str(o.username),
    password: str(o.password),
    schema: str(o.schema),
  });
}

/** Where a source's dump goes in the archive. */
export function sourceEntry(key: string): string {
  if (!isSourceKey(key)) throw new Error(`not a data source key: ${key}`);
  return sourceDumpEntry(key);
}

export interface SourcePlan {
  dump: { key: string; type: string; db: DbConfig }[];
  skipped: { key: string; type: string; reason: string }[];
}

/**
 * What a backup does with the requested sources: dump those with a tool, list the others as skipped with the
 * reason (MSSQL, Oracle, non-database sources never fail a backup). An unknown key is refused (400) when asked for
 * now; a schedule passes `skipMissing`.
 */
export function planSources(requested: unknown, rows: DataSourceRow[], skipMissing = false): SourcePlan {
  const keys = requested === undefined || requested === null ? [] : Array.isArray(requested) ? requested : null;
  if (!keys || !keys.every((k) => typeof k === 'string')) throw new BackupError('DATASOURCE_UNKNOWN', { key: String(requested) }, 400);
  const plan: SourcePlan = { dump: [], skipped: [] };
  for (const key of [...new Set(keys as string[])].sort()) {
    const row = rows.find((r) => r.key === key);
    if (!row) {
      if (skipMissing) continue;
      throw new BackupError('DATASOURCE_UNKNOWN', { key }, 400);
    }
    const choice = describeDataSource(row);
    if (choice.supported) plan.dump.push({ key, type: row.type, db: sourceDbConfig(row) });
    else plan.skipped.push({ key, type: row.type, reason: choice.reason as string });
  }
  return plan;
}

/** The sources a restore replaces: only those named explicitly, each carried by the archive. */
export function resolveRestoreSources(requested: unknown, inArchive: readonly string[]): string[] {
  if (requested === undefined || requested === null) return [];
  const list = Array.isArray(requested) ? requested : typeof requested === 'string' ? requested.split(',') : null;
  if (!list) throw new BackupError('DATASOURCE_NOT_IN_BACKUP', { key: String(requested) }, 400);
  const keys = [...new Set(list.map((k) => String(k).trim()).filter(Boolean))];
  for (const k of keys) if (!inArchive.includes(k)) throw new BackupError('DATASOURCE_NOT_IN_BACKUP', { key: k }, 400);
  return keys.sort();
}
