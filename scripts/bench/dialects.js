// Per-database pieces of the benchmark: connection settings, SQL through the command-line clients, and the
// "raw tools by hand" backup and restore an administrator would run.
const fs = require('fs');
const path = require('path');
const { runCmd } = require('./util');

const PG = { host: '127.0.0.1', port: '5432', user: 'postgres', password: 'postgres' };
const MY = { host: '127.0.0.1', port: '3306', user: 'root', password: '' };

function pgEnv() {
  return { PGPASSWORD: PG.password };
}
function myEnv() {
  return { MYSQL_PWD: MY.password };
}

/** tar of the storage parts a backup carries (uploads + plugins), and its reverse. */
function storageDirs(storage) {
  return ['uploads', 'plugins'].filter((d) => fs.existsSync(path.join(storage, d)));
}
async function tarStorage(storage, out) {
  return runCmd('tar', ['-cf', out, '-C', storage, ...storageDirs(storage)]);
}
async function untarStorage(storage, tarFile) {
  for (const d of ['uploads', 'plugins']) fs.rmSync(path.join(storage, d), { recursive: true, force: true });
  return runCmd('tar', ['-xf', tarFile, '-C', storage]);
}

const postgres = {
  name: 'postgres',
  label: 'PostgreSQL',
  database: 'bm_bench_pg',
  appEnv(db) {
    return { DB_DIALECT: 'postgres', DB_HOST: PG.host, DB_PORT: PG.port, DB_USER: PG.user, DB_PASSWORD: PG.password, DB_DATABASE: db };
  },
  async sql(db, query) {
    const r = await runCmd('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', PG.host, '-p', PG.port, '-U', PG.user, '-d', db, '-t', '-A', '-c', query], { env: pgEnv() });
    return r.stdout.trim();
  },
  async sqlFile(db, file) {
    await runCmd('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', PG.host, '-p', PG.port, '-U', PG.user, '-d', db, '-f', file], { env: pgEnv() });
  },
  async drop(db) {
    await runCmd('dropdb', ['-h', PG.host, '-p', PG.port, '-U', PG.user, '--if-exists', '--force', db], { env: pgEnv(), allowFail: true });
  },
  q: (name) => `"${name.replace(/"/g, '""')}"`,
  async serverVersion() {
    return this.sql('postgres', 'SHOW server_version');
  },
  async toolVersion() {
    return (await runCmd('pg_dump', ['--version'])).stdout.trim();
  },
  async dbBytes(db) {
    return Number(await this.sql(db, `SELECT pg_database_size(current_database())`));
  },
  async tableBytes(db, table) {
    return Number(await this.sql(db, `SELECT pg_total_relation_size('public.${this.q(table)}')`));
  },
  async settle(db, table) {
    await this.sql(db, `VACUUM ANALYZE ${this.q(table)}`);
  },
  /** pg_dump -Fc (the format our plugin and the built-in use) + tar of storage. */
  async rawBackup(db, storage, outDir) {
    const dump = path.join(outDir, 'raw.dump');
    const tar = path.join(outDir, 'raw-storage.tar');
    const started = Date.now();
    await runCmd('pg_dump', ['-Fc', '-h', PG.host, '-p', PG.port, '-U', PG.user, '-f', dump, db], { env: pgEnv() });
    const dumpMs = Date.now() - started;
    await tarStorage(storage, tar);
    return { ms: Date.now() - started, dumpMs, files: [dump, tar], bytes: fs.statSync(dump).size + fs.statSync(tar).size, command: `pg_dump -Fc ${db} && tar -cf storage.tar uploads plugins` };
  },
  async rawRestore(db, storage, outDir) {
    const started = Date.now();
    await runCmd('pg_restore', ['--clean', '--if-exists', '--no-owner', '-h', PG.host, '-p', PG.port, '-U', PG.user, '-d', db, path.join(outDir, 'raw.dump')], { env: pgEnv() });
    const dbMs = Date.now() - started;
    await untarStorage(storage, path.join(outDir, 'raw-storage.tar'));
    return { ms: Date.now() - started, dbMs, command: `pg_restore --clean --if-exists --no-owner -d ${db} && rm -rf uploads plugins && tar -xf` };
  },
};

const mariadb = {
  name: 'mariadb',
  label: 'MariaDB',
  database: 'bm_bench_my',
  appEnv(db) {
    return { DB_DIALECT: 'mariadb', DB_HOST: MY.host, DB_PORT: MY.port, DB_USER: MY.user, DB_PASSWORD: MY.password, DB_DATABASE: db };
  },
  async sql(db, query) {
    const args = ['--protocol=TCP', '-h', MY.host, '-P', MY.port, '-u', MY.user, '-N', '-B', '-e', query];
    if (db) args.push(db);
    const r = await runCmd('mariadb', args, { env: myEnv() });
    return r.stdout.trim();
  },
  async sqlFile(db, file) {
    await runCmd('mariadb', ['--protocol=TCP', '-h', MY.host, '-P', MY.port, '-u', MY.user, '--default-character-set=utf8mb4', db], { env: myEnv(), stdinFile: file });
  },
  async drop(db) {
    await runCmd('mariadb', ['--protocol=TCP', '-h', MY.host, '-P', MY.port, '-u', MY.user, '-e', `DROP DATABASE IF EXISTS \`${db}\``], { env: myEnv(), allowFail: true });
  },
  q: (name) => `\`${name.replace(/`/g, '``')}\``,
  async serverVersion() {
    return this.sql(null, 'SELECT VERSION()');
  },
  async toolVersion() {
    return (await runCmd('mariadb-dump', ['--version'])).stdout.trim();
  },
  async dbBytes(db) {
    return Number(await this.sql(null, `SELECT COALESCE(SUM(data_length + index_length), 0) FROM information_schema.tables WHERE table_schema = '${db}'`));
  },
  async tableBytes(db, table) {
    return Number(await this.sql(null, `SELECT COALESCE(SUM(data_length + index_length), 0) FROM information_schema.tables WHERE table_schema = '${db}' AND table_name = '${table}'`));
  },
  async settle(db, table) {
    await this.sql(db, `ANALYZE TABLE ${this.q(table)}`);
  },
  /** mariadb-dump --single-transaction (the options our plugin passes, too) + tar of storage. */
  async rawBackup(db, storage, outDir) {
    const dump = path.join(outDir, 'raw.sql');
    const tar = path.join(outDir, 'raw-storage.tar');
    const started = Date.now();
    await runCmd('mariadb-dump', ['--protocol=TCP', '-h', MY.host, '-P', MY.port, '-u', MY.user, '--single-transaction', '--routines', '--triggers', '--events', '--hex-blob', '--default-character-set=utf8mb4', db], { env: myEnv(), stdoutFile: dump });
    const dumpMs = Date.now() - started;
    await tarStorage(storage, tar);
    return { ms: Date.now() - started, dumpMs, files: [dump, tar], bytes: fs.statSync(dump).size + fs.statSync(tar).size, command: `mariadb-dump --single-transaction --routines --triggers --events --hex-blob ${db} > dump.sql && tar -cf storage.tar uploads plugins` };
  },
  async rawRestore(db, storage, outDir) {
    const started = Date.now();
    await runCmd('mariadb', ['--protocol=TCP', '-h', MY.host, '-P', MY.port, '-u', MY.user, '--default-character-set=utf8mb4', db], { env: myEnv(), stdinFile: path.join(outDir, 'raw.sql') });
    const dbMs = Date.now() - started;
    await untarStorage(storage, path.join(outDir, 'raw-storage.tar'));
    return { ms: Date.now() - started, dbMs, command: `mariadb ${db} < dump.sql && rm -rf uploads plugins && tar -xf` };
  },
};

module.exports = { postgres, mariadb, PG, MY };
