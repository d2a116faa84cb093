import { spawnSync } from 'child_process';
import crypto from 'crypto';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { runNs } from './run-scope';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const h = require('../../scripts/app-harness');

/**
 * One `nocobase install` per dialect and plugin build, cloned for every real-app test file: an install costs about
 * 40 s of a 2-core machine, a clone 1 to 3 s (PostgreSQL: CREATE DATABASE … TEMPLATE; MariaDB: dump piped into the
 * client; SQLite: the file). Keeps `npm test` inside its 45 minutes. The key covers what an install depends on: the
 * dialect, the built plugin and the app's lock file; a rebuilt plugin gets a fresh template and the old one is dropped.
 */
export function cloneInstalledApp(appDir: string, env: Record<string, string>, { storage = true } = {}): void {
  const dialect = env.DB_DIALECT;
  const key = templateKey(appDir, dialect);
  const tpl = path.join(os.tmpdir(), `bm-template-${runNs()}${dialect}-${key}`);
  const tplDb = `bm_tpl_${runNs()}${dialect}_${key}`;
  if (!fs.existsSync(path.join(tpl, 'ready'))) {
    dropStaleTemplates(env, dialect);
    const storage = path.join(tpl, 'storage');
    fs.rmSync(tpl, { recursive: true, force: true });
    fs.mkdirSync(storage, { recursive: true });
    const tplEnv: Record<string, string> = { ...env, STORAGE_PATH: storage };
    if (dialect === 'sqlite') {
      tplEnv.DB_STORAGE = path.join(storage, 'db', 'app.sqlite');
      fs.mkdirSync(path.dirname(tplEnv.DB_STORAGE), { recursive: true });
    } else {
      tplEnv.DB_DATABASE = tplDb;
      dropDatabase(tplEnv);
    }
    h.prepare(appDir, { fresh: true, overrides: tplEnv });
    fs.writeFileSync(path.join(tpl, 'ready'), '');
  }
  // The clone: the storage folder as install left it (the browser tests share the app's own), then the database.
  if (storage) fs.cpSync(path.join(tpl, 'storage'), env.STORAGE_PATH, { recursive: true });
  if (dialect === 'sqlite') {
    const file = path.resolve(appDir, env.DB_STORAGE);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.copyFileSync(path.join(tpl, 'storage', 'db', 'app.sqlite'), file);
    return;
  }
  dropDatabase(env);
  if (dialect === 'postgres') {
    run('createdb', ['-h', env.DB_HOST, '-p', env.DB_PORT, '-U', env.DB_USER, '-T', tplDb, env.DB_DATABASE]);
  } else {
    const my = ['-h', env.DB_HOST, '-P', env.DB_PORT, '-u', env.DB_USER];
    run('mariadb', [...my, '-e', `CREATE DATABASE \`${env.DB_DATABASE}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci`]);
    const dump = ['mariadb-dump', ...my, '--single-transaction', '--routines', '--triggers', tplDb].map(q).join(' ');
    run('bash', ['-o', 'pipefail', '-c', `${dump} | ${['mariadb', ...my, env.DB_DATABASE].map(q).join(' ')}`]);
  }
}

/** True when opts.env only carries settings that do not change what `nocobase install` writes. */
export function templateFits(extraEnv: Record<string, string> = {}): boolean {
  return Object.keys(extraEnv).every((k) => k.startsWith('BM_TEST_'));
}

function templateKey(appDir: string, dialect: string): string {
  const hash = crypto.createHash('sha1').update(dialect);
  const dist = path.join(appDir, 'storage', 'plugins', ...h.pkg.name.split('/'), 'dist');
  for (const f of listFiles(path.join(dist, 'server'))) hash.update(f).update(fs.readFileSync(f));
  hash.update(fs.readFileSync(path.join(appDir, 'yarn.lock')));
  return hash.digest('hex').slice(0, 10);
}

function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => (e.isDirectory() ? listFiles(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

function dropStaleTemplates(env: Record<string, string>, dialect: string): void {
  for (const d of fs.readdirSync(os.tmpdir())) {
    if (d.startsWith(`bm-template-${runNs()}${dialect}-`)) fs.rmSync(path.join(os.tmpdir(), d), { recursive: true, force: true });
  }
  if (dialect === 'sqlite') return;
  const like = `bm\\_tpl\\_${runNs().replace(/_/g, '\\_')}${dialect}\\_%`;
  const names =
    dialect === 'postgres'
      ? spawnSync('psql', ['-h', env.DB_HOST, '-p', env.DB_PORT, '-U', env.DB_USER, '-d', 'postgres', '-tAc', `SELECT datname FROM pg_database WHERE datname LIKE '${like}'`], { encoding: 'utf8' }).stdout
      : spawnSync('mariadb', ['-h', env.DB_HOST, '-P', env.DB_PORT, '-u', env.DB_USER, '-N', '-e', `SHOW DATABASES LIKE '${like}'`], { encoding: 'utf8' }).stdout;
  for (const name of (names || '').split('\n').filter(Boolean)) dropDatabase({ ...env, DB_DATABASE: name });
}

export function dropDatabase(env: Record<string, string>): void {
  if (env.DB_DIALECT === 'postgres') {
    spawnSync('dropdb', ['-h', env.DB_HOST, '-p', env.DB_PORT, '-U', env.DB_USER, '--if-exists', '--force', env.DB_DATABASE], { stdio: 'ignore' });
  } else {
    spawnSync('mariadb', ['-h', env.DB_HOST, '-P', env.DB_PORT, '-u', env.DB_USER, '-e', `DROP DATABASE IF EXISTS \`${env.DB_DATABASE}\``], { stdio: 'ignore' });
  }
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, PGPASSWORD: 'postgres', MYSQL_PWD: '' } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status}: ${r.stderr}`);
}
