import type { Manifest } from '../archive/manifest-types';
import { sameFamily } from '../db-config';
import { describeDataSource, sourceDbConfig } from '../datasources/kinds';
import { listDataSourceRows, sourcesToBackUp } from '../datasources/registry';
import type { DbConfig } from '../dumpers/types';
import { BackupError } from '../errors';
import type { BackupsService, TaskRow } from '../service';
import { startSubApp, subAppDbConfig } from '../subapps/registry';
import type { RestoreSelection } from '../subapps/selection';
import { NAMESPACE } from '../../constants';

// The databases a restore replaces besides the main one: sub-applications and external data sources. Checked
// before the task starts, carried by its safety backup, replaced and (on failure) put back the same way.

/** A sub-application or an external data source being restored, and its database now. */
export interface ExtraTarget {
  kind: 'app' | 'source';
  name: string;
  db: DbConfig;
}

/** Each chosen sub-application must exist here now, on a database of the archive's kind. */
export async function subAppTargets(service: BackupsService, manifest: Manifest, selection: RestoreSelection): Promise<ExtraTarget[]> {
  const targets: ExtraTarget[] = [];
  for (const name of selection.subApps) {
    const carried = (manifest.apps || []).find((a) => a.name === name);
    if (!carried) throw new BackupError('SUBAPP_NOT_IN_BACKUP', { name }, 400);
    const db = await subAppDbConfig(service.app, name);
    if (!sameFamily(db.dialect, carried.dialect as DbConfig['dialect'])) {
      throw new BackupError('DIALECT_MISMATCH', { backup: carried.dialect, current: db.dialect }, 422);
    }
    targets.push({ kind: 'app', name, db });
  }
  return targets;
}

/** Each chosen data source must be configured here now, with a dump tool, on a database of the archive's kind. */
export async function sourceTargets(service: BackupsService, manifest: Manifest, keys: string[]): Promise<ExtraTarget[]> {
  if (!keys.length) return [];
  const rows = await listDataSourceRows(service.app);
  const targets: ExtraTarget[] = [];
  for (const key of keys) {
    const carried = (manifest.dataSources || []).find((d) => d.key === key);
    const row = rows.find((r) => r.key === key);
    if (!carried) throw new BackupError('DATASOURCE_NOT_IN_BACKUP', { key }, 400);
    if (!row) throw new BackupError('DATASOURCE_UNKNOWN', { key }, 400);
    const choice = describeDataSource(row);
    if (!choice.supported) throw new BackupError(choice.reason || 'DATASOURCE_NO_TOOL', { key, type: row.type }, 400);
    const db = sourceDbConfig(row);
    if (!sameFamily(db.dialect, carried.dialect as DbConfig['dialect'])) {
      throw new BackupError('DIALECT_MISMATCH', { backup: carried.dialect, current: db.dialect }, 422);
    }
    targets.push({ kind: 'source', name: key, db });
  }
  return targets;
}

/** A source the safety backup could not dump (server down...) could not be put back: stop before any change. */
export function assertSafetyCovers(safety: TaskRow, targets: ExtraTarget[]): void {
  const carried = ((safety.summary as { dataSources?: string[] } | undefined)?.dataSources) ?? [];
  const missing = targets.find((t) => t.kind === 'source' && !carried.includes(t.name));
  if (missing) throw new BackupError('DATASOURCE_SAFETY_FAILED', { key: missing.name }, 502);
}

/** What a safety backup must carry to put these targets back. */
export async function safetyExtras(service: BackupsService, targets: ExtraTarget[]) {
  const sourceKeys = targets.filter((t) => t.kind === 'source').map((t) => t.name);
  return {
    subApps: targets.filter((t) => t.kind === 'app').map((t) => t.name),
    dataSources: await sourcesToBackUp(service.app, sourceKeys),
  };
}

export async function startSubApps(service: BackupsService, targets: ExtraTarget[]): Promise<void> {
  for (const t of targets.filter((x) => x.kind === 'app')) {
    await startSubApp(t.name).catch((err) => service.app.log.error(`[${NAMESPACE}] sub-application ${t.name} did not start`, { err }));
  }
}
