// Shared by `npm start`, the e2e tests and the benchmark: creates the dev NocoBase app from app-template/,
// installs this plugin into it and starts it. Nothing here is shipped in the plugin.
const { spawn, spawnSync, execFileSync } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const pkg = require(path.join(root, 'package.json'));
const templateDir = path.join(root, 'app-template');
const { pidsOfGroup } = require('./proc-group');

function log(msg) {
  process.stderr.write(`[backups-manager] ${msg}\n`);
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status}`);
}

function ensureYarn() {
  if (spawnSync('yarn', ['--version'], { stdio: 'ignore' }).status === 0) return;
  log('installing yarn 1 (npm i -g yarn)');
  run('npm', ['i', '-g', 'yarn@1']);
}

/** The plugin's own dev tools (esbuild, jest...): installed from package-lock.json when missing. */
function ensureDevDeps() {
  // A checkout whose node_modules links to another one's (a git worktree) must not reinstall it: `npm ci` would
  // empty the shared folder under the other checkout's running tests.
  if (fs.lstatSync(path.join(root, 'node_modules'), { throwIfNoEntry: false })?.isSymbolicLink()) return;
  const stamp = path.join(root, 'node_modules', '.package-lock.json');
  if (fs.existsSync(stamp) && fs.statSync(stamp).mtimeMs >= fs.statSync(path.join(root, 'package-lock.json')).mtimeMs) return;
  log('installing the plugin dev dependencies (npm ci)');
  run('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root });
}

function templateHash() {
  const h = crypto.createHash('sha256');
  for (const f of ['package.json', 'yarn.lock', '.yarnrc']) h.update(fs.readFileSync(path.join(templateDir, f)));
  return h.digest('hex').slice(0, 16);
}

/** Creates or refreshes the app's files and node_modules. Only reinstalls when the template changed. */
function ensureApp(appDir) {
  ensureYarn();
  fs.mkdirSync(appDir, { recursive: true });
  for (const f of fs.readdirSync(templateDir)) {
    fs.cpSync(path.join(templateDir, f), path.join(appDir, f), { recursive: true });
  }
  for (const d of ['storage/db', 'storage/uploads', 'storage/plugins', 'packages/plugins']) {
    fs.mkdirSync(path.join(appDir, d), { recursive: true });
  }
  const stamp = path.join(appDir, 'node_modules', '.template-hash');
  const want = templateHash();
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === want) return false;
  log('installing NocoBase 2.2.15 (yarn install --frozen-lockfile; a few minutes the first time)');
  const started = Date.now();
  run('yarn', ['install', '--frozen-lockfile', '--non-interactive', '--network-timeout', '600000'], {
    cwd: appDir,
    env: { ...process.env, CI: '' },
  });
  fs.writeFileSync(stamp, want);
  log(`yarn install took ${Math.round((Date.now() - started) / 1000)} s`);
  return true;
}

function readEnvFile(file) {
  const out = {};
  if (!fs.existsSync(file)) return out;
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = /^\s*([A-Z0-9_]+)\s*=\s*(.*)$/.exec(line);
    if (m) out[m[1]] = m[2];
  }
  return out;
}

/**
 * The app's .env: SQLite by default; DB_* from the caller's environment when DB_DIALECT is set.
 * APP_KEY is generated once and kept, so encrypted values stay readable across starts.
 */
function writeEnv(appDir, overrides = {}) {
  const envFile = path.join(appDir, '.env');
  const previous = readEnvFile(envFile);
  const e = { ...process.env, ...overrides };
  const dialect = e.DB_DIALECT || 'sqlite';
  const env = {
    APP_ENV: 'development',
    APP_KEY: previous.APP_KEY || crypto.randomBytes(48).toString('base64'),
    APP_PORT: e.APP_PORT || '13000',
    API_BASE_PATH: '/api/',
    DB_LOGGING: 'off',
    DB_DIALECT: dialect,
    APPEND_PRESET_BUILT_IN_PLUGINS: pkg.name,
    INIT_ROOT_EMAIL: e.INIT_ROOT_EMAIL || 'admin@nocobase.com',
    INIT_ROOT_PASSWORD: e.INIT_ROOT_PASSWORD || 'admin123',
    INIT_ROOT_NICKNAME: 'Super Admin',
    INIT_ROOT_USERNAME: 'nocobase',
    LOGGER_TRANSPORT: e.LOGGER_TRANSPORT || 'file',
  };
  if (dialect === 'sqlite') {
    env.DB_STORAGE = e.DB_STORAGE || 'storage/db/nocobase.sqlite';
  } else {
    const defaults = { postgres: '5432', mysql: '3306', mariadb: '3306', kingbase: '54321' };
    Object.assign(env, {
      DB_HOST: e.DB_HOST || '127.0.0.1',
      DB_PORT: e.DB_PORT || defaults[dialect] || '',
      DB_DATABASE: e.DB_DATABASE || 'nocobase',
      DB_USER: e.DB_USER || (dialect === 'postgres' ? 'postgres' : 'root'),
      DB_PASSWORD: e.DB_PASSWORD || '',
    });
    if (e.DB_SCHEMA) env.DB_SCHEMA = e.DB_SCHEMA;
  }
  if (e.DB_TABLE_PREFIX) env.DB_TABLE_PREFIX = e.DB_TABLE_PREFIX;
  const text = Object.entries(env)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n');
  fs.writeFileSync(envFile, `${text}\n`, { mode: 0o600 });
  return env;
}

/** Creates the server database when it does not exist (SQLite creates its file itself). */
function ensureDatabase(env) {
  if (env.DB_DIALECT === 'postgres') {
    const q = spawnSync('psql', ['-h', env.DB_HOST, '-p', env.DB_PORT, '-U', env.DB_USER, '-d', 'postgres', '-tAc',
      `select 1 from pg_database where datname='${env.DB_DATABASE.replace(/'/g, "''")}'`], {
      env: { ...process.env, PGPASSWORD: env.DB_PASSWORD },
      encoding: 'utf8',
    });
    if (q.status === 0 && q.stdout.trim() !== '1') {
      run('createdb', ['-h', env.DB_HOST, '-p', env.DB_PORT, '-U', env.DB_USER, env.DB_DATABASE], {
        env: { ...process.env, PGPASSWORD: env.DB_PASSWORD },
      });
    }
  } else if (env.DB_DIALECT === 'mysql' || env.DB_DIALECT === 'mariadb') {
    const client = spawnSync('mariadb', ['--version']).status === 0 ? 'mariadb' : 'mysql';
    run(client, ['-h', env.DB_HOST, '-P', env.DB_PORT, '-u', env.DB_USER, '-e',
      `CREATE DATABASE IF NOT EXISTS \`${env.DB_DATABASE}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci`], {
      env: { ...process.env, MYSQL_PWD: env.DB_PASSWORD },
    });
  }
}

/** Builds the plugin and puts a copy into storage/plugins, linked from node_modules as NocoBase does itself. */
function installPlugin(appDir) {
  run(process.execPath, [path.join(root, 'scripts/build.js')], { cwd: root });
  const target = path.join(appDir, 'storage', 'plugins', ...pkg.name.split('/'));
  fs.rmSync(target, { recursive: true, force: true });
  fs.mkdirSync(target, { recursive: true });
  for (const f of ['package.json', 'dist', 'client.js', 'server.js', 'client.d.ts', 'server.d.ts']) {
    fs.cpSync(path.join(root, f), path.join(target, f), { recursive: true });
  }
  const link = path.join(appDir, 'node_modules', ...pkg.name.split('/'));
  fs.mkdirSync(path.dirname(link), { recursive: true });
  fs.rmSync(link, { recursive: true, force: true });
  fs.symlinkSync(target, link, 'dir');
}

/** The app's .env with per-run overrides (the e2e tests use their own SQLite file and port this way). */
function appEnv(appDir, overrides = {}) {
  return { ...readEnvFile(path.join(appDir, '.env')), ...overrides };
}

function nocobase(appDir, args, extraEnv = {}) {
  run('yarn', ['--silent', 'nocobase', ...args], { cwd: appDir, env: { ...process.env, ...extraEnv } });
}

function isInstalled(appDir, env) {
  // `nocobase install` on an installed app asks before wiping it; decide ourselves.
  if (env.DB_DIALECT === 'sqlite') return fs.existsSync(path.join(appDir, env.DB_STORAGE));
  const marker = path.join(appDir, 'storage', `.installed-${env.DB_DIALECT}-${env.DB_HOST}-${env.DB_PORT}-${env.DB_DATABASE}`);
  return fs.existsSync(marker);
}

function markInstalled(appDir, env) {
  if (env.DB_DIALECT === 'sqlite') return;
  fs.writeFileSync(path.join(appDir, 'storage', `.installed-${env.DB_DIALECT}-${env.DB_HOST}-${env.DB_PORT}-${env.DB_DATABASE}`), '');
}

/** install (first time) or upgrade (every later start: picks up the rebuilt plugin and its migrations). */
function prepare(appDir, { fresh = false, overrides = {} } = {}) {
  const env = appEnv(appDir, overrides);
  ensureDatabase(env);
  const childEnv = { DB_DIALECT: env.DB_DIALECT, ...overrides };
  if (fresh || !isInstalled(appDir, env)) {
    log(`installing the app on ${env.DB_DIALECT}`);
    nocobase(appDir, ['install', '-f'], childEnv);
    markInstalled(appDir, env);
  } else {
    log('upgrading the app (plugin rebuilt)');
    nocobase(appDir, ['upgrade'], childEnv);
  }
}

/** Starts the server in its own process group; resolves once /api/__health_check answers. */
async function startServer(appDir, { quiet = false, overrides = {} } = {}) {
  const env = appEnv(appDir, overrides);
  const p = env.APP_PORT || '13000';
  // A server still shutting down on this port would answer the health check in place of the new one.
  if (!(await portFree(`http://127.0.0.1:${p}`, 30000))) throw new Error(`port ${p} is still answered by another server: stop it first`);
  // What `yarn start` runs (the app's package.json: `nocobase-v1 start`), without yarn in front of it: yarn's own
  // start-up cost 0.5 to 1 s a start, and `npm test` starts NocoBase about a hundred times. PATH as yarn sets it.
  const bin = path.join(appDir, 'node_modules', '.bin');
  const child = spawn(process.execPath, [path.join(bin, 'nocobase-v1'), 'start', '--launch-mode', 'direct'], {
    cwd: appDir,
    detached: true,
    stdio: quiet ? ['ignore', 'ignore', 'inherit'] : 'inherit',
    env: { ...process.env, ...overrides, APP_PORT: p, PATH: `${bin}${path.delimiter}${overrides.PATH ?? process.env.PATH ?? ''}` },
  });
  const url = `http://127.0.0.1:${p}`;
  const deadline = Date.now() + 180000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`NocoBase exited with code ${child.exitCode}`);
    try {
      const r = await fetch(`${url}/api/__health_check`);
      if (r.ok) return { child, url, pid: child.pid, stop: () => stopServer(child) };
    } catch {
      /* not up yet */
    }
    // Every 100 ms: a start is over about 250 ms sooner than with half-second polls (about a hundred a test run).
    await new Promise((r) => setTimeout(r, 100));
  }
  stopServer(child);
  throw new Error('NocoBase did not become healthy within 180 s');
}

/** SIGTERM to the server's process group; resolves once every process of it is gone (SIGKILL after 30 s). */
async function stopServer(child) {
  const pgid = child.pid;
  try {
    process.kill(-pgid, 'SIGTERM');
  } catch {
    return; // already gone
  }
  const deadline = Date.now() + 30000;
  while (pidsOfGroup(pgid).length && Date.now() < deadline) await sleep(200);
  if (pidsOfGroup(pgid).length) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      /* gone */
    }
    while (pidsOfGroup(pgid).length && Date.now() < deadline + 10000) await sleep(200);
  }
}

/** True once nothing answers the health check at url (waits up to timeoutMs). */
async function portFree(url, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await fetch(`${url}/api/__health_check`, { signal: AbortSignal.timeout(2000) });
    } catch {
      return true;
    }
    if (Date.now() >= deadline) return false;
    await sleep(500);
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

module.exports = { root, pkg, ensureDevDeps, ensureApp, appEnv, writeEnv, installPlugin, prepare, startServer, stopServer, readEnvFile, log, run };
