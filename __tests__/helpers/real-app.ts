import fs from 'fs';
import os from 'os';
import path from 'path';
import { cloneInstalledApp, dropDatabase, templateFits } from './app-template';
import { runNs } from './run-scope';
import { isFinal, waitFor } from './wait-for';

// The harness is plain CommonJS shared with `npm start`.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const h = require('../../scripts/app-harness');

export type Dialect = 'postgres' | 'mysql' | 'mariadb' | 'sqlite';
export const ADMIN = { email: 'admin@nocobase.com', password: 'admin123' };

export interface RealApp {
  url: string;
  appDir: string;
  storage: string;
  dialect: Dialect;
  env: Record<string, string>;
  /** Signed-in admin calls: api('backupsManagerTasks:list'), api('x:create', { method: 'POST', body: {...} }). */
  api: (pathAndQuery: string, init?: { method?: string; body?: unknown; headers?: Record<string, string>; token?: string | null }) => Promise<{ status: number; body: any }>;
  token: string;
  stop: () => Promise<void>;
  restart: () => Promise<void>;
  /** The server's process group (yarn start and everything it started). */
  processGroup: () => number;
  /** Starts the server again after it died (a crash test): nothing of the old process group is touched. */
  start: () => Promise<void>;
}

/**
 * A real NocoBase 2.2.15 server (the app `npm start` builds, in .app/), freshly installed on the dialect the test
 * run is for (DB_DIALECT and DB_* from scripts/test.js), with its own storage folder and port: restore is tested
 * the way an admin runs it, including NocoBase's upgrade and restart.
 */
/** `port`: the test's fixed port, already moved by the run's offset (run-scope.ts `port()`). */
export async function startRealApp(opts: { name: string; port: number; dialect?: Dialect; plugins?: string[]; env?: Record<string, string> }): Promise<RealApp> {
  const dialect = (opts.dialect || process.env.DB_DIALECT || 'sqlite') as Dialect;
  const appDir = path.join(h.root, '.app');
  h.ensureApp(appDir);
  if (!fs.existsSync(path.join(appDir, '.env'))) h.writeEnv(appDir);
  if (!fs.existsSync(path.join(appDir, 'storage', 'plugins', '@nbkit'))) h.installPlugin(appDir);
  const storage = fs.mkdtempSync(path.join(os.tmpdir(), `bm-${opts.name}-`));
  const database = `bm_${runNs()}${opts.name}_${dialect}`.replace(/\W/g, '_');
  const env: Record<string, string> = {
    DB_DIALECT: dialect,
    APP_PORT: String(opts.port),
    STORAGE_PATH: storage,
    LOGGER_LEVEL: 'warn',
    INIT_ROOT_EMAIL: ADMIN.email,
    INIT_ROOT_PASSWORD: ADMIN.password,
    ...(opts.env || {}),
  };
  if (dialect === 'sqlite') {
    env.DB_STORAGE = path.join(storage, 'db', 'app.sqlite');
    fs.mkdirSync(path.dirname(env.DB_STORAGE), { recursive: true });
  } else {
    const pg = dialect === 'postgres';
    Object.assign(env, {
      DB_HOST: '127.0.0.1',
      DB_PORT: pg ? '5432' : '3306',
      DB_USER: pg ? 'postgres' : 'root',
      DB_PASSWORD: pg ? 'postgres' : '',
      DB_DATABASE: database,
    });
  }
  if (templateFits(opts.env)) cloneInstalledApp(appDir, env);
  else {
    if (dialect !== 'sqlite') dropDatabase(env);
    h.prepare(appDir, { fresh: true, overrides: env });
  }
  // Plugins the test needs beyond the preset (`pm enable` exits 0 even when it fails: the test checks the result).
  if (opts.plugins?.length) {
    h.run('yarn', ['--silent', 'nocobase', 'pm', 'enable', ...opts.plugins], { cwd: appDir, env: { ...process.env, ...env } });
  }
  let server = await h.startServer(appDir, { quiet: true, overrides: env });
  const url = `http://127.0.0.1:${opts.port}`;
  const app: RealApp = {
    url,
    appDir,
    storage,
    dialect,
    env,
    token: '',
    api: async (p, init = {}) => {
      const headers: Record<string, string> = { ...(init.headers || {}) };
      const token = init.token === undefined ? app.token : init.token;
      if (token) headers.Authorization = `Bearer ${token}`;
      let body: BodyInit | undefined;
      if (init.body instanceof Buffer || init.body instanceof Uint8Array) body = init.body as unknown as BodyInit;
      else if (init.body !== undefined) {
        headers['Content-Type'] = headers['Content-Type'] || 'application/json';
        body = JSON.stringify(init.body);
      }
      const r = await fetch(`${url}/api/${p}`, { method: init.method || (body ? 'POST' : 'GET'), headers, body });
      const text = await r.text();
      let json: unknown = text;
      try {
        json = JSON.parse(text);
      } catch {
        /* not JSON */
      }
      return { status: r.status, body: json };
    },
    stop: async () => {
      await server.stop();
      await waitDown(url);
    },
    restart: async () => {
      await server.stop();
      await waitDown(url);
      server = await h.startServer(appDir, { quiet: true, overrides: env });
    },
    processGroup: () => server.pid,
    start: async () => {
      server = await h.startServer(appDir, { quiet: true, overrides: env });
    },
  };
  app.token = await signIn(url);
  return app;
}

export async function signIn(url: string, account = ADMIN.email, password = ADMIN.password): Promise<string> {
  const r = await fetch(`${url}/api/auth:signIn`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Authenticator': 'basic' },
    body: JSON.stringify({ account, password }),
  });
  const j = (await r.json()) as { data?: { token: string } };
  if (!j.data?.token) throw new Error(`sign-in failed: ${JSON.stringify(j)}`);
  return j.data.token;
}

/**
 * Polls a task through the API until it leaves pending/running; tolerates the 503s of a restart. A restore is
 * marked succeeded before it removes what it replaced (restore/runner.ts, cleanUp): its journal goes last, and the
 * wait for a succeeded one ends then, so that a test sees the storage folder as the restore leaves it.
 */
export async function waitTaskApi(app: RealApp, id: number | string, timeoutMs = 240000): Promise<any> {
  const row = await waitFor(
    async () => {
      const r = await app.api(`backupsManagerTasks:get?filterByTk=${id}`).catch(() => ({ status: 0, body: null }));
      if (r.status === 401) app.token = await signIn(app.url).catch(() => app.token);
      const found = r.status === 200 ? r.body?.data : null;
      return isFinal(found) && found;
    },
    { timeoutMs, intervalMs: 500, what: `task ${id}` },
  );
  if (row.kind === 'restore' && row.status === 'succeeded') await restoreCleanedUp(app, id, timeoutMs);
  return row;
}

/** A succeeded restore's clean-up is over once its journal is gone (restore/runner.ts removes it last). */
export async function restoreCleanedUp(app: Pick<RealApp, 'storage'>, id: number | string, timeoutMs = 240000): Promise<void> {
  const journal = path.join(app.storage, 'backups-manager', 'main', '.journal', 'restore', `${id}.state`);
  await waitFor(async () => !fs.existsSync(journal), { timeoutMs, intervalMs: 100, what: `restore ${id}'s clean-up` });
}

async function waitDown(url: string): Promise<void> {
  for (let i = 0; i < 60; i++) {
    try {
      await fetch(`${url}/api/__health_check`);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}
