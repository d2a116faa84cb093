import fs from 'fs';
import os from 'os';
import path from 'path';
import { createMockServer, type MockServer } from '@nocobase/test';
import PluginBackupsManagerServer from '../../src/server/plugin';
import { SETTINGS, TASKS } from '../../src/constants';
import { getScheduler } from '../../src/server/schedule/scheduler';
import { writeSettings } from '../../src/server/schedule/settings-store';
import type { ScheduleSettings } from '../../src/server/schedule/settings-values';
import { dialect } from './server';
import { waitFor } from './wait-for';
import { findJson } from '../../src/server/db/find-json';
import type { FindOptions } from '@nocobase/database';

// Like helpers/server startApp, plus the notification plugins (failure notices) and a way to boot a second
// instance on the same database and storage, as a cluster would.
const PLUGINS = [
  'field-sort',
  'users',
  'auth',
  'acl',
  'data-source-manager',
  'system-settings',
  'error-handler',
  'notification-manager',
  'notification-in-app-message',
];

type Options = Parameters<typeof createMockServer>[0] & Record<string, unknown>;

export async function startScheduleApp(extra: Record<string, unknown> = {}): Promise<MockServer> {
  if (dialect === 'sqlite' && !process.env.DB_STORAGE) {
    process.env.DB_STORAGE = path.join(os.tmpdir(), `bm-sched-${process.pid}-${Date.now()}.sqlite`);
  }
  return createMockServer({
    acl: true,
    registerActions: true,
    plugins: [...PLUGINS, [PluginBackupsManagerServer, { name: 'backups-manager', packageName: undefined }]],
    ...extra,
  } as Options);
}

/** Another process of the same app: same name, database and storage; installed already by the first. */
export async function startSecondInstance(first: MockServer): Promise<MockServer> {
  return startScheduleApp({ name: first.name, skipInstall: true, skipSupervisor: true, database: first.db.options });
}

export async function setSchedule(apps: MockServer[], values: Partial<ScheduleSettings>): Promise<void> {
  await writeSettings(apps[0].db, values);
  for (const app of apps) await getScheduler(app).rearm();
}

/** waitFor with the schedule tests' short interval. */
export const until = <T>(fn: () => Promise<T | false | null | undefined>, timeoutMs = 60000, what = 'condition') =>
  waitFor(fn, { timeoutMs, intervalMs: 250, what });

export type Row = {
  id: number;
  status: string;
  origin: string;
  slot: string | null;
  errorCode: string | null;
  fileName: string | null;
};

export async function taskRows(app: MockServer, filter: Record<string, unknown> = {}): Promise<Row[]> {
  return findJson<Row>(app.db.getRepository(TASKS), { filter: filter as FindOptions['filter'], sort: ['id'] });
}

export async function clearTasks(app: MockServer, archives: string): Promise<void> {
  await app.db.getModel(TASKS).destroy({ where: {} });
  for (const f of fs.readdirSync(archives).filter((n) => !n.startsWith('.'))) fs.rmSync(path.join(archives, f));
}

export async function idle(app: MockServer): Promise<void> {
  const busy = () => taskRows(app, { status: { $in: ['pending', 'running'] } });
  await until(async () => (await busy()).length === 0, 120000, 'idle').catch(async (err) => {
    throw new Error(`${err.message} ${JSON.stringify(await busy())}`);
  });
}

export { SETTINGS, TASKS };
