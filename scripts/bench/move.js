// The move scenario (issue 20, `--only move`): a SQLite app with 1,000,000 rows in one collection and 2,000 uploads is
// moved into an empty PostgreSQL database with `nb-backups restore --into-dialect`, and compared with our own
// same-dialect restore of the same data on PostgreSQL (a backup of the moved app restored into it by the same command).
// Both are timed end to end (the command's wall time, NocoBase's own steps included) with the command's process RSS
// sampled every 100 ms: the move's memory is what the command itself holds (rows stream between two children).
// Then the same backup is moved from the settings page: uploaded to the running PostgreSQL app and restored there
// (the server runs the move, NocoBase's install and db:sync as its children), timed from the restore request until
// the app answers again, with the server process's RSS sampled every 100 ms (issue 20's target is the server's), and
// compared with a same-dialect restore from the settings page of the same data, timed the same way.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn } = require('child_process');
const h = require('../app-harness');
const { log, runCmd, human, writeMarkedSection } = require('./util');
const { rssKb, RssSampler } = require('./monitor');
const { Api } = require('./http');
const { createCollection, writeFiles, TABLE } = require('./dataset');
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { pidsOfGroup } = require('../proc-group');

const STANDALONE = path.join(h.root, 'dist', 'cli', 'standalone.js');
const BEGIN = '<!-- bench:move:begin -->';
const END = '<!-- bench:move:end -->';
const TARGETS = { ratio: 3, growthMb: 128 };

// The command's steps, by the first line it prints for each (their offsets split the wall time).
const MARKS = [
  ['checking', /^Checking /],
  ['safety backup', /safety backup of the current state/],
  ['database', /^Restoring the database/],
  ['nocobase install', /nocobase install/],
  ['copy, round 1', /^Copying \d+ tables/],
  ['nocobase db:sync', /nocobase db:sync/],
  ['copy, round 2', /^Copying \d+ more tables/],
  ['files', /^Restoring the files/],
  ['nocobase upgrade', /Running `yarn nocobase upgrade`/],
];

/** SQL on a SQLite file through the app's sqlite3 module in a child (first column of each row, one per line). */
function sqliteRunner(appDir) {
  const mod = require.resolve('sqlite3', { paths: [path.join(appDir, 'node_modules')] });
  const script = `const s = require(process.argv[1]); const db = new s.Database(process.argv[2]);
const sql = process.argv[3].startsWith('@') ? require('fs').readFileSync(process.argv[3].slice(1), 'utf8') : process.argv[3];
const done = (e, rows) => { if (e) { console.error(e.message); process.exitCode = 1; } else if (rows) console.log(rows.map((r) => Object.values(r)[0]).join('\\n')); db.close(); };
if (process.argv[4] === 'exec') db.exec(sql, (e) => done(e)); else db.all(sql, done);`;
  return {
    query: async (file, sql) => (await runCmd(process.execPath, ['-e', script, mod, file, sql])).stdout.trim(),
    exec: async (file, sql) => runCmd(process.execPath, ['-e', script, mod, file, sql, 'exec']),
  };
}

/** Runs nb-backups in the app folder, in its own process group; samples its RSS and the group's every 100 ms. */
function timedCli(appDir, args, env) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(process.execPath, [STANDALONE, ...args], { cwd: appDir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const marks = {};
    let stdout = '';
    let stderr = '';
    let pending = '';
    let base = null;
    let peak = 0;
    let peakGroup = 0;
    const timer = setInterval(() => {
      const kb = rssKb(child.pid);
      if (!kb) return;
      if (base === null) base = kb * 1024;
      peak = Math.max(peak, kb * 1024);
      let group = 0;
      for (const pid of pidsOfGroup(child.pid)) group += rssKb(pid) || 0;
      peakGroup = Math.max(peakGroup, group * 1024);
    }, 100);
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      if (stderr.length < 4e6) stderr += d;
      pending += d;
      const lines = pending.split('\n');
      pending = lines.pop();
      for (const line of lines) {
        for (const [name, re] of MARKS) if (!(name in marks) && re.test(line.trim())) marks[name] = Date.now() - started;
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(timer);
      const ms = Date.now() - started;
      if (code !== 0) return reject(new Error(`nb-backups ${args.join(' ')} exited with ${code}: ${stderr.slice(-3000)}`));
      resolve({ ms, marks, stdout, stderr, baseRss: base, peakRss: peak, peakGroup, result: JSON.parse(stdout.trim().split('\n').pop()) });
    });
  });
}

/** { step: ms } from the offsets of the marks seen, in order, up to the end. */
function phases(run) {
  const seen = MARKS.map(([name]) => [name, run.marks[name]]).filter(([, t]) => t !== undefined);
  return Object.fromEntries(seen.map(([name, t], i) => [name, (i + 1 < seen.length ? seen[i + 1][1] : run.ms) - t]));
}

async function benchMove(opts, ctx, res) {
  const rows = opts.moveRows || 1000000;
  const uploads = opts.moveUploads || 2000;
  const appDir = ctx.appDir;
  const sq = sqliteRunner(appDir);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bm-bench-move-'));
  ctx.onCleanup('remove the move scenario folder', () => fs.rmSync(work, { recursive: true, force: true }));
  const srcStorage = path.join(work, 'sqlite-storage');
  const dstStorage = path.join(work, 'pg-storage');
  const file = path.join(srcStorage, 'db', 'move.sqlite');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.mkdirSync(dstStorage, { recursive: true });
  const common = { APP_PORT: String(opts.port), LOGGER_LEVEL: 'warn', INIT_ROOT_EMAIL: 'admin@nocobase.com', INIT_ROOT_PASSWORD: 'admin123' };
  const srcEnv = { ...common, DB_DIALECT: 'sqlite', DB_STORAGE: file, STORAGE_PATH: srcStorage };
  const db = 'bm_bench_move';
  const pg = { DB_DIALECT: 'postgres', DB_HOST: '127.0.0.1', DB_PORT: '5432', DB_USER: 'postgres', DB_PASSWORD: 'postgres', DB_DATABASE: db };
  const dstEnv = { ...common, ...pg, STORAGE_PATH: dstStorage };
  const psql = async (sql, database = db) =>
    (await runCmd('psql', ['-X', '-q', '-tA', '-v', 'ON_ERROR_STOP=1', '-h', pg.DB_HOST, '-U', pg.DB_USER, '-d', database, '-c', sql], { env: { PGPASSWORD: pg.DB_PASSWORD } })).stdout.trim();
  const dropDb = () => runCmd('dropdb', ['-h', pg.DB_HOST, '-U', pg.DB_USER, '--if-exists', '--force', db], { env: { PGPASSWORD: pg.DB_PASSWORD }, allowFail: true });
  ctx.onCleanup(`drop database ${db}`, dropDb);
  Object.assign(res, { scenario: 'move', rows, uploads, from: 'sqlite', to: 'postgres' });

  log(`move: a SQLite app with ${rows} rows and ${uploads} uploads`);
  h.prepare(appDir, { fresh: true, overrides: srcEnv });
  const server = await h.startServer(appDir, { quiet: true, overrides: srcEnv });
  try {
    const api = new Api(server.url);
    await api.signIn();
    await createCollection(api);
  } finally {
    await h.stopServer(server.child);
  }
  const q = (n) => `"${n.replace(/"/g, '""')}"`;
  const cols = ['id', 'title', 'body', 'amount', 'quantity', 'status', 'happenedAt', 'flag', 'createdAt', 'updatedAt'].map(q).join(', ');
  // As NocoBase writes them on SQLite: times as text with an offset, booleans 0/1.
  await sq.exec(
    file,
    `DELETE FROM ${q(TABLE)}; WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < ${rows}) ` +
      `INSERT INTO ${q(TABLE)} (${cols}) SELECT n, 'Item ' || n, hex(randomblob(40)) || ' ' || hex(randomblob(40)), ` +
      `(n % 100000) / 100.0, n % 1000, CASE n % 4 WHEN 0 THEN 'new' WHEN 1 THEN 'open' WHEN 2 THEN 'done' ELSE 'archived' END, ` +
      `strftime('%Y-%m-%d %H:%M:%f +00:00', '2024-01-01', '+' || n || ' minutes'), n % 2, ` +
      `strftime('%Y-%m-%d %H:%M:%f +00:00', 'now'), strftime('%Y-%m-%d %H:%M:%f +00:00', 'now') FROM g;`,
  );
  const files = writeFiles(srcStorage, uploads, uploads * 20 * 1024);
  const storageId = await sq.query(file, `SELECT id FROM storages WHERE type = 'local' ORDER BY id LIMIT 1`);
  const attachments = path.join(work, 'attachments.sql');
  fs.writeFileSync(
    attachments,
    `INSERT INTO attachments (title, filename, extname, size, mimetype, path, url, storageId, meta, createdAt, updatedAt) VALUES\n` +
      files
        .map((f) => `('${f.filename}', '${f.filename}', '${path.extname(f.filename)}', ${f.size}, 'text/plain', 'bench', '/storage/uploads/bench/${f.filename}', ${storageId}, '{}', strftime('%Y-%m-%d %H:%M:%f +00:00', 'now'), strftime('%Y-%m-%d %H:%M:%f +00:00', 'now'))`)
        .join(',\n') +
      ';\n',
  );
  await sq.exec(file, `@${attachments}`);
  res.sqliteBytes = fs.statSync(file).size;

  log('move: backing up the SQLite app (nb-backups backup)');
  const backup = await timedCli(appDir, ['backup', '--json'], srcEnv);
  res.backup = { ms: backup.ms, bytes: backup.result.size };

  await dropDb();
  await psql(`CREATE DATABASE ${db}`, 'postgres');
  log('move: nb-backups restore --into-dialect into an empty PostgreSQL database');
  // A backup made by the command cannot list NocoBase's enabled plugins (they live in its tables): a warning to accept.
  const move = await timedCli(appDir, ['restore', backup.result.file, '--into-dialect', '--yes', '--accept-warnings', '--json'], dstEnv);
  const moved = Number(await psql(`SELECT count(*) FROM ${q(TABLE)}`));
  if (moved !== rows) throw new Error(`moved ${moved} rows of ${rows}`);
  res.move = { ms: move.ms, phases: phases(move), baseRss: move.baseRss, peakRss: move.peakRss, growth: move.peakRss - move.baseRss, peakGroup: move.peakGroup, rowsMoved: moved, tables: Object.keys(move.result.move.moved).length };

  log('move: the same data restored on PostgreSQL (nb-backups backup, then restore)');
  const pgBackup = await timedCli(appDir, ['backup', '--json'], dstEnv);
  const same = await timedCli(appDir, ['restore', pgBackup.result.file, '--yes', '--accept-warnings', '--json'], dstEnv);
  res.same = { ms: same.ms, phases: phases(same), upgraded: same.result.upgraded, baseRss: same.baseRss, peakRss: same.peakRss };
  res.ratio = move.ms / same.ms;
  res.met = { ratio: res.ratio <= TARGETS.ratio, memory: res.move.growth < TARGETS.growthMb * 1048576 };
  log(`move: ${(move.ms / 1000).toFixed(1)} s against ${(same.ms / 1000).toFixed(1)} s (${res.ratio.toFixed(2)}×); the command grew ${human(res.move.growth)}`);

  log('move: the same SQLite backup moved from the settings page into the running PostgreSQL app');
  res.web = await webRestore(ctx, dstEnv, opts.port, backup.result.file, psql, q);
  // Its like-for-like baseline: the PostgreSQL backup of the same data restored from the settings page, also timed
  // until the app answers again (NocoBase's restart and the running app's safety backup on both sides).
  // Its archive is the app's own Backup now (which records the enabled plugins, so no upgrade is called for).
  log('move: the same data restored from the settings page (same dialect)');
  res.webSame = await webRestore(ctx, dstEnv, opts.port, null, psql, q);
  res.web.ratio = res.web.ms / res.webSame.ms;
  res.web.cliRatio = res.web.ms / same.ms;
  res.met.webRatio = res.web.ratio <= TARGETS.ratio;
  res.met.webMemory = res.web.growth < TARGETS.growthMb * 1048576;
  log(`move: from the web ${(res.web.ms / 1000).toFixed(1)} s against ${(res.webSame.ms / 1000).toFixed(1)} s (${res.web.ratio.toFixed(2)}×); the server grew ${human(res.web.growth)}`);
  return res;
}

/**
 * A restore from the settings page (the move, or the same-dialect baseline): the archive uploaded, the restore asked as
 * the dialog asks it (a crossing's warning accepted, the safety backup on), polled until the task is final and the app
 * answers again. The server's RSS (the process listening on the port, found again after its restart) is sampled every
 * 100 ms throughout.
 */
async function webRestore(ctx, env, port, archive, psql, q) {
  const server = await h.startServer(ctx.appDir, { quiet: true, overrides: env });
  const sampler = new RssSampler(server.child.pid, port);
  sampler.start();
  try {
    const api = new Api(server.url);
    await api.signIn();
    if (!archive) {
      const made = await api.ok('POST', 'backupsManagerTasks:create', {});
      const { row } = await ctx.waitOurTask(api, made.id, Date.now(), 1800000);
      if (row?.status !== 'succeeded') throw new Error(`Backup now ended ${row?.status}: ${row?.error}`);
      archive = path.join(env.STORAGE_PATH, 'backups-manager', 'main', row.fileName);
    }
    const up = await api.raw('POST', 'backupsManagerTasks:upload', { bodyFile: archive, headers: { 'X-File-Name': encodeURIComponent(path.basename(archive)) }, timeoutMs: 600000 });
    if (up.status !== 200 || !up.body?.data?.uploadId) throw new Error(`upload answered ${up.status}: ${JSON.stringify(up.body).slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, 1500)); // a baseline of the idle server before the restore
    const t0 = Date.now();
    const task = await api.ok('POST', 'backupsManagerTasks:restore', { uploadId: up.body.data.uploadId, trustForeign: true, acceptWarnings: true, safetyBackup: true });
    const { row, phases: timeline } = await ctx.waitOurTask(api, task.id, t0, 1800000);
    await ctx.waitHealthy(api);
    const t1 = Date.now();
    if (row?.status !== 'succeeded') throw new Error(`the web restore ended ${row?.status}: ${row?.error}`);
    const w = sampler.window(t0, t1);
    const rows = Number(await psql(`SELECT count(*) FROM ${q(TABLE)}`));
    // The RSS series and the phases' times go into --json: where in the restore the server's peak falls.
    return { ms: t1 - t0, baseRss: w.baseServer, peakRss: w.peakServer, growth: w.growthServer, peakGroup: w.peakGroup, rowsMoved: rows, phases: row.options?.phases ?? [], series: w.series, timeline };
  } finally {
    sampler.stop();
    await h.stopServer(server.child);
  }
}

const sec = (ms) => `${(ms / 1000).toFixed(1)} s`;
const mb = (b) => `${Math.round(b / 1048576)} MB`;

function renderSection(r, meta) {
  const steps = (p) => Object.entries(p).map(([k, v]) => `${k} ${sec(v)}`).join(', ');
  return [
    BEGIN,
    '## Moving a SQLite app into PostgreSQL (`--only move`)',
    '',
    `Measured ${meta.date} on ${meta.cpu} (${meta.nproc} cores), NocoBase ${meta.nocobase}, plugin ${meta.plugin}. A SQLite app with ` +
      `${r.rows.toLocaleString('en-US')} rows in one collection and ${r.uploads.toLocaleString('en-US')} uploads (SQLite file ${human(r.sqliteBytes)}, ` +
      `backup ${human(r.backup.bytes)}) is moved into an empty PostgreSQL database with \`nb-backups restore --into-dialect\`; the ` +
      'baseline is our own same-dialect restore of the same data (a backup of the moved app, restored into it by the same command). ' +
      'Both are the command\'s wall time, NocoBase\'s own steps included; a step runs from the first line the command prints ' +
      'for it to the next one (*checking* includes unpacking the archive). The command\'s RSS starts at its first sample, ' +
      '100 ms after it was spawned, before it has loaded its own code: the same-dialect restore grows about as much, so the ' +
      'growth is the command\'s code and buffers, not the rows, which stream from the reader child into `psql`.',
    '',
    '| | Time | Steps | Command RSS (start → peak) |',
    '| --- | --- | --- | --- |',
    `| Move (SQLite → PostgreSQL) | ${sec(r.move.ms)} | ${steps(r.move.phases)} | ${mb(r.move.baseRss)} → ${mb(r.move.peakRss)} (+${mb(r.move.growth)}; its process group ${mb(r.move.peakGroup)}) |`,
    `| Same-dialect restore (PostgreSQL) | ${sec(r.same.ms)} | ${steps(r.same.phases)} | ${mb(r.same.baseRss)} → ${mb(r.same.peakRss)} |`,
    ...(r.web
      ? [
          `| Move from the settings page (upload, then restore into the running app) | ${sec(r.web.ms)} (${r.web.ratio.toFixed(2)}×) | ${r.web.phases.join(', ')} | ` +
            `server ${mb(r.web.baseRss)} → ${mb(r.web.peakRss)} (+${mb(r.web.growth)}; its process group ${mb(r.web.peakGroup)}) |`,
          ...(r.webSame
            ? [
                `| Same-dialect restore from the settings page | ${sec(r.webSame.ms)} | ${r.webSame.phases.join(', ')} | ` +
                  `server ${mb(r.webSame.baseRss)} → ${mb(r.webSame.peakRss)} (+${mb(r.webSame.growth)}) |`,
              ]
            : []),
        ]
      : []),
    '',
    `Target: the move within ${TARGETS.ratio}× the same-dialect restore: **${r.ratio.toFixed(2)}× (${r.met.ratio ? 'met' : 'missed'})**; ` +
      `memory growth under ${TARGETS.growthMb} MB: **+${mb(r.move.growth)} (${r.met.memory ? 'met' : 'missed'})**. ` +
      `Rows in PostgreSQL after the move: ${r.move.rowsMoved.toLocaleString('en-US')}, in ${r.move.tables} tables.` +
      (r.web
        ? ` From the settings page (timed from the restore request until the app answers again, NocoBase's restart ` +
          `included; the upload before it not counted; the server's own RSS, sampled every 100 ms), against the same-dialect ` +
          `restore from the settings page: within ${TARGETS.ratio}×: **${r.web.ratio.toFixed(2)}× ` +
          `(${r.met.webRatio ? 'met' : 'missed'})** (${r.web.cliRatio.toFixed(2)}× the command's restore, which holds no restart); ` +
          `server growth under ${TARGETS.growthMb} MB: **+${mb(r.web.growth)} ` +
          `(${r.met.webMemory ? 'met' : 'missed'})**; rows after it: ${r.web.rowsMoved.toLocaleString('en-US')}.`
        : ''),
    END,
  ].join('\n');
}

function writeSection(file, r, meta) {
  writeMarkedSection(file, BEGIN, END, renderSection(r, meta));
}

module.exports = { benchMove, writeSection, renderSection };
