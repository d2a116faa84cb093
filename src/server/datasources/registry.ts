import type { Application } from '@nocobase/server';
import { planSources, type DataSourceRow, type SourcePlan } from './kinds';
import { findJson } from '../db/find-json';

// The data source manager's sources, read from its own collection. Options may hold environment templates
// ({{$env.X}}): they are rendered the way NocoBase renders them before it connects.

const DATA_SOURCES = 'dataSources';

export async function listDataSourceRows(app: Application): Promise<DataSourceRow[]> {
  if (!app.db.hasCollection(DATA_SOURCES)) return [];
  const rows = await findJson<DataSourceRow>(app.db.getRepository(DATA_SOURCES), { sort: ['key'] });
  const env = (app as unknown as { environment?: { renderJsonTemplate?: (t: unknown) => unknown } }).environment;
  return rows
    .filter((r) => r.key !== 'main')
    .map((r) => ({ ...r, options: (env?.renderJsonTemplate?.(r.options || {}) ?? r.options) as Record<string, unknown> }));
}

/**
 * What a backup does with the requested sources (see planSources), or undefined when none is asked for; the
 * data source manager's collection is read only then.
 */
export async function sourcesToBackUp(app: Application, requested: unknown, skipMissing = false): Promise<SourcePlan | undefined> {
  if (!(requested as { length?: number } | null | undefined)?.length) return undefined;
  return planSources(requested, await listDataSourceRows(app), skipMissing);
}
