import { SETTINGS, SETTINGS_ROW_ID } from '../../constants';
import type { DataSourceRow } from '../datasources/kinds';
import type { DbConfig } from '../dumpers/types';
import { myIdent } from '../dumpers/mysql-sql';
import { columnRef, tableRef } from '../db/table-ref';
import { fromRow, type ScheduleSettings } from '../schedule/settings-values';

// Pure: the statements `nb-backups doctor` reads the schedule and the data sources with (through the database's own
// client, NocoBase not loaded), and the parsing of their one-line JSON answers.

const DATA_SOURCES = 'dataSources';

function camel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** One JSON object: the settings row (null when none was ever saved). */
export function settingsSql(db: DbConfig, underscored: boolean): string {
  const t = tableRef(db, SETTINGS, underscored);
  if (db.dialect === 'postgres' || db.dialect === 'kingbase') return `SELECT row_to_json(t)::text FROM ${t} t WHERE id = ${SETTINGS_ROW_ID}`;
  const col = (c: string) => columnRef(db, c, underscored);
  const fields = ['enabled', 'cron', 'timezone', 'dataSources'].map((c) => `'${c}', ${col(c)}`).join(', ');
  return `SELECT JSON_OBJECT(${fields}) FROM ${t} WHERE id = ${SETTINGS_ROW_ID}`;
}

/** One JSON array of the data source manager's rows (key, type, options). */
export function dataSourcesSql(db: DbConfig, underscored: boolean): string {
  const t = tableRef(db, DATA_SOURCES, underscored);
  // jsonb's text is one line: json_agg's has line breaks between elements, and the client's answer is read by line.
  if (db.dialect === 'postgres' || db.dialect === 'kingbase') return `SELECT coalesce(jsonb_agg(jsonb_build_object('key', "key", 'type', "type", 'options', "options")), '[]'::jsonb)::text FROM ${t}`;
  return `SELECT JSON_ARRAYAGG(JSON_OBJECT('key', ${myIdent('key')}, 'type', ${myIdent('type')}, 'options', ${myIdent('options')})) FROM ${t}`;
}

/** The settings as the app reads them (defaults for what is missing); columns may come back snake_case, booleans as 1. */
export function parseSettings(json: string | null): ScheduleSettings {
  const raw = json ? (JSON.parse(json) as Record<string, unknown>) : null;
  const row = raw ? Object.fromEntries(Object.entries(raw).map(([k, v]) => [camel(k), v])) : null;
  if (row && (row.enabled === 1 || row.enabled === '1')) row.enabled = true;
  if (row && (row.enabled === 0 || row.enabled === '0')) row.enabled = false;
  return fromRow(row);
}

/** The rows, options parsed (MariaDB's JSON is text); the main data source is the app's own database. */
export function parseDataSources(json: string | null): DataSourceRow[] {
  const rows = json ? (JSON.parse(json) as { key: string; type: string; options?: unknown }[]) : [];
  return (Array.isArray(rows) ? rows : [])
    .filter((r) => r && r.key !== 'main')
    .map((r) => ({ key: String(r.key), type: String(r.type), options: parseOptions(r.options) }));
}

function parseOptions(value: unknown): Record<string, unknown> {
  if (typeof value === 'string') {
    try {
      return JSON.parse(value) as Record<string, unknown>;
    } catch {
      return {};
    }
  }
  return value && typeof value === 'object' ? (value as Record<string, unknown>) : {};
}

/** Options with `{{$env.X}}` templates: only the running app (its environment variables plugin) can render them. */
export function usesTemplates(row: DataSourceRow): boolean {
  return /\{\{\s*\$env\./.test(JSON.stringify(row.options ?? {}));
}
