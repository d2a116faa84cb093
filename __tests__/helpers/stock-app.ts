import { spawnSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { dropDatabase } from './app-template';
import { runNs } from './run-scope';

// The harness is plain CommonJS shared with `npm start`.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const h = require('../../scripts/app-harness');

/**
 * A stock NocoBase 2.2.15 app, as an administrator has one: no trace of this plugin (the dev app in .app has it in
 * storage/plugins, linked from node_modules, and in APPEND_PRESET_BUILT_IN_PLUGINS). Its node_modules is a
 * hard-linked copy of the dev app's (2 s, no disk): NocoBase runs with --preserve-symlinks and resolves plugins
 * from the app's own node_modules, so a symlinked or shared folder would still find the dev copy of the plugin.
 */
export function stockAppDir(): string {
  const devApp = path.join(h.root, '.app');
  h.ensureApp(devApp);
  const dir = stockDir();
  const modules = path.join(dir, 'node_modules');
  const stamp = (d: string) => path.join(d, '.template-hash');
  const fresh = fs.existsSync(stamp(modules)) && fs.readFileSync(stamp(modules), 'utf8') === fs.readFileSync(stamp(path.join(devApp, 'node_modules')), 'utf8');
  if (!fresh) {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    const cp = spawnSync('cp', ['-al', path.join(devApp, 'node_modules'), modules], { encoding: 'utf8' });
    if (cp.status !== 0) throw new Error(`cp -al node_modules: ${cp.stderr}`);
    // The CLI rewrites the admin's index.html in place at each start: give the copy its own files, not shared inodes.
    const html = path.join(modules, '@nocobase', 'app', 'dist', 'client');
    for (const f of ['index.html', 'index.html.tpl']) {
      const file = path.join(html, f);
      if (!fs.existsSync(file)) continue;
      const text = fs.readFileSync(file);
      fs.rmSync(file);
      fs.writeFileSync(file, text);
    }
  }
  unlinkPlugin();
  for (const f of ['package.json', '.yarnrc', 'lerna.json', '.env.e2e']) fs.copyFileSync(path.join(devApp, f), path.join(dir, f));
  fs.mkdirSync(path.join(dir, 'packages', 'plugins'), { recursive: true });
  // The dev app's .env minus the line that presets our plugin and the database (each instance brings its own).
  const env = h.writeEnv(dir) as Record<string, string>;
  delete env.APPEND_PRESET_BUILT_IN_PLUGINS;
  const text = Object.entries(env)
    .filter(([k]) => !k.startsWith('DB_') || k === 'DB_LOGGING' || k === 'DB_DIALECT')
    .map(([k, v]) => `${k}=${v}`)
    .join('\n');
  fs.writeFileSync(path.join(dir, '.env'), `${text}\n`, { mode: 0o600 });
  return dir;
}

const stockDir = () => path.join(os.tmpdir(), `bm-stock-${runNs()}app`);

/** Where the plugin would be if it were installed: a folder under storage/plugins, a package in node_modules. */
export function pluginPresence(appDir: string, storage: string): { inStorage: boolean; resolvable: boolean } {
  const inStorage = fs.existsSync(path.join(storage, 'plugins', ...h.pkg.name.split('/')));
  // Asked of a plain node in the app folder: jest's own resolver also looks in the dev app's node_modules.
  const probe = spawnSync(process.execPath, ['-e', `require.resolve(${JSON.stringify(`${h.pkg.name}/package.json`)})`], {
    cwd: appDir,
    env: { PATH: process.env.PATH },
  });
  return { inStorage, resolvable: probe.status === 0 };
}

export interface StockInstall {
  /** Env of one app instance: its own storage folder, database and port. */
  env: Record<string, string>;
  storage: string;
}

/** DB_* and STORAGE_PATH for one stock instance of this run (dialect from DB_DIALECT). */
export function stockEnv(name: string, appPort: number, dialect = process.env.DB_DIALECT || 'sqlite'): StockInstall {
  const storage = path.join(os.tmpdir(), `bm-stock-${runNs()}${name}`);
  const env: Record<string, string> = {
    DB_DIALECT: dialect,
    APP_PORT: String(appPort),
    STORAGE_PATH: storage,
    LOGGER_LEVEL: 'warn',
    // What NocoBase's CLI sets itself when they are unset; the test process sets them for @nocobase/test (env.js),
    // and children inherit them: without these, `pm add` would link the plugin into the dev app's node_modules.
    NODE_MODULES_PATH: path.join(stockDir(), 'node_modules'),
    NODE_PATH: path.join(stockDir(), 'node_modules'),
    APP_KEY: `stock-app-key-${runNs()}`,
    INIT_ROOT_EMAIL: 'admin@nocobase.com',
    INIT_ROOT_PASSWORD: 'admin123',
  };
  if (dialect === 'sqlite') env.DB_STORAGE = path.join(storage, 'db', 'app.sqlite');
  else if (dialect === 'postgres') {
    Object.assign(env, { DB_HOST: '127.0.0.1', DB_PORT: '5432', DB_USER: 'postgres', DB_PASSWORD: 'postgres', DB_DATABASE: `bm_${runNs()}stock_${name}` });
  } else {
    throw new Error(`stock apps are made on postgres and sqlite only, not ${dialect}`);
  }
  return { env, storage };
}

/** `nocobase install` of the stock app into a fresh storage folder and database (about 20-40 s). */
export function installStock(appDir: string, target: StockInstall): void {
  unlinkPlugin();
  fs.rmSync(target.storage, { recursive: true, force: true });
  fs.mkdirSync(path.join(target.storage, 'db'), { recursive: true });
  if (target.env.DB_DIALECT !== 'sqlite') {
    dropDatabase(target.env);
    run('createdb', ['-h', target.env.DB_HOST, '-p', target.env.DB_PORT, '-U', target.env.DB_USER, target.env.DB_DATABASE]);
  }
  h.run('yarn', ['--silent', 'nocobase', 'install', '-f'], { cwd: appDir, env: { ...process.env, ...target.env } });
}

/**
 * The plugin's link in node_modules, made by `pm add` of an earlier instance (they share the app folder), or copied
 * from the dev app after an installPlugin(). Each instance starts as a stock app without it.
 */
function unlinkPlugin(): void {
  fs.rmSync(path.join(stockDir(), 'node_modules', ...h.pkg.name.split('/')), { recursive: true, force: true });
}

/** A second instance from an installed one: its storage folder and database copied (no second install). */
export function cloneStock(from: StockInstall, to: StockInstall): void {
  unlinkPlugin();
  fs.rmSync(to.storage, { recursive: true, force: true });
  fs.cpSync(from.storage, to.storage, { recursive: true });
  if (to.env.DB_DIALECT === 'sqlite') return; // the database file came with the storage folder
  dropDatabase(to.env);
  run('createdb', ['-h', to.env.DB_HOST, '-p', to.env.DB_PORT, '-U', to.env.DB_USER, '-T', from.env.DB_DATABASE, to.env.DB_DATABASE]);
}

/** Removes an instance's storage folder and database. */
export function removeStock(target: StockInstall): void {
  fs.rmSync(target.storage, { recursive: true, force: true });
  if (target.env.DB_DIALECT !== 'sqlite') dropDatabase(target.env);
}

/** Runs a command in the app as an admin would type it, output captured (yarn pm exits 0 on failure: callers check). */
export function adminRun(appDir: string, target: StockInstall, args: string[]): { status: number | null; output: string } {
  const r = spawnSync('yarn', args, { cwd: appDir, encoding: 'utf8', env: { ...process.env, ...target.env } });
  return { status: r.status, output: `${r.stdout}\n${r.stderr}` };
}

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, PGPASSWORD: 'postgres' } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status}: ${r.stderr}`);
}
