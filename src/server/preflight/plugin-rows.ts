import type { DbConfig } from '../dumpers/types';
import { columnRef, tableRef } from '../db/table-ref';

// Pure: the statement that reads NocoBase's enabled plugins (its applicationPlugins table) without NocoBase, for the
// standalone `nb-backups backup`, whose archives then list the plugins a restore's pre-flight checks as the app's own
// backups do; and the parsing of its one-line JSON answer.

export interface PluginRow {
  name: string;
  packageName?: string | null;
  version?: string | null;
}

const PLUGINS = 'applicationPlugins';

/** One JSON array of { name, packageName, version } for the enabled plugins (NULL or '[]' when there are none). */
export function pluginRowsSql(db: DbConfig, underscored: boolean): string {
  const t = tableRef(db, PLUGINS, underscored);
  const col = (c: string) => columnRef(db, c, underscored);
  const pairs = ['name', 'packageName', 'version'].map((c) => `'${c}', ${col(c)}`).join(', ');
  // jsonb's text is one line (json_agg's has line breaks, and the client's answer is read by line).
  if (db.dialect === 'postgres' || db.dialect === 'kingbase') {
    return `SELECT coalesce(jsonb_agg(jsonb_build_object(${pairs})), '[]'::jsonb)::text FROM ${t} WHERE ${col('enabled')} = true`;
  }
  if (db.dialect === 'sqlite') return `SELECT json_group_array(json_object(${pairs})) FROM ${t} WHERE ${col('enabled')} = 1`;
  return `SELECT JSON_ARRAYAGG(JSON_OBJECT(${pairs})) FROM ${t} WHERE ${col('enabled')} = 1`;
}

/** The rows of pluginRowsSql's answer; anything but an array of named rows is refused (the caller records no list). */
export function parsePluginRows(json: string | null): PluginRow[] {
  const value: unknown = json === null ? [] : JSON.parse(json);
  if (!Array.isArray(value)) throw new Error('Unexpected plugin list');
  return value.map((r: Record<string, unknown>) => {
    const opt = (v: unknown) => (v === null || v === undefined ? null : String(v));
    if (!r || typeof r !== 'object' || typeof r.name !== 'string' || !r.name) throw new Error('Unexpected plugin list');
    return { name: r.name, packageName: opt(r.packageName), version: opt(r.version) };
  });
}
