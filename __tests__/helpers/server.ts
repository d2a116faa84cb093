import fs from 'fs';
import os from 'os';
import path from 'path';
import { createMockServer, type MockServer } from '@nocobase/test';
import PluginBackupsManagerServer from '../../src/server/plugin';
import { NAMESPACE, TASKS } from '../../src/constants';
import { isFinal, waitFor } from './wait-for';

export const dialect = (process.env.DB_DIALECT || 'sqlite') as 'postgres' | 'mysql' | 'mariadb' | 'sqlite';

/** Plugins needed for real sign-in and role checks (createMockServer defaults to acl: false). */
const ACL_PLUGINS = ['field-sort', 'users', 'auth', 'acl', 'data-source-manager', 'system-settings', 'error-handler'];

/** Each suite gets its own storage folder, so archives and uploads never leak between tests. */
export function useTempStorage(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bm-storage-'));
  process.env.STORAGE_PATH = dir;
  return dir;
}

export async function startApp(opts: { acl?: boolean } = {}): Promise<MockServer> {
  if (dialect === 'sqlite' && !process.env.DB_STORAGE) {
    process.env.DB_STORAGE = path.join(os.tmpdir(), `bm-test-${process.pid}-${Date.now()}.sqlite`);
  }
  const app = await createMockServer({
    acl: opts.acl ?? true,
    registerActions: true,
    plugins: [...ACL_PLUGINS, [PluginBackupsManagerServer, { name: 'backups-manager', packageName: undefined }]],
  } as Parameters<typeof createMockServer>[0]);
  return app;
}

export async function adminAgent(app: MockServer) {
  const root = await app.db.getRepository('users').findOne({ filter: { 'roles.name': 'root' } });
  return app.agent().login(root, 'root');
}

/** Polls a task until it leaves pending/running. */
export function waitTask(app: MockServer, id: number | string, timeoutMs = 120000): Promise<Record<string, any>> {
  return waitFor(
    async () => {
      // While a restore replaces the database the table may be missing for a moment: keep asking.
      const row = await app.db
        .getRepository(TASKS)
        .findOne({ filterByTk: id })
        .catch(() => null);
      const json = row?.toJSON() as Record<string, any> | undefined;
      return isFinal(json) && json;
    },
    { timeoutMs, intervalMs: 200, what: `task ${id}` },
  );
}

export { NAMESPACE, TASKS };
