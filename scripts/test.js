#!/usr/bin/env node
// `npm test`: unit tests, integration tests once per dialect (PostgreSQL, MariaDB, MySQL dialect on MariaDB,
// SQLite) against real servers, and the browser tests; ends with one "N passed, N failed" line.
// `node scripts/test.js unit|integration|e2e [jest args]` runs one part; DIALECTS=postgres,sqlite narrows.
const { spawn, spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const readline = require('readline');
const h = require('./app-harness');

const root = h.root;
const part = ['unit', 'integration', 'e2e'].includes(process.argv[2]) ? process.argv[2] : 'all';
const extra = process.argv.slice(part === 'all' ? 2 : 3);
const dialects = (process.env.DIALECTS || 'postgres,mariadb,mysql,sqlite').split(',').filter(Boolean);

const PG = { DB_HOST: '127.0.0.1', DB_PORT: '5432', DB_USER: 'postgres', DB_PASSWORD: 'postgres' };
const MY = { DB_HOST: '127.0.0.1', DB_PORT: '3306', DB_USER: 'root', DB_PASSWORD: '' };
// BM_TEST_NS / BM_PORT_OFFSET: a run beside another one on the same machine (see __tests__/helpers/run-scope.ts).
const NS = (process.env.BM_TEST_NS || '').replace(/\W/g, '_');
const OFFSET = Number(process.env.BM_PORT_OFFSET) || 0;
const DB = `bm_test${NS ? `_${NS}` : ''}`;
const DIALECT_ENV = {
  postgres: { DB_DIALECT: 'postgres', DB_DATABASE: DB, ...PG },
  mariadb: { DB_DIALECT: 'mariadb', DB_DATABASE: DB, ...MY },
  mysql: { DB_DIALECT: 'mysql', DB_DATABASE: `${DB}_mysql`, ...MY },
  sqlite: { DB_DIALECT: 'sqlite' },
};

function createDatabases() {
  const pg = spawnSync('psql', ['-h', PG.DB_HOST, '-U', PG.DB_USER, '-d', 'postgres', '-tAc', `select 1 from pg_database where datname='${DB}'`], {
    encoding: 'utf8',
    env: { ...process.env, PGPASSWORD: PG.DB_PASSWORD },
  });
  if (pg.status !== 0) throw new Error(`PostgreSQL is not reachable on 127.0.0.1:5432: ${pg.stderr}`);
  if (pg.stdout.trim() !== '1') h.run('createdb', ['-h', PG.DB_HOST, '-U', PG.DB_USER, DB]);
  for (const db of [DB, `${DB}_mysql`]) {
    h.run('mariadb', ['-h', MY.DB_HOST, '-P', MY.DB_PORT, '-u', MY.DB_USER, '-e', `CREATE DATABASE IF NOT EXISTS ${db} CHARACTER SET utf8mb4`]);
  }
}

// Where each file runs. The aim: every engine's own paths (its dump and restore tools, their crashes, the pre-flight's
// reading of its server) in its pass, every app-level feature once, and `npm test` under 45 minutes on a 2-core
// machine (scripts/test.js logs each pass's slowest files; README, "CI time").
//
// The `mysql` dialect runs on the same MariaDB server as the `mariadb` pass; what differs is the client (mysql,
// mysqldump: on Debian the same MariaDB programs under those names) and its flags. Its pass runs the files that make
// and restore real dumps with them: a round trip, the archive's contents restored into a scratch database, the
// standalone command, the move. The refusals of bad input (archive checks before any tool runs) and the smaller
// restore files run in the other passes.
const MYSQL_DIALECT_FILES = ['restore-roundtrip', 'backup-contents', 'recovery', 'move-dialect'];
// App-level features behave the same on every SQL dialect: each file runs in one pass. On PostgreSQL: upload
// handling, the password header, off-site encryption, skipped files, the schedule (two app instances sharing a server
// database: a unique slot key decides) and the task table (an id that is not an integer, which PostgreSQL refuses
// where SQLite compares it).
const POSTGRES_ONLY_FILES = ['uploads', 'password-header', 'offsite-encryption', 'backup-skipped-files', 'schedule', 'task-store'];
// On SQLite: provenance, hardening (encrypted archives, secrets, app keys, debris, 5,000 files; about 2 minutes of a
// fast machine), alerts, retention, off-site copies, deleting history rows, and a restore of an archive copied into
// the folder. Each engine's own restore is tested in restore-roundtrip, recovery, crash-restore and the pre-flight.
const SQLITE_ONLY_FILES = ['provenance', 'hardening', 'alerts', 'retention-policy', 'offsite', 'delete-rows', 'restore-smoke'];
// External data sources are PostgreSQL and MariaDB databases whatever the app's own dialect: dumped and restored the
// same way from every pass, so one pass runs them (about 35 s each elsewhere).
const MARIADB_ONLY_FILES = ['data-sources'];
// A move from a SQLite app into a server database (issue 20): into PostgreSQL in the PostgreSQL pass, into the MySQL
// family in the mysql pass; the bulk load into MariaDB itself is tested beside the code
// (move/__tests__/copy-rows.real.test.ts).
const MOVE_FILES = ['move-dialect'];
// Sub-applications on a MySQL-family server are databases of their own, dumped and restored like an external source
// (data-sources, above): the sub-application logic runs on PostgreSQL (one in a schema) and SQLite (files). Drills (a
// restore into a scratch database) run in the PostgreSQL and SQLite passes; so does the tarball install, its first
// install in one and its upgrade in the other (tarball-install.test.ts).
const NOT_ON_MARIADB = [...POSTGRES_ONLY_FILES, ...SQLITE_ONLY_FILES, ...MOVE_FILES, 'drills', 'tarball-install', 'sub-apps'];
// The tool tests beside the code (src/**/*.real.test.ts) do not depend on the dialect: they run in the first pass.
const filesFor = (dialect, first) => {
  if (dialect === 'mysql') return ['--testPathPattern', `__tests__/integration/(${MYSQL_DIALECT_FILES.join('|')})\\.test\\.ts$`];
  const ignore = ['/node_modules/'];
  if (!first) ignore.push('\\.real\\.test\\.ts$');
  if (dialect === 'mariadb') ignore.push(`__tests__/integration/(${NOT_ON_MARIADB.join('|')})\\.test\\.ts$`);
  if (dialect === 'sqlite') ignore.push(`__tests__/integration/(${[...POSTGRES_ONLY_FILES, ...MOVE_FILES, ...MARIADB_ONLY_FILES].join('|')})\\.test\\.ts$`);
  if (dialect === 'postgres') ignore.push(`__tests__/integration/(${[...SQLITE_ONLY_FILES, ...MARIADB_ONLY_FILES].join('|')})\\.test\\.ts$`);
  return ignore.length > 1 ? ['--testPathIgnorePatterns', ...ignore] : [];
};

const totals = { passed: 0, failed: 0, skipped: 0 };
/** Names of what failed, printed again just above the last line: CI keeps only the tail of a long log. */
const failures = [];

function noteFailures(label, j) {
  for (const t of j.testResults || []) {
    const file = path.relative(root, t.name);
    const failed = (t.assertionResults || []).filter((a) => a.status === 'failed');
    for (const a of failed) failures.push(`${label}: ${file} › ${a.fullName}`);
    if (!failed.length && t.status === 'failed') failures.push(`${label}: ${file} (${String(t.message || 'suite failed').split('\n').find((l) => l.trim()) || ''})`);
  }
}

/** The slowest test files of a pass, so CI's time can be spent where it matters (README, "CI time"). */
function logSlowest(label, j) {
  const files = (j.testResults || [])
    .map((t) => ({ file: path.relative(root, t.name), ms: (t.endTime ?? 0) - (t.startTime ?? 0) }))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, 8);
  if (files.length) h.log(`${label}, slowest files: ${files.map((f) => `${f.file} ${(f.ms / 1000).toFixed(0)} s`).join(', ')}`);
  const tests = (j.testResults || [])
    .flatMap((t) => (t.assertionResults || []).map((a) => ({ name: `${path.basename(t.name, '.test.ts')} › ${a.title}`, ms: a.duration ?? 0 })))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, 8);
  if (tests.length) h.log(`${label}, slowest tests: ${tests.map((t) => `${t.name.slice(0, 90)} ${(t.ms / 1000).toFixed(0)} s`).join('; ')}`);
}

function count(out, status, label) {
  let counted = false;
  if (fs.existsSync(out)) {
    const j = JSON.parse(fs.readFileSync(out, 'utf8'));
    totals.passed += j.numPassedTests;
    totals.failed += j.numFailedTests + j.numRuntimeErrorTestSuites;
    totals.skipped += j.numPendingTests + j.numTodoTests;
    logSlowest(label, j);
    noteFailures(label, j);
    counted = true;
    fs.rmSync(out, { force: true });
  }
  if (status !== 0 && (!counted || totals.failed === 0)) {
    totals.failed += 1; // a crash with nothing counted
    failures.push(`${label}: exited with ${status} before reporting`);
  }
}

const jestArgs = (out, args) => [require.resolve('jest/bin/jest'), '--json', `--outputFile=${out}`, '--runInBand', ...args, ...extra];
const outFile = (label) => path.join(os.tmpdir(), `bm-jest-${process.pid}-${label.replace(/\W+/g, '_')}.json`);
const minutes = (ms) => `${(ms / 60000).toFixed(1)} min`;

/** CPU time of the finished children of this process (jest, and what it started and waited for), in ms. */
function childCpuMs() {
  try {
    const f = fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
    return ((Number(f[13]) + Number(f[14])) * 1000) / 100; // cutime + cstime, in clock ticks of 10 ms
  } catch {
    return 0;
  }
}

const clock = () => new Date().toISOString().slice(11, 19);

function jest(label, args, env = {}) {
  const out = outFile(label);
  h.log(`running ${label} (${clock()})`);
  const started = Date.now();
  const cpu = childCpuMs();
  const r = spawnSync(process.execPath, jestArgs(out, args), { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  count(out, r.status, label);
  h.log(`${label}: ${minutes(Date.now() - started)} wall, ${minutes(childCpuMs() - cpu)} CPU`);
}

/** One jest run beside others: its lines carry its label, its counts are added when it ends. */
function jestBeside(label, args, env) {
  const out = outFile(label);
  h.log(`running ${label} (${clock()})`);
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, jestArgs(out, args), { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    for (const stream of [child.stdout, child.stderr]) {
      readline.createInterface({ input: stream }).on('line', (line) => process.stdout.write(`[${label}] ${line}\n`));
    }
    child.on('close', (code) => {
      count(out, code ?? 1, label);
      h.log(`${label}: ${minutes(Date.now() - started)} wall`);
      resolve();
    });
  });
}

/**
 * The integration passes (and the browser tests) in TEST_LANES lanes side by side (default 2: the machine's two
 * cores). A third lane was tried (2026-12-05): each file then took about twice as long (the 5,000-file hardening case
 * 348 s against 158 s), so it gained nothing. Each lane has its own ports, databases and app templates (BM_TEST_NS,
 * BM_PORT_OFFSET: __tests__/helpers/run-scope.ts). TEST_LANES=1 runs them one after another.
 */
async function runLanes(passes) {
  const lanes = Math.max(1, Math.min(Number(process.env.TEST_LANES) || 2, passes.length));
  if (lanes === 1) {
    for (const p of passes) await (p.run ? p.run() : jest(p.label, p.args, p.env));
    return;
  }
  const groups = assignLanes(passes, lanes);
  const started = Date.now();
  const cpu = childCpuMs();
  await Promise.all(
    groups.map(async (group, i) => {
      const scope = i === 0 ? {} : { BM_TEST_NS: `${NS}lane${i}`, BM_PORT_OFFSET: String(OFFSET + i * 500), E2E_PORT: '' };
      for (const p of group) await (p.run ? p.run() : jestBeside(p.label, p.args, { ...p.env, ...scope }));
    }),
  );
  h.log(`${passes.length} passes in ${lanes} lanes: ${minutes(Date.now() - started)} wall, ${minutes(childCpuMs() - cpu)} CPU`);
}

/**
 * The passes split into `lanes` groups so that the longest group is as short as can be (the weights are minutes
 * measured here); every split is tried, there are a handful of passes. A queue that gave the next pass to whichever
 * lane was free first (2026-12-06) put MariaDB and the mysql dialect after SQLite and left the other lane idle for a
 * minute at the end.
 */
function assignLanes(passes, lanes) {
  let best = null;
  for (let code = 0; code < lanes ** passes.length; code++) {
    const load = new Array(lanes).fill(0);
    let rest = code;
    const pick = passes.map((p) => {
      const lane = rest % lanes;
      rest = Math.floor(rest / lanes);
      load[lane] += p.weight;
      return lane;
    });
    const worst = Math.max(...load);
    if (!best || worst < best.worst) best = { worst, pick };
  }
  // Longest first in each lane; the lane of the first pass (PostgreSQL's) is lane 0, which runs without a namespace.
  const first = (group) => Math.min(...group.map((p) => passes.indexOf(p)));
  return Array.from({ length: lanes }, (_, lane) => passes.filter((_, i) => best.pick[i] === lane).sort((a, b) => b.weight - a.weight))
    .filter((group) => group.length)
    .sort((a, b) => first(a) - first(b));
}

/** The release tarball, packed once for the install tests of every lane (__tests__/helpers/tarballs.ts). */
function packTarball() {
  const out = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.js'), '--tar'], { cwd: root, encoding: 'utf8' });
  const m = /^tarball: (.+)$/m.exec(out.stdout || '');
  if (out.status !== 0 || !m) throw new Error(`build --tar failed: ${out.stderr || out.stdout}`);
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bm-release-')), path.basename(m[1]));
  fs.copyFileSync(m[1], file);
  return file;
}

/**
 * The TypeScript check counts as one test: a type error is a failure like any other. `npm test` runs it in a lane
 * like a pass; `test.js unit` beside the unit tests. The returned promise settles when it has been counted.
 */
function typecheck() {
  h.log('running the type check (tsc --noEmit)');
  const started = Date.now();
  const child = spawn(process.execPath, [require.resolve('typescript/bin/tsc'), '--noEmit', '-p', '.'], { cwd: root, stdio: 'inherit' });
  return new Promise((resolve) => {
    child.on('close', (code) => {
      if (code === 0) totals.passed += 1;
      else {
        totals.failed += 1;
        failures.push('type check (tsc --noEmit)');
      }
      h.log(`type check: ${minutes(Date.now() - started)} wall`);
      resolve();
    });
  });
}

// Minutes each part takes in CI on a slow machine of this kind, for assignLanes: the fresh-clone run of 2026-12-07
// 01:41 (PostgreSQL 24.1, SQLite 22.5, browser 19.8, MariaDB 15.7, mysql 9.0, unit 4.7, type check 0.4) less what
// moved out of each pass after it (about 4.3, 2.1, 0, 3.9, 3.3 and 1.5 minutes). The unit tests and the type check
// run in a lane too: before them, both lanes waited for them.
const WEIGHT = { postgres: 20, sqlite: 20.5, e2e: 20, mariadb: 12, mysql: 6, unit: 3.2, typecheck: 0.5 };

/**
 * V8's compiled code of NocoBase (and every other package) kept on disk between the processes this run starts
 * (scripts/compile-cache.js): a start and stop of its server took 9.0 s against 11.1 s without (medians of eight pairs,
 * alternating, 2026-12-07), and `npm test` starts it about a hundred times. BM_COMPILE_CACHE=0 turns it off.
 */
function useCompileCache() {
  if (process.env.BM_COMPILE_CACHE === '0') return;
  process.env.BM_COMPILE_CACHE ||= path.join(os.tmpdir(), 'bm-compile-cache');
  process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --require "${path.join(root, 'scripts', 'compile-cache.js')}"`.trim();
}

async function main() {
  h.ensureDevDeps();
  h.ensureApp(path.join(root, '.app'));
  useCompileCache();
  if (part === 'unit') {
    const typechecked = typecheck();
    jest('unit tests', ['--selectProjects', 'unit']);
    await typechecked;
  }
  if (part !== 'unit') {
    // Real-app tests and browser tests run the built plugin copy in .app: build and install this checkout's code once.
    h.installPlugin(path.join(root, '.app'));
    process.env.BM_PLUGIN_INSTALLED = '1';
    process.env.BM_TARBALL = packTarball();
  }
  const passes = [];
  if (part === 'all' || part === 'integration') {
    createDatabases();
    dialects.forEach((d, i) =>
      passes.push({ label: `integration tests on ${d}`, args: ['--selectProjects', 'integration', ...filesFor(d, i === 0)], env: DIALECT_ENV[d], weight: WEIGHT[d] ?? 10 }),
    );
  }
  if (part === 'all' || part === 'e2e') passes.push({ label: 'browser tests', args: ['--selectProjects', 'e2e'], env: {}, weight: WEIGHT.e2e });
  if (part === 'all') {
    passes.push({ label: 'unit tests', args: ['--selectProjects', 'unit'], env: {}, weight: WEIGHT.unit });
    passes.push({ label: 'type check', run: typecheck, weight: WEIGHT.typecheck });
  }
  await runLanes(passes);
  const skipped = totals.skipped ? `, ${totals.skipped} skipped` : '';
  if (failures.length) console.log(`\nFailed:\n${failures.map((f) => `  ${f.replace(/\u001b\[[0-9;]*m/g, '').slice(0, 400)}`).join('\n')}`);
  console.log(`\n${totals.passed} passed, ${totals.failed} failed${skipped}`);
  process.exit(totals.failed ? 1 : 0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
