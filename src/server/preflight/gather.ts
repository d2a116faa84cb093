import fs from 'fs';
import path from 'path';
import type { Application } from '@nocobase/server';
import type { RequiredPlugin } from '../archive/manifest-types';
import type { SqlValue } from './sql';
import type { RequirementsDraft } from './types';
import { findJson } from '../db/find-json';
import type { PluginRow } from './plugin-rows';

// The backup's side: what the application the backup is made of runs with, for a later restore's pre-flight.

/** Pure: the enabled plugins as the manifest lists them; `carried` says whether storage/plugins holds a package. */
export function requiredPlugins(rows: PluginRow[], carried: (packageName: string) => boolean): RequiredPlugin[] {
  return rows
    .map((r) => ({
      name: r.name,
      ...(r.packageName ? { packageName: r.packageName } : {}),
      version: r.version || '',
      enabled: true as const,
      inArchive: !!r.packageName && carried(r.packageName),
    }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Whether the archive carries a plugin package: storage/plugins holds it and the plugins folder is included. */
export function carriedIn(storage: string, includePlugins: boolean): (packageName: string) => boolean {
  return (pkg) => includePlugins && fs.existsSync(path.join(storage, 'plugins', pkg, 'package.json'));
}

/** In the app: its plugin table (NocoBase's applicationPlugins), DB_UNDERSCORED from its database options. */
export async function gatherRequirements(
  app: Application,
  opts: { storage: string; includePlugins: boolean; sql: SqlValue },
): Promise<RequirementsDraft> {
  const rows = await findJson<PluginRow>(app.db.getRepository('applicationPlugins'), { filter: { enabled: true } });
  const carried = carriedIn(opts.storage, opts.includePlugins);
  const dialect = app.db.options.dialect;
  let lowerCaseTableNames: number | undefined;
  if (dialect === 'mysql' || dialect === 'mariadb') {
    const v = await opts.sql('SELECT @@lower_case_table_names').catch(() => null);
    lowerCaseTableNames = v !== null && /^\d+$/.test(v) ? Number(v) : undefined;
  }
  return {
    nocobaseVersion: app.getVersion(),
    plugins: requiredPlugins(rows, carried),
    underscored: !!app.db.options.underscored,
    ...(lowerCaseTableNames !== undefined ? { lowerCaseTableNames } : {}),
  };
}
