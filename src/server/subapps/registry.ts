import type { Application } from '@nocobase/server';
import { AppSupervisor } from '@nocobase/server';
import { dbConfigFromOptions } from '../db-config';
import type { DbConfig } from '../dumpers/types';
import { BackupError } from '../errors';
import { isSubAppName, resolveBackupSubApps, subAppList } from './selection';
import type { SubAppChoice } from '../../choices';
import { findJson } from '../db/find-json';

// The multi-app manager's sub-applications, as this process's supervisor knows them. Read through NocoBase's own
// API (the applications collection and the supervisor's options factory), so a sub-application's database is the
// one NocoBase itself opens: its own database, its own PostgreSQL schema, or its own SQLite file.

const APPLICATIONS = 'applications';


export async function listSubApps(app: Application): Promise<SubAppChoice[]> {
  if (app.name !== 'main' || !app.db.hasCollection(APPLICATIONS)) return [];
  const rows = await findJson<{ name: string; displayName?: string }>(app.db.getRepository(APPLICATIONS), { sort: ['name'] });
  return rows
    .map((r) => ({ name: String(r.name), title: String(r.displayName || r.name) }))
    .filter((a) => isSubAppName(a.name));
}

/**
 * The sub-applications a backup carries for a request or a schedule (see resolveBackupSubApps); the applications
 * collection is read only when some are asked for.
 */
export async function subAppsToBackUp(app: Application, requested: unknown, skipMissing = false): Promise<string[]> {
  const list = subAppList(requested);
  if (list && !list.length) return [];
  return resolveBackupSubApps(requested, (await listSubApps(app)).map((a) => a.name), skipMissing);
}

/** The sub-application's database, as NocoBase's options factory (with the app's own options) makes it. */
export async function subAppDbConfig(app: Application, name: string): Promise<DbConfig> {
  const row = app.db.hasCollection(APPLICATIONS)
    ? await app.db.getRepository(APPLICATIONS).findOne({ filter: { name } })
    : null;
  if (!row || !isSubAppName(name)) throw new BackupError('SUBAPP_UNKNOWN', { name }, 400);
  const supervisor = AppSupervisor.getInstance() as unknown as {
    appOptionsFactory: (name: string, main: Application, options: Record<string, unknown>) => { database?: Record<string, unknown> };
  };
  const options = supervisor.appOptionsFactory(name, app, (row.get('options') as Record<string, unknown>) || {});
  return dbConfigFromOptions((options.database || {}) as Parameters<typeof dbConfigFromOptions>[0]);
}

type Supervisor = {
  stopApp?(name: string): Promise<void>;
  removeApp(name: string): Promise<void>;
  startApp(name: string): Promise<void>;
  hasApp(name: string): boolean;
};

/** Stops a sub-application and closes its connections, so its database can be replaced. */
export async function stopSubApp(name: string): Promise<void> {
  const supervisor = AppSupervisor.getInstance() as unknown as Supervisor;
  if (supervisor.hasApp(name)) await supervisor.removeApp(name);
}

/** Boots and starts it again on its (restored) database; NocoBase upgrades it if its data is from an older version. */
export async function startSubApp(name: string): Promise<void> {
  const supervisor = AppSupervisor.getInstance() as unknown as Supervisor;
  await supervisor.startApp(name);
}
