// The many-small-files scenario of `npm run bench` (issue 21): one app per database and file count with a small
// `bench_items` table and N files of 2 KB with their `attachments` rows; raw tools vs our Backup now and restore
// (safety backup off and on), with the server's RSS and the health-check latency during each. The built-in is left
// out here (the core scenario compares with it). Results go to their own section of docs/benchmarks.md.
const fs = require('fs');
const path = require('path');
const h = require('../app-harness');
const { log, sleep, human, percentile } = require('./util');
const { Api } = require('./http');
const { RssSampler, Pinger, findServerPid } = require('./monitor');
const ds = require('./dataset');
const mf = require('./many-files-data');
const { benchAppEnv } = require('./fresh-app');

const ROWS = 1000; // the point is the files: the core table stays small

/** Time budget for one operation: about 10 ms per file on top of five minutes (the issue measured 2 ms a file). */
function timeoutFor(files) {
  return (300 + files / 100) * 1000;
}

/**
 * Latency of every answered health check (a 503 in maintenance is an answer: it shows the event loop turning);
 * calls that got no answer at all are counted apart.
 */
function latencyOf(results) {
  const answered = results.filter((r) => r.status > 0).map((r) => r.ms);
  return {
    count: results.length,
    answered: answered.length,
    ok: results.filter((r) => r.status === 200).length,
    noAnswer: results.length - answered.length,
    p50: percentile(answered, 50),
    p95: percentile(answered, 95),
    p99: percentile(answered, 99),
    max: answered.length ? Math.max(...answered) : null,
  };
}

/** The results of a window of pings, [t0, t1). */
function latencyBetween(results, t0, t1) {
  return latencyOf(results.filter((r) => r.t >= t0 && r.t < t1));
}

/** Only what the report needs from an RSS window (the series stay out of docs/benchmarks.md). */
function rssOf(w) {
  return w && { baseServer: w.baseServer, peakServer: w.peakServer, growthServer: w.growthServer, growthGroup: w.growthGroup, peakGroup: w.peakGroup };
}

/**
 * ctx (from scripts/bench.js): appDir, onCleanup(label, fn) -> forget, unwindTo(mark), cleanupCount(),
 * waitOurTask(api, id, t0, timeoutMs), waitHealthy(api), loadAvg().
 */
async function benchManyFiles(d, files, opts, ctx, res) {
  const db = `${d.database}_mf`;
  const port = opts.port;
  Object.assign(res, { scenario: 'many-files', dialect: d.name, label: d.label, database: db, files, date: new Date().toISOString() });
  const storage = ds.tmpDir('nbbench-mf-storage-');
  const work = ds.tmpDir('nbbench-mf-work-');
  const mark = ctx.cleanupCount();
  ctx.onCleanup(`remove ${storage}`, () => fs.rmSync(storage, { recursive: true, force: true }));
  ctx.onCleanup(`remove ${work}`, () => fs.rmSync(work, { recursive: true, force: true }));
  ctx.onCleanup(`drop database ${db}`, () => d.drop(db));
  const env = benchAppEnv(d, { db, port, storage, opts });
  res.versions = { server: await d.serverVersion(), tool: await d.toolVersion() };
  const timeout = timeoutFor(files);

  log(`${d.label} ${files} files: installing a fresh app in database ${db} (storage ${storage})`);
  await d.drop(db);
  h.prepare(ctx.appDir, { fresh: true, overrides: env });
  let server = null;
  let forgetServer = () => undefined;
  const start = async () => {
    server = await h.startServer(ctx.appDir, { quiet: !opts.serverLogs, overrides: env });
    const s = server;
    forgetServer = ctx.onCleanup('stop the server', () => h.stopServer(s.child));
  };
  const stop = async () => {
    await h.stopServer(server.child);
    forgetServer();
    server = null;
  };
  await start();
  const api = new Api(server.url);
  await api.signIn();

  // --- dataset ---------------------------------------------------------------------------------------
  let t = Date.now();
  const known = mf.listUploads(storage);
  await ds.createCollection(api);
  await ds.fillRows(d, db, ROWS);
  const written = mf.writeFiles(storage, files);
  const filesMs = Date.now() - t;
  t = Date.now();
  await mf.insertAttachments(d, db, files, work);
  await d.settle(db, 'attachments');
  const expected = { rows: await ds.rowCount(d, db), attachments: await mf.attachmentCount(d, db), files, known };
  res.dataset = { ...written, appFiles: known.size, rows: expected.rows, attachments: expected.attachments, dbBytes: await d.dbBytes(db), filesMs, rowsMs: Date.now() - t };
  log(`${d.label} ${files} files: dataset ready: ${files} files of ${mf.FILE_BYTES} B in ${written.folders} folders, ${expected.attachments} attachment rows, database ${human(res.dataset.dbBytes)}`);

  // --- monitors --------------------------------------------------------------------------------------
  const sampler = new RssSampler(server.pid, port);
  sampler.start();
  ctx.onCleanup('stop the sampler', () => sampler.stop());
  const pinger = new Pinger(api);
  await sleep(2000);
  res.serverPid = findServerPid(server.pid, port);
  // p99 needs enough samples: at least 20 s of pings (100) at rest.
  const idleSeconds = Math.max(20, opts.idleSeconds);
  log(`${d.label} ${files} files: idle health-check latency for ${idleSeconds} s`);
  let t0 = Date.now();
  pinger.start();
  await sleep(idleSeconds * 1000);
  await pinger.stop();
  res.idle = { latency: latencyOf(pinger.results), rss: rssOf(sampler.window(t0, Date.now())) };

  // --- backups: raw and ours alternate (--repeat times at 50,000; once above 200,000, it takes long) ---------
  const rawBackupOnce = async () => {
    await sleep(1000);
    const t1 = Date.now();
    const load0 = ctx.loadAvg();
    pinger.start();
    const raw = await d.rawBackup(db, storage, work);
    await pinger.stop();
    const out = { ms: raw.ms, dumpMs: raw.dumpMs, bytes: raw.bytes, command: raw.command, latency: latencyOf(pinger.results), rss: rssOf(sampler.window(t1, Date.now())), load: (load0 + ctx.loadAvg()) / 2 };
    for (const f of raw.files) fs.rmSync(f, { force: true }); // the raw restore uses the last one: written again below
    return out;
  };
  const ourBackup = async () => {
    await sleep(1000);
    const t1 = Date.now();
    const load0 = ctx.loadAvg();
    pinger.start();
    try {
      const row = await api.ok('POST', 'backupsManagerTasks:create', {});
      const done = await ctx.waitOurTask(api, row.id, t1, timeout);
      const end = Date.now();
      await pinger.stop();
      return {
        ok: done.row.status === 'succeeded',
        ms: end - t1,
        serverMs: done.row.finishedAt && done.row.startedAt ? new Date(done.row.finishedAt) - new Date(done.row.startedAt) : null,
        taskId: row.id,
        bytes: done.row.size,
        error: done.row.error || null,
        phases: done.phases,
        latency: latencyOf(pinger.results),
        rss: rssOf(sampler.window(t1, end)),
        load: (load0 + ctx.loadAvg()) / 2,
      };
    } catch (err) {
      await pinger.stop();
      return { ok: false, error: err.message };
    }
  };
  const repeat = files > 200000 ? 1 : opts.repeat;
  const rawRuns = [];
  const ourRuns = [];
  for (let i = 1; i <= repeat; i++) {
    const tag = repeat > 1 ? ` ${i}/${repeat}` : '';
    log(`${d.label} ${files} files: raw backup${tag}`);
    rawRuns.push(await rawBackupOnce());
    log(`${d.label} ${files} files: raw backup${tag} ${(rawRuns[i - 1].ms / 1000).toFixed(1)} s, ${human(rawRuns[i - 1].bytes)}`);
    log(`${d.label} ${files} files: our Backup now${tag}`);
    ourRuns.push(await ourBackup());
    const o = ourRuns[i - 1];
    log(`${d.label} ${files} files: our backup${tag} ${o.ok ? `${(o.ms / 1000).toFixed(1)} s, ${human(o.bytes)}` : `FAILED: ${o.error}`}`);
  }
  res.rawBackup = medianOf(rawRuns);
  res.ourBackup = ourRuns.every((r) => r.ok) ? medianOf(ourRuns) : ourRuns.find((r) => !r.ok);
  const restoreFrom = ourRuns.find((r) => r.ok);
  for (const r of ourRuns) if (r.ok && r !== restoreFrom) await api.call('POST', `backupsManagerTasks:destroy?filterByTk=${r.taskId}`).catch(() => undefined);

  // --- our restores ----------------------------------------------------------------------------------
  /** Waits until no restore journal is left (its clean-up ended); answers the ms since `since`. */
  const journals = path.join(storage, 'backups-manager', 'main', '.journal', 'restore'); // the app is 'main'
  const cleanedUp = async (since) => {
    const deadline = Date.now() + timeout;
    const left = () => (fs.existsSync(journals) ? fs.readdirSync(journals).filter((f) => f.endsWith('.state')) : []);
    while (left().length && Date.now() < deadline) await sleep(200);
    return Date.now() - since;
  };
  const ourRestore = async (label, safetyBackup) => {
    if (!restoreFrom) return { ok: false, error: 'no backup to restore' };
    await mf.mutate(d, db, storage, files, label);
    await sleep(1000);
    const t1 = Date.now();
    const load0 = ctx.loadAvg();
    pinger.start();
    try {
      const row = await api.ok('POST', 'backupsManagerTasks:restore', { taskId: restoreFrom.taskId, safetyBackup });
      const done = await ctx.waitOurTask(api, row.id, t1, timeout);
      await ctx.waitHealthy(api);
      const end = Date.now();
      await pinger.stop();
      const check = await mf.verify(d, db, storage, expected, ds.rowCount);
      const out = {
        ok: done.row.status === 'succeeded' && check.ok,
        taskOk: done.row.status === 'succeeded',
        ms: end - t1,
        error: done.row.error || null,
        phases: done.phases,
        check,
        latency: latencyOf(pinger.results),
        rss: rssOf(sampler.window(t1, end)),
        load: (load0 + ctx.loadAvg()) / 2,
      };
      // NocoBase's own upgrade (other versions) or restart (same versions: its reload, seen as its maintenance
      // messages) ends every restore; what comes before it is ours.
      const upgrading = done.phases.find((p) => /upgrading|restarting|app reload|init plugins|load plugin|plugins loaded/.test(p.phase));
      if (upgrading) {
        out.beforeUpgradeMs = upgrading.at;
        out.rssBeforeUpgrade = rssOf(sampler.window(t1, t1 + upgrading.at));
        out.latencyBeforeUpgrade = latencyBetween(pinger.results, t1, t1 + upgrading.at);
      }
      // A restore says succeeded before it deletes what it replaced (the originals set aside: every upload of before);
      // the next measurement starts once that is over, not beside it.
      out.cleanUpMs = await cleanedUp(end);
      log(`${d.label} ${files} files: our restore (${label}) ${out.taskOk ? 'succeeded' : `FAILED (${out.error})`} in ${(out.ms / 1000).toFixed(1)} s; check: ${check.ok ? 'ok' : 'WRONG'} ${check.notes.join(', ')}; its clean-up ended ${(out.cleanUpMs / 1000).toFixed(1)} s after`);
      return out;
    } catch (err) {
      await pinger.stop();
      log(`${d.label} ${files} files: our restore (${label}) FAILED: ${err.message}`);
      await ctx.waitHealthy(api).catch(() => undefined);
      return { ok: false, error: err.message };
    }
  };
  // The first restore in a process is slower (NocoBase's upgrade on cold code): two runs, the 2nd counts.
  log(`${d.label} ${files} files: our restore, safety backup off, 1st run`);
  res.ourRestoreFirst = await ourRestore('off-1st', false);
  log(`${d.label} ${files} files: our restore, safety backup off, 2nd run`);
  res.ourRestore = await ourRestore('off-2nd', false);
  log(`${d.label} ${files} files: our restore, safety backup on`);
  res.ourRestoreSafety = await ourRestore('safety', true);

  // --- raw restore: the tools with the app stopped, then the same app started again until it answers ----
  log(`${d.label} ${files} files: raw backup for the raw restore, then raw restore with a plain restart`);
  await d.rawBackup(db, storage, work);
  await mf.mutate(d, db, storage, files, 'raw');
  sampler.stop();
  t0 = Date.now();
  await stop();
  const stopMs = Date.now() - t0;
  const rr = await d.rawRestore(db, storage, work);
  t = Date.now();
  await start();
  api.token = '';
  await ctx.waitHealthy(api);
  const startMs = Date.now() - t;
  const rawCheck = await mf.verify(d, db, storage, expected, ds.rowCount);
  res.rawRestore = { ok: rawCheck.ok, ms: stopMs + rr.ms + startMs, stopMs, dbMs: rr.dbMs, filesMs: rr.ms - rr.dbMs, startMs, command: rr.command, check: rawCheck };
  log(`${d.label} ${files} files: raw restore + restart ${(res.rawRestore.ms / 1000).toFixed(1)} s (stop ${(stopMs / 1000).toFixed(1)}, database ${(rr.dbMs / 1000).toFixed(1)}, files ${(res.rawRestore.filesMs / 1000).toFixed(1)}, start ${(startMs / 1000).toFixed(1)}); check: ${rawCheck.ok ? 'ok' : 'WRONG'} ${rawCheck.notes.join(', ')}`);

  log(`${d.label} ${files} files: cleaning up`);
  await ctx.unwindTo(mark);
  return res;
}

/** The run with the median wall time, with every run's time. */
function medianOf(runs) {
  const sorted = [...runs].sort((a, b) => a.ms - b.ms);
  return { ...sorted[Math.floor((sorted.length - 1) / 2)], runs: runs.map((r) => r.ms) };
}

module.exports = { benchManyFiles, latencyOf, latencyBetween, timeoutFor, ROWS };
