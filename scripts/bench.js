#!/usr/bin/env node
// `npm run bench [-- --scale S --dialects postgres,mariadb]`: on one machine, in one run, for each database:
// the raw tools by hand, our Backup now / restore through the API, and NocoBase's built-in backup manager
// through its API, on the same generated dataset in the same app. Writes docs/benchmarks.md.
//
// Options: --scale S (1 = ~1M rows ≈300 MB + ~2,000 files ≈300 MB), --dialects a,b, --port N (13150),
// --repeat N (raw and our backups alternate N times, the median counts; 2), --upload-gb G (size of the archive
// uploaded and downloaded; 1 × scale),
// --out FILE (docs/benchmarks.md), --no-write, --json FILE (save raw results), --from-json FILE (only re-render the
// report), --idle-seconds N (10), --with-safety (also time our restore with its default safety backup),
// --skip-install (do not rebuild/reinstall the plugin first); experiments: --server-env K=V (extra environment for
// the server, e.g. NODE_OPTIONS=--require ./probe.js), --server-logs (show the server's output).
// Many small files (scripts/bench/many-files.js, its own section of the report): --only many-files|core (both by
// default), --files 50000,500000 (the default; each count × each database is one fresh app), --app-dir DIR (.app).
// Downloads cut at half and resumed by range (scripts/bench/downloads.js): --only downloads, on the first of
// --dialects, with an archive of --upload-gb GB (1).
// Resumable uploads (scripts/bench/uploads.js, its own section; only when asked): --only uploads, --upload-gb G (1).
// A SQLite app moved into PostgreSQL (scripts/bench/move.js, its own section; by default after the others, or
// --only move): --move-rows N (1,000,000), --move-uploads N (2,000).
const fs = require('fs');
const os = require('os');
const path = require('path');
const h = require('./app-harness');
const { log, sleep, runCmd, human, folderBytes } = require('./bench/util');
const { Api } = require('./bench/http');
const { RssSampler, Pinger, findServerPid } = require('./bench/monitor');
const ds = require('./bench/dataset');
const DIALECTS = require('./bench/dialects');
const { writeReport } = require('./bench/report');

const { benchManyFiles } = require('./bench/many-files');
const manyFilesReport = require('./bench/many-files-report');
const { benchDownloads, writeSection: writeDownloadsSection } = require('./bench/downloads');
const { benchAppEnv } = require('./bench/fresh-app');

let APP_DIR = path.join(h.root, '.app');
const APP_NAME = 'main';

function parseArgs(argv) {
  const o = { repeat: 2, scale: 1, dialects: ['postgres', 'mariadb'], port: 13150, out: path.join(h.root, 'docs', 'benchmarks.md'), write: true, json: null, idleSeconds: 10, withSafety: false, install: true, only: null, files: [50000, 500000] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--scale') o.scale = Number(val());
    else if (a === '--dialects') o.dialects = val().split(',').map((s) => s.trim()).filter(Boolean);
    else if (a === '--port') o.port = Number(val());
    else if (a === '--upload-gb') o.uploadGb = Number(val());
    else if (a === '--server-logs') o.serverLogs = true; // experiments: the server's own output on this console
    else if (a === '--server-env') {
      // Experiments only, e.g. --server-env MALLOC_ARENA_MAX=2: extra environment for the NocoBase server.
      const [k, ...v] = val().split('=');
      o.serverEnv = { ...(o.serverEnv || {}), [k]: v.join('=') };
    }
    else if (a === '--repeat') o.repeat = Math.max(1, Number(val()) || 1);
    else if (a === '--out') o.out = path.resolve(val());
    else if (a === '--no-write') o.write = false;
    else if (a === '--json') o.json = path.resolve(val());
    else if (a === '--idle-seconds') o.idleSeconds = Number(val());
    else if (a === '--with-safety') o.withSafety = true;
    else if (a === '--skip-install') o.install = false;
    else if (a === '--from-json') o.fromJson = path.resolve(val());
    else if (a === '--only') o.only = val();
    else if (a === '--files') o.files = val().split(',').map((v) => Number(v.trim()));
    else if (a === '--move-rows') o.moveRows = Number(val());
    else if (a === '--move-uploads') o.moveUploads = Number(val());
    else if (a === '--app-dir') o.appDir = path.resolve(val());
    else if (a === '--help' || a === '-h') {
      process.stdout.write(fs.readFileSync(__filename, 'utf8').split('\n').slice(1, 17).join('\n') + '\n');
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  if (!(o.scale > 0)) throw new Error('--scale must be a positive number');
  for (const d of o.dialects) if (!DIALECTS[d]) throw new Error(`unknown dialect ${d} (postgres, mariadb)`);
  if (o.only && !['core', 'many-files', 'downloads', 'uploads', 'move'].includes(o.only)) throw new Error('--only takes core, many-files, downloads, uploads or move');
  if (!o.files.length || o.files.some((v) => !(Number.isInteger(v) && v > 0))) throw new Error('--files takes positive whole numbers, e.g. 50000,500000');
  return o;
}

// ---------------------------------------------------------------------------------------------------------
// Clean-up: everything created is registered here and undone on success, failure, Ctrl-C or SIGTERM.

const cleanups = [];
function onCleanup(label, fn) {
  const entry = { label, fn };
  cleanups.push(entry);
  return () => {
    const i = cleanups.indexOf(entry);
    if (i >= 0) cleanups.splice(i, 1);
  };
}
/** Undoes what was registered after the first `mark` entries (one scenario's own clean-ups). */
async function unwindTo(mark) {
  while (cleanups.length > mark) {
    const { label, fn } = cleanups.pop();
    try {
      await fn();
    } catch (err) {
      log(`clean-up "${label}" failed: ${err.message}`);
    }
  }
}
async function runCleanups() {
  while (cleanups.length) {
    const { label, fn } = cleanups.pop();
    try {
      await fn();
    } catch (err) {
      log(`clean-up "${label}" failed: ${err.message}`);
    }
  }
}
let exiting = false;
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, async () => {
    if (exiting) return;
    exiting = true;
    log(`${sig}: cleaning up`);
    await runCleanups();
    process.exit(130);
  });
}

/** Stops the server's whole process group and waits until it is gone. */
async function stopServer(server) {
  await h.stopServer(server.child);
}

// ---------------------------------------------------------------------------------------------------------
// Waiting for tasks through the APIs

/** Polls our task until it leaves pending/running, recording when each phase was first seen. */
async function waitOurTask(api, id, t0, timeoutMs) {
  const phases = [];
  let last = null;
  let sawMaintenance = false;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let row = null;
    let key = null;
    try {
      const r = await api.call('GET', `backupsManagerTasks:get?filterByTk=${id}`, { timeoutMs: 10000 });
      if (r.status === 503) {
        sawMaintenance = true;
        key = `maintenance: ${maintenanceText(r.body)}`;
      }
      if (r.status === 200) row = r.body?.data;
    } catch {
      key = 'maintenance: no answer';
    }
    if (row) key = `${row.status}/${row.phase}`;
    if (key && key !== last) {
      phases.push({ at: Date.now() - t0, phase: row ? row.phase : key, status: row?.status });
      last = key;
    }
    if (row && !['pending', 'running'].includes(row.status)) return { row, phases, sawMaintenance };
    if (Date.now() > deadline) throw new Error(`our task ${id} still ${row?.status}/${row?.phase} after ${timeoutMs / 1000} s`);
    await sleep(100);
  }
}

/** What NocoBase's 503 answer says (its maintaining message, e.g. our "restoring database"). */
function maintenanceText(body) {
  const e = body?.error || body?.errors?.[0] || body;
  const text = typeof e === 'string' ? e : [e?.code, e?.message].filter(Boolean).join(' ');
  return text.replace(/\s+/g, ' ').slice(0, 80) || 'unavailable';
}

async function waitHealthy(api, timeoutMs = 300000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await api.healthy()) return true;
    await sleep(100);
  }
  throw new Error('the app did not become healthy again');
}

/** Uncompressed size of the database dump ("data") inside a built-in .nbdata archive (a ZIP); null if unreadable. */
async function builtinDumpBytes(file) {
  try {
    const unzipper = require('unzipper');
    const dir = await unzipper.Open.file(file);
    const entry = dir.files.find((f) => f.path === 'data');
    return entry ? entry.uncompressedSize : 0;
  } catch {
    return null;
  }
}

function loadAvg() {
  return Number(fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
}

/**
 * The run with the median wall time, carrying every run's time, the API latency over all runs and the largest RSS
 * growth of any run.
 */
function medianRun(runs) {
  const sorted = [...runs].sort((a, b) => a.ms - b.ms);
  const mid = sorted[Math.floor((sorted.length - 1) / 2)];
  const all = runs.flatMap((r) => r.latency?.samples || []);
  const worst = runs.reduce((w, r) => (r.rss && (!w || r.rss.growthServer > w.growthServer) ? r.rss : w), null);
  return {
    ...mid,
    runs: runs.map((r) => r.ms),
    runDetails: runs.map((r) => ({ ms: r.ms, phases: r.phases, rss: r.rss && { growthServer: r.rss.growthServer, series: r.rss.series }, load: r.load })),
    latency: all.length ? latencyStats(all, runs) : mid.latency,
    rss: worst || mid.rss,
    load: runs.reduce((a, r) => a + (r.load || 0), 0) / runs.length,
  };
}

function latencyStats(samples, runs) {
  const { percentile } = require('./bench/util');
  return {
    count: runs.reduce((a, r) => a + (r.latency?.count || 0), 0),
    ok: samples.length,
    errors: runs.reduce((a, r) => a + (r.latency?.errors || 0), 0),
    p50: percentile(samples, 50),
    p95: percentile(samples, 95),
    max: Math.max(...samples),
    samples,
  };
}

function timeoutFor(scale) {
  return (300 + 1800 * scale) * 1000;
}

// ---------------------------------------------------------------------------------------------------------

async function benchDialect(d, opts, meta, res) {
  Object.assign(res, { dialect: d.name, label: d.label, database: d.database });
  const db = d.database;
  const port = opts.port;
  const sz = ds.sizes(opts.scale);
  const storage = ds.tmpDir('nbbench-storage-');
  const work = ds.tmpDir('nbbench-work-');
  const mark = cleanups.length;
  onCleanup(`remove ${storage}`, () => fs.rmSync(storage, { recursive: true, force: true }));
  onCleanup(`remove ${work}`, () => fs.rmSync(work, { recursive: true, force: true }));
  onCleanup(`drop database ${db}`, () => d.drop(db));
  const env = benchAppEnv(d, { db, port, storage, opts });
  if (opts.serverEnv) res.serverEnv = opts.serverEnv;
  res.versions = { server: await d.serverVersion(), tool: await d.toolVersion() };
  meta.versions[d.name] = res.versions;

  log(`${d.label}: installing a fresh app in database ${db} (storage ${storage})`);
  await d.drop(db);
  h.prepare(APP_DIR, { fresh: true, overrides: env });
  let server = null;
  let forgetServer = () => undefined;
  const start = async () => {
    const started = Date.now();
    server = await h.startServer(APP_DIR, { quiet: !opts.serverLogs, overrides: env });
    const s = server;
    forgetServer = onCleanup('stop the server', () => stopServer(s));
    return Date.now() - started;
  };
  const stop = async () => {
    await stopServer(server);
    forgetServer();
    server = null;
  };
  await start();
  const api = new Api(server.url);
  await api.signIn();

  // --- dataset ---------------------------------------------------------------------------------------
  log(`${d.label}: dataset: collection ${ds.TABLE} through the API, ${sz.rows} rows by SQL, ${sz.files} files (${human(sz.fileBytes)})`);
  let t = Date.now();
  await ds.createCollection(api);
  await ds.fillRows(d, db, sz.rows);
  await d.settle(db, ds.TABLE);
  const fillMs = Date.now() - t;
  t = Date.now();
  const files = ds.writeFiles(storage, sz.files, sz.fileBytes);
  await ds.insertAttachments(d, db, files, work);
  const digest = await ds.uploadsDigest(storage);
  res.dataset = {
    rows: await ds.rowCount(d, db),
    tableBytes: await d.tableBytes(db, ds.TABLE),
    dbBytes: await d.dbBytes(db),
    files: digest.size,
    randomFiles: files.filter((f) => f.random).length,
    fileBytes: folderBytes(path.join(storage, 'uploads')),
    digest: ds.digestOf(digest),
    fillMs,
    filesMs: Date.now() - t,
  };
  log(`${d.label}: dataset ready: ${res.dataset.rows} rows, table ${human(res.dataset.tableBytes)}, database ${human(res.dataset.dbBytes)}, ${res.dataset.files} files ${human(res.dataset.fileBytes)}`);
  const expectedRows = res.dataset.rows;

  // --- monitors --------------------------------------------------------------------------------------
  const sampler = new RssSampler(server.pid, port);
  sampler.start();
  onCleanup('stop the sampler', () => sampler.stop());
  const pinger = new Pinger(api);
  await sleep(2000);
  res.serverPid = findServerPid(server.pid, port);

  log(`${d.label}: idle API latency for ${opts.idleSeconds} s`);
  let t0 = Date.now();
  pinger.start();
  await sleep(opts.idleSeconds * 1000);
  res.idle = { latency: await pinger.stop(), rss: sampler.window(t0, Date.now()) };

  // --- backups ---------------------------------------------------------------------------------------
  const rawBackupOnce = async (label) => {
    await sleep(1000);
    const start = Date.now();
    const load0 = loadAvg();
    pinger.start();
    const raw = await d.rawBackup(db, storage, work);
    const out = { ...raw, latency: await pinger.stop(), rss: sampler.window(start, Date.now()), load: (load0 + loadAvg()) / 2 };
    delete out.files;
    log(`${d.label}: raw ${label} ${(raw.ms / 1000).toFixed(1)} s, ${human(raw.bytes)}`);
    return out;
  };

  const ourBackup = async (label) => {
    await sleep(1000);
    const start = Date.now();
    const load0 = loadAvg();
    pinger.start();
    try {
      const row = await api.ok('POST', 'backupsManagerTasks:create', {});
      const done = await waitOurTask(api, row.id, start, timeoutFor(opts.scale));
      const end = Date.now();
      const out = {
        ok: done.row.status === 'succeeded',
        ms: end - start,
        serverMs: done.row.finishedAt && done.row.startedAt ? new Date(done.row.finishedAt) - new Date(done.row.startedAt) : null,
        taskId: row.id,
        fileName: done.row.fileName,
        bytes: done.row.size,
        error: done.row.error || null,
        phases: done.phases,
        latency: await pinger.stop(),
        rss: sampler.window(start, end),
        load: (load0 + loadAvg()) / 2,
        // What the restore's crash-safety journal cost (restore/runner.ts), as the task row reports it.
        journal: done.row.options?.journal || null,
        // PostgreSQL: the dump's format and pg_dump's jobs (dumpers/parallel-jobs.ts), from the archive's manifest.
        dumpFormat: done.row.summary?.dumpFormat || null,
        dumpJobs: done.row.summary?.dumpJobs || null,
      };
      log(`${d.label}: our ${label} ${out.ok ? 'succeeded' : `FAILED (${out.error})`} in ${(out.ms / 1000).toFixed(1)} s, ${human(out.bytes)}`);
      return out;
    } catch (err) {
      await pinger.stop();
      log(`${d.label}: our ${label} FAILED: ${err.message}`);
      return { ok: false, error: err.message };
    }
  };

  // Raw and ours alternate, --repeat times; the median run counts (the machine is shared: timings are noisy).
  const rawRuns = [];
  const ourRuns = [];
  for (let i = 1; i <= opts.repeat; i++) {
    const tag = opts.repeat > 1 ? `backup ${i}/${opts.repeat}` : 'backup';
    log(`${d.label}: raw ${tag}`);
    rawRuns.push(await rawBackupOnce(tag));
    log(`${d.label}: our Backup now, ${tag}`);
    ourRuns.push(await ourBackup(tag));
  }
  res.rawBackup = medianRun(rawRuns);
  const okRuns = ourRuns.filter((r) => r.ok);
  res.ourBackup = okRuns.length === ourRuns.length ? medianRun(ourRuns) : ourRuns.find((r) => !r.ok);
  // The first archive is the one restored; the others go.
  if (okRuns.length) {
    res.ourBackup = { ...res.ourBackup, taskId: okRuns[0].taskId, fileName: okRuns[0].fileName };
    for (const r of okRuns.slice(1)) await api.call('POST', `backupsManagerTasks:destroy?filterByTk=${r.taskId}`).catch(() => undefined);
  }
  // PostgreSQL: the same backup with the other choice of jobs (dumpJobs 1, one stream as before parallel dumps, when
  // more were chosen here; else 2), --repeat times, so the report shows the jobs chosen and what parallel gains.
  if (res.ourBackup.ok && res.ourBackup.dumpFormat) {
    const otherJobs = res.ourBackup.dumpJobs > 1 ? 1 : 2;
    const otherRuns = [];
    await api.ok('POST', 'backupsManagerSettings:update?filterByTk=1', { dumpJobs: otherJobs });
    try {
      for (let i = 1; i <= opts.repeat; i++) otherRuns.push(await ourBackup(`backup with ${otherJobs} job(s) ${i}/${opts.repeat}`));
    } finally {
      await api.ok('POST', 'backupsManagerSettings:update?filterByTk=1', { dumpJobs: null });
    }
    const okOther = otherRuns.filter((r) => r.ok);
    const other = okOther.length ? medianRun(okOther) : otherRuns[0];
    res.jobsCompare = { autoJobs: res.ourBackup.dumpJobs, otherJobs, other };
    for (const r of okOther) await api.call('POST', `backupsManagerTasks:destroy?filterByTk=${r.taskId}`).catch(() => undefined);
  }

  log(`${d.label}: built-in Backup now`);
  await sleep(1000);
  t0 = Date.now();
  let load0 = loadAvg();
  pinger.start();
  try {
    const created = await api.ok('POST', 'backups:create', {});
    const name = created.name;
    const deadline = Date.now() + timeoutFor(opts.scale);
    let status = null;
    for (;;) {
      const r = await api.call('GET', `backups:taskStatus?names[]=${encodeURIComponent(name)}`).catch(() => null);
      status = r?.status === 200 ? r.body?.data?.[name] : null;
      if (status && status.inProgress === false) break;
      if (Date.now() > deadline) throw new Error(`built-in backup ${name} still in progress`);
      await sleep(100);
    }
    const end = Date.now();
    const file = path.join(storage, 'backups', APP_NAME, name);
    // Its MariaDB/MySQL dump can "succeed" empty: mysqldump's exit code races the end of its output there.
    const dumpBytes = await builtinDumpBytes(file);
    res.builtinBackup = {
      ok: !status.message && fs.existsSync(file) && dumpBytes > 1024,
      dumpBytes,
      ms: end - t0,
      name,
      bytes: fs.existsSync(file) ? fs.statSync(file).size : null,
      error: status.message || (dumpBytes !== null && dumpBytes <= 1024 ? `reported success, but its database dump ("data") holds only ${dumpBytes} bytes` : null),
      latency: await pinger.stop(),
      rss: sampler.window(t0, end),
      load: (load0 + loadAvg()) / 2,
    };
  } catch (err) {
    res.builtinBackup = { ok: false, error: err.message, latency: await pinger.stop(), rss: sampler.window(t0, Date.now()) };
  }
  log(`${d.label}: built-in backup ${res.builtinBackup.ok ? 'succeeded' : `FAILED (${res.builtinBackup.error})`} in ${(res.builtinBackup.ms / 1000).toFixed(1)} s, ${human(res.builtinBackup.bytes)}`);

  // --- restores --------------------------------------------------------------------------------------
  const ourRestore = async (label, safetyBackup) => {
    if (!res.ourBackup.ok) return { ok: false, error: 'no backup to restore' };
    await ds.mutate(d, db, storage, expectedRows, label);
    await sleep(1000);
    const start = Date.now();
    const load0 = loadAvg();
    try {
      const row = await api.ok('POST', 'backupsManagerTasks:restore', { taskId: res.ourBackup.taskId, safetyBackup });
      const done = await waitOurTask(api, row.id, start, timeoutFor(opts.scale));
      await waitHealthy(api);
      const end = Date.now();
      const check = await ds.verify(d, db, storage, expectedRows, digest);
      const out = {
        ok: done.row.status === 'succeeded' && check.ok,
        taskOk: done.row.status === 'succeeded',
        ms: end - start,
        error: done.row.error || null,
        phases: done.phases,
        check,
        rss: sampler.window(start, end),
        load: (load0 + loadAvg()) / 2,
        // What the restore's crash-safety journal cost (restore/runner.ts), as the task row reports it.
        journal: done.row.options?.journal || null,
      };
      // NocoBase's own upgrade + reload at the end re-creates the app in this process; the part before it is ours.
      const upgrading = done.phases.find((p) => /upgrading/.test(p.phase));
      if (upgrading) out.rssBeforeUpgrade = sampler.window(start, start + upgrading.at);
      log(`${d.label}: our restore (${label}) ${out.taskOk ? 'succeeded' : `FAILED (${out.error})`} in ${(out.ms / 1000).toFixed(1)} s; check: ${check.ok ? 'ok' : 'WRONG'} ${check.notes.join(', ')}`);
      return out;
    } catch (err) {
      log(`${d.label}: our restore (${label}) FAILED: ${err.message}`);
      return { ok: false, error: err.message };
    }
  };

  // NocoBase's upgrade + reload at the end of every restore is slower the first time in a process (cold code and
  // caches): our restore runs twice and the 2nd run counts; the built-in's runs after them, warm as well.
  log(`${d.label}: our restore, 1st run (no safety backup, like the raw tools)`);
  res.ourRestoreFirst = await ourRestore('ours-1st', false);
  log(`${d.label}: our restore, 2nd run`);
  res.ourRestore = await ourRestore('ours-2nd', false);
  if (opts.withSafety) {
    log(`${d.label}: our restore with its default safety backup`);
    res.ourRestoreSafety = await ourRestore('ours-safety', true);
  }

  // After ours: the built-in's dump leaves out our task table (runtime data), so our backup list is empty after it.

  log(`${d.label}: built-in restore`);
  if (res.builtinBackup.ok) {
    await ds.mutate(d, db, storage, expectedRows, 'builtin');
    await sleep(1000);
    t0 = Date.now();
    load0 = loadAvg();
    try {
      const r = await api.call('POST', 'backups:restore', { json: { name: res.builtinBackup.name }, timeoutMs: timeoutFor(opts.scale) });
      if (r.status !== 200 || !r.body?.data?.task) throw new Error(`backups:restore answered ${r.status}: ${JSON.stringify(r.body).slice(0, 500)}`);
      const task = r.body.data.task;
      const deadline = Date.now() + timeoutFor(opts.scale);
      let sawMaintenance = false;
      let doneSince = 0;
      let error = null;
      const phases = [{ at: Date.now() - t0, phase: 'backups:restore answered (archive extracted)' }];
      let lastKey = null;
      for (;;) {
        const s = await api.raw('GET', `backups:restoreStatus?task=${encodeURIComponent(task)}`, { timeoutMs: 10000 }).catch(() => ({ status: 0 }));
        if (s.status === 503 || s.status === 0) sawMaintenance = true;
        const key = s.status === 503 ? `maintenance: ${maintenanceText(s.body)}` : s.status === 0 ? 'maintenance: no answer' : `${s.status} ${JSON.stringify(s.body?.data ?? '')}`;
        if (key !== lastKey) {
          phases.push({ at: Date.now() - t0, phase: key });
          lastKey = key;
        }
        if (s.status === 401) await api.signIn().catch(() => undefined);
        if (s.status === 204) break; // the restarted app no longer knows the task: done
        if (s.status === 200) {
          const st = s.body?.data;
          if (st?.message) {
            error = st.message;
            break;
          }
          if (!st) break;
          if (st.inProgress === false) {
            doneSince = doneSince || Date.now();
            if (sawMaintenance && (await api.healthy())) break;
            if (Date.now() - doneSince > 60000) break;
          }
        }
        if (Date.now() > deadline) throw new Error('built-in restore still in progress');
        await sleep(100);
      }
      await waitHealthy(api);
      const end = Date.now();
      const check = await ds.verify(d, db, storage, expectedRows, digest);
      res.builtinRestore = { ok: !error && check.ok, taskOk: !error, ms: end - t0, error, check, phases, rss: sampler.window(t0, end), load: (load0 + loadAvg()) / 2 };
    } catch (err) {
      res.builtinRestore = { ok: false, error: err.message, rss: sampler.window(t0, Date.now()) };
      await waitHealthy(api).catch(() => undefined);
    }
    log(`${d.label}: built-in restore ${res.builtinRestore.taskOk ? 'finished' : `FAILED (${res.builtinRestore.error})`} in ${(res.builtinRestore.ms / 1000).toFixed(1)} s; check: ${res.builtinRestore.check ? `${res.builtinRestore.check.ok ? 'ok' : 'WRONG'} ${res.builtinRestore.check.notes.join(', ')}` : 'n/a'}`);
  } else {
    res.builtinRestore = { ok: false, skipped: true, error: 'no built-in backup to restore' };
  }


  log(`${d.label}: raw restore (server stopped, as an administrator would)`);
  await ds.mutate(d, db, storage, expectedRows, 'raw');
  sampler.stop();
  await stop();
  load0 = loadAvg();
  const rr = await d.rawRestore(db, storage, work);
  rr.load = (load0 + loadAvg()) / 2;
  const rawCheck = await ds.verify(d, db, storage, expectedRows, digest);
  const restartMs = await start();
  res.rawRestore = { ...rr, ok: rawCheck.ok, taskOk: true, check: rawCheck, restartMs };
  log(`${d.label}: raw restore ${(rr.ms / 1000).toFixed(1)} s (+ ${(restartMs / 1000).toFixed(1)} s app start); check: ${rawCheck.ok ? 'ok' : 'WRONG'} ${rawCheck.notes.join(', ')}`);
  api.token = '';
  await api.signIn();
  sampler.setGroup(server.pid);
  sampler.start();
  await sleep(2000);

  // --- large upload and download ---------------------------------------------------------------------
  const target = Math.round(1024 ** 3 * (opts.uploadGb || opts.scale));
  let big = res.ourBackup.ok ? { taskId: res.ourBackup.taskId, fileName: res.ourBackup.fileName, bytes: res.ourBackup.bytes } : null;
  if (big && big.bytes < target * 0.95) {
    // A bigger archive through the same Backup now: a padding file of random bytes in uploads for one backup.
    const pad = path.join(storage, 'uploads', 'zz-bench-padding.bin');
    const block = require('crypto').randomBytes(4 * 1024 * 1024);
    const fd = fs.openSync(pad, 'w');
    for (let left = target - big.bytes; left > 0; left -= block.length) fs.writeSync(fd, block, 0, Math.min(left, block.length));
    fs.closeSync(fd);
    log(`${d.label}: a ${human(target)} archive for the upload/download test (backup with ${human(fs.statSync(pad).size)} of padding)`);
    const padded = await ourBackup('padded backup');
    fs.rmSync(pad, { force: true });
    res.paddedBackup = padded;
    big = padded.ok ? { taskId: padded.taskId, fileName: padded.fileName, bytes: padded.bytes } : null;
  }
  if (big) {
    const file = path.join(storage, 'backups-manager', APP_NAME, big.fileName);
    log(`${d.label}: upload of ${human(big.bytes)}`);
    await sleep(1000);
    t0 = Date.now();
    try {
      const r = await api.raw('POST', 'backupsManagerTasks:upload', { bodyFile: file, headers: { 'X-File-Name': encodeURIComponent(big.fileName) }, timeoutMs: timeoutFor(opts.scale) });
      const end = Date.now();
      res.upload = { ok: r.status === 200 && !!r.body?.data?.uploadId, status: r.status, error: r.status === 200 ? null : JSON.stringify(r.body).slice(0, 300), bytes: big.bytes, ms: end - t0, rss: sampler.window(t0, end) };
    } catch (err) {
      res.upload = { ok: false, error: err.message, bytes: big.bytes };
    }
    log(`${d.label}: upload ${res.upload.ok ? 'ok' : `FAILED (${res.upload.error})`} in ${(res.upload.ms / 1000).toFixed(1)} s`);
    log(`${d.label}: download of ${human(big.bytes)} to /dev/null`);
    await sleep(1000);
    t0 = Date.now();
    try {
      const r = await api.raw('GET', `backupsManagerTasks:download?filterByTk=${big.taskId}`, { sinkFile: '/dev/null', timeoutMs: timeoutFor(opts.scale) });
      const end = Date.now();
      res.download = { ok: r.status === 200 && r.bytes === big.bytes, status: r.status, received: r.bytes, bytes: big.bytes, ms: end - t0, rss: sampler.window(t0, end) };
    } catch (err) {
      res.download = { ok: false, error: err.message, bytes: big.bytes };
    }
    log(`${d.label}: download ${res.download.ok ? 'ok' : `FAILED (${res.download.error || res.download.status})`} in ${(res.download.ms / 1000).toFixed(1)} s`);
  }

  sampler.stop();
  log(`${d.label}: cleaning up`);
  while (cleanups.length > mark) {
    const { label, fn } = cleanups.pop();
    try {
      await fn();
    } catch (err) {
      log(`clean-up "${label}" failed: ${err.message}`);
    }
  }
  return res;
}

async function machineInfo() {
  const mem = /MemTotal:\s+(\d+)/.exec(fs.readFileSync('/proc/meminfo', 'utf8'));
  const cpu = os.cpus()[0]?.model || 'unknown';
  let osName = os.type();
  try {
    osName = /PRETTY_NAME="([^"]+)"/.exec(fs.readFileSync('/etc/os-release', 'utf8'))[1];
  } catch {
    /* keep uname */
  }
  const git = await runCmd('git', ['rev-parse', '--short', 'HEAD'], { cwd: h.root, allowFail: true });
  const dirty = await runCmd('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: h.root, env: { GIT_OPTIONAL_LOCKS: '0' }, allowFail: true });
  const readVersion = (p) => {
    try {
      return JSON.parse(fs.readFileSync(path.join(APP_DIR, 'node_modules', p, 'package.json'), 'utf8')).version;
    } catch {
      return 'unknown';
    }
  };
  return {
    date: new Date().toISOString(),
    nproc: os.cpus().length,
    memBytes: mem ? Number(mem[1]) * 1024 : os.totalmem(),
    cpu,
    os: osName,
    node: process.version,
    nocobase: readVersion('@nocobase/server'),
    builtin: readVersion('@nocobase/plugin-backups'),
    plugin: `${h.pkg.version} (${git.stdout.trim() || 'no git'}${dirty.stdout.trim() ? ', with uncommitted changes' : ''})`,
    tar: (await runCmd('tar', ['--version'])).stdout.split('\n')[0],
    versions: {},
  };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.appDir) APP_DIR = opts.appDir;
  if (opts.fromJson) {
    // Re-renders the report from a saved --json file (no measuring).
    const { meta, results } = JSON.parse(fs.readFileSync(opts.fromJson, 'utf8'));
    if (opts.write) writeReport(opts.out, meta, results);
    process.stdout.write(require('./bench/report').summary(meta, results));
    return;
  }
  const meta = await machineInfo();
  meta.scale = opts.scale;
  meta.repeat = opts.repeat;
  log(`scale ${opts.scale}, dialects ${opts.dialects.join(', ')}, port ${opts.port}`);
  h.ensureDevDeps();
  h.ensureApp(APP_DIR);
  if (!fs.existsSync(path.join(APP_DIR, '.env'))) h.writeEnv(APP_DIR);
  if (opts.install) {
    log('building the plugin and installing it into the app');
    h.installPlugin(APP_DIR);
  }
  if (opts.only === 'downloads') return runDownloads(opts);
  if (opts.only === 'uploads') {
    if ((await runUploads(opts, meta))) process.exitCode = 1;
    return;
  }
  if (opts.only === 'move') {
    if ((await runMove(opts, meta))) process.exitCode = 1;
    return;
  }
  const started = Date.now();
  const results = [];
  let failure = null;
  try {
    for (const name of opts.only === 'many-files' ? [] : opts.dialects) {
      const res = {};
      try {
        results.push(await benchDialect(DIALECTS[name], opts, meta, res));
      } catch (err) {
        failure = failure || err;
        if (res.dialect) results.push({ ...res, failed: err.message });
        log(`${name}: the benchmark failed: ${err.stack || err.message}`);
        await runCleanups();
      }
    }
  } finally {
    await runCleanups();
  }
  meta.totalMs = Date.now() - started;
  if (opts.json && results.length) fs.writeFileSync(opts.json, JSON.stringify({ meta, results }, null, 2));
  if (results.length && opts.write) {
    writeReport(opts.out, meta, results);
    log(`wrote ${path.relative(process.cwd(), opts.out)}`);
  }
  if (results.length) process.stdout.write(require('./bench/report').summary(meta, results));
  if (opts.only !== 'core') failure = (await runManyFiles(opts, meta)) || failure;
  if (!opts.only) failure = (await runMove(opts, meta)) || failure;
  if (failure) process.exitCode = 1;
}

/** The move scenario (SQLite app into PostgreSQL, issue 20): the failure, if any. */
async function runMove(opts, meta) {
  const { benchMove, writeSection } = require('./bench/move');
  const res = {};
  try {
    await benchMove(opts, { appDir: APP_DIR, onCleanup, waitOurTask, waitHealthy }, res);
    if (opts.json) fs.writeFileSync(opts.json.replace(/(\.json)?$/, '.move.json'), JSON.stringify({ meta, results: [res] }, null, 2));
    if (opts.write) {
      writeSection(opts.out, res, meta);
      log(`wrote the move section of ${path.relative(process.cwd(), opts.out)}`);
    }
    return null;
  } catch (err) {
    log(`move: the benchmark failed: ${err.stack || err.message}`);
    return err;
  } finally {
    await runCleanups();
  }
}

/** The resumable-upload scenario on the first database: the failure, if any. */
async function runUploads(opts, meta) {
  const { benchUploads, writeSection } = require('./bench/uploads');
  const res = {};
  try {
    await benchUploads(DIALECTS[opts.dialects[0]], opts, { appDir: APP_DIR, onCleanup, waitOurTask }, res);
    if (opts.json) fs.writeFileSync(opts.json, JSON.stringify({ meta, results: [res] }, null, 2));
    if (opts.write) {
      writeSection(opts.out, res, meta);
      log(`wrote the uploads section of ${path.relative(process.cwd(), opts.out)}`);
    }
    return null;
  } catch (err) {
    log(`uploads: the benchmark failed: ${err.stack || err.message}`);
    return err;
  } finally {
    await runCleanups();
  }
}

/** The many-files scenario: each file count on each database; each result written to its section as it comes. */
async function runManyFiles(opts, meta) {
  const ctx = { appDir: APP_DIR, onCleanup, unwindTo, cleanupCount: () => cleanups.length, waitOurTask, waitHealthy, loadAvg };
  const done = [];
  let failure = null;
  for (const files of opts.files) {
    for (const name of opts.dialects) {
      const res = {};
      const started = Date.now();
      try {
        await benchManyFiles(DIALECTS[name], files, opts, ctx, res);
      } catch (err) {
        failure = failure || err;
        res.failed = err.message;
        log(`${name} ${files} files: the benchmark failed: ${err.stack || err.message}`);
      } finally {
        await runCleanups();
      }
      if (!res.dialect) continue;
      res.totalMs = Date.now() - started;
      res.meta = { plugin: meta.plugin, nocobase: meta.nocobase, node: meta.node, cpu: `${meta.nproc} × ${meta.cpu}` };
      done.push(res);
      if (opts.json) fs.writeFileSync(opts.json.replace(/(\.json)?$/, '.many-files.json'), JSON.stringify({ meta, results: done }, null, 2));
      if (opts.write) {
        manyFilesReport.writeSection(opts.out, [res]);
        log(`wrote the many-files section of ${path.relative(process.cwd(), opts.out)}`);
      }
    }
  }
  if (done.length) process.stdout.write(manyFilesReport.summary(done));
  return failure;
}

/** Only with --only downloads (not part of the default run): one fresh app on the first of --dialects. */
async function runDownloads(opts) {
  const ctx = { appDir: APP_DIR, onCleanup, unwindTo, cleanupCount: () => cleanups.length, waitOurTask };
  const res = {};
  try {
    await benchDownloads(DIALECTS[opts.dialects[0]], opts, ctx, res);
    if (opts.json) fs.writeFileSync(opts.json.replace(/(\.json)?$/, '.downloads.json'), JSON.stringify(res, null, 2));
    if (opts.write) {
      writeDownloadsSection(opts.out, res);
      log(`wrote the downloads section of ${path.relative(process.cwd(), opts.out)}`);
    }
    if (!res.token.ok || !res.link.ok) process.exitCode = 1;
  } finally {
    await runCleanups();
  }
}

main().catch(async (err) => {
  log(err.stack || err.message);
  await runCleanups();
  process.exit(1);
});
