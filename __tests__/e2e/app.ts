import fs from 'fs';
import path from 'path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { cloneInstalledApp } from '../helpers/app-template';
import { port } from '../helpers/run-scope';

// The harness is plain CommonJS shared with `npm start`.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const h = require('../../scripts/app-harness');

export const ARTIFACTS = path.join(__dirname, '..', '.artifacts');
export const ADMIN = { email: 'admin@nocobase.com', password: 'admin123' };

export interface E2eApp {
  url: string;
  appDir: string;
  /** The app's SQLite file. */
  dbFile: string;
  stop: () => Promise<void>;
}

export interface E2eOptions {
  plugins?: string[];
  /** The SQLite file under storage/db (default e2e.sqlite): a test run beside another one needs its own. */
  db?: string;
}

/** A real NocoBase 2.2.15 app (the one `npm start` builds), on its own SQLite file and port, freshly installed (a clone of one install). */
export async function startE2eApp(opts: E2eOptions = {}): Promise<E2eApp> {
  const appDir = path.join(h.root, '.app');
  h.ensureApp(appDir);
  if (!fs.existsSync(path.join(appDir, '.env'))) h.writeEnv(appDir);
  const overrides = {
    DB_DIALECT: 'sqlite',
    DB_STORAGE: `storage/db/${opts.db ?? 'e2e.sqlite'}`,
    APP_PORT: process.env.E2E_PORT || String(port(13090)),
    INIT_ROOT_EMAIL: ADMIN.email,
    INIT_ROOT_PASSWORD: ADMIN.password,
  };
  // npm test built and installed it once for every lane; rebuilding here would pull it from under the other lane's servers.
  if (!process.env.BM_PLUGIN_INSTALLED) h.installPlugin(appDir);
  cloneInstalledApp(appDir, overrides, { storage: false });
  if (opts.plugins?.length) {
    h.run('yarn', ['--silent', 'nocobase', 'pm', 'enable', ...opts.plugins], { cwd: appDir, env: { ...process.env, ...overrides } });
  }
  const server = await h.startServer(appDir, { quiet: true, overrides });
  return { url: `http://127.0.0.1:${overrides.APP_PORT}`, appDir, dbFile: path.join(appDir, overrides.DB_STORAGE), stop: server.stop };
}

/** One app and one browser for a test file, started before its tests and stopped (awaited) after them. */
export function useE2eSession(opts: E2eOptions = {}): { readonly app: E2eApp; readonly browser: Browser } {
  const session = {} as { app: E2eApp; browser: Browser };
  beforeAll(async () => {
    session.app = await startE2eApp(opts);
    session.browser = await launch();
  }, 600000);
  afterAll(async () => {
    await session.browser?.close();
    await session.app?.stop();
  });
  return session;
}

export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * Waits until antd's opening animation of a dialog (its zoom, the mask's fade) has ended. A click while the dialog
 * still moves can land beside the button on a loaded machine and be lost without a trace (CI, 2026-12-06: Start
 * backup clicked, no request sent, the dialog still open a minute later). Spinners (infinite animations) don't count.
 */
export async function dialogSettled(page: Page): Promise<void> {
  await page.getByRole('dialog').last().waitFor({ timeout: 30000 });
  await page.waitForFunction(
    () =>
      document.getAnimations().every((a) => {
        const target = (a.effect as KeyframeEffect | null)?.target;
        const finite = a.effect?.getTiming().iterations !== Infinity;
        return !finite || a.playState !== 'running' || !target?.closest('.ant-modal, .ant-modal-mask, .ant-modal-wrap');
      }),
    undefined,
    { timeout: 30000 },
  );
}

/** Console errors are collected: one broken plugin bundle takes the whole admin down. */
export function watchConsole(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  return errors;
}

export async function signIn(page: Page, url: string, password = ADMIN.password): Promise<void> {
  await page.goto(`${url}/signin`);
  await page.getByPlaceholder('Username/Email').fill(ADMIN.email);
  await page.getByPlaceholder('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((u) => !u.pathname.startsWith('/signin'), { timeout: 60000 });
}

export async function apiToken(url: string): Promise<string> {
  const r = await fetch(`${url}/api/auth:signIn`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Authenticator': 'basic' },
    body: JSON.stringify({ account: ADMIN.email, password: ADMIN.password }),
  });
  const j = (await r.json()) as { data: { token: string } };
  return j.data.token;
}

export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
