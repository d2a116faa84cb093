// docs/benchmarks.md from the benchmark's results: one table per database with ratios and the targets.
const fs = require('fs');
const path = require('path');
const { human } = require('./util');

const TARGET = { time: 1.15, rssBytes: 64 * 1024 * 1024, latency: 2 };

const s = (ms) => (ms === null || ms === undefined || Number.isNaN(ms) ? 'n/a' : `${(ms / 1000).toFixed(ms < 10000 ? 2 : 1)} s`);
const msF = (ms) => (ms === null || ms === undefined ? 'n/a' : `${ms.toFixed(0)} ms`);
const x = (a, b) => (a > 0 && b > 0 ? `${(a / b).toFixed(2)}×` : 'n/a');
const mb = (bytes) => (bytes === null || bytes === undefined ? 'n/a' : `${(bytes / 1024 / 1024).toFixed(1)} MB`);
const met = (cond) => (cond === null ? 'n/a' : cond ? '**met**' : '**missed**');

function rssCell(r) {
  if (!r?.rss || r.rss.growthServer === null) return 'n/a';
  return `+${mb(Math.max(0, r.rss.growthServer))} (peak ${mb(r.rss.peakServer)})`;
}
function timeCell(r) {
  if (!r) return 'n/a';
  if (r.skipped) return 'skipped';
  if (!r.ok && !r.taskOk && r.ms === undefined) return `failed`;
  return r.ok || r.taskOk ? s(r.ms) : `${s(r.ms)} (failed)`;
}
function checkCell(r) {
  if (!r) return 'n/a';
  if (r.skipped) return 'skipped';
  if (!r.check) return r.error ? `failed: ${short(r.error)}` : 'n/a';
  const c = r.check;
  const base = c.ok ? 'ok' : 'WRONG';
  return `${base}: ${c.rows} rows, ${c.files} files${c.notes.length ? ` (${c.notes.join(', ')})` : ''}`;
}
function short(text, n = 120) {
  const t = String(text || '').replace(/\s+/g, ' ').replace(/\|/g, '/');
  return t.length > n ? `${t.slice(0, n)}…` : t;
}

/** Our backup with more than one dump job and with one (either may be the automatic choice), when both ran. */
function parallelPair(r) {
  const c = r.jobsCompare;
  if (!r.ourBackup?.ok || !c?.other?.ok) return null;
  const auto = { ...r.ourBackup, jobs: c.autoJobs };
  const other = { ...c.other, jobs: c.otherJobs };
  return c.autoJobs > 1 ? { parallel: auto, single: other } : { parallel: other, single: auto };
}

/** Target evaluations for one database, also used by the summary table. */
function evaluate(r) {
  const e = {};
  const ob = r.ourBackup;
  const bb = r.builtinBackup;
  const or = r.ourRestore;
  const br = r.builtinRestore;
  const okb = ob?.ok;
  e.backupVsRaw = okb && r.rawBackup ? ob.ms <= TARGET.time * r.rawBackup.ms : okb === false ? false : null;
  e.backupVsBuiltin = okb && bb?.ok ? ob.ms <= bb.ms : okb && bb && !bb.ok ? true : null;
  e.restoreVsRaw = or?.ok && r.rawRestore ? or.ms <= TARGET.time * r.rawRestore.ms : or && !or.ok ? false : null;
  e.restoreVsBuiltin = or?.ok && br?.ok ? or.ms <= br.ms : or?.ok && br && !br.ok ? true : null;
  // Issue 16: until the app answers again, against the raw tools plus a plain restart of the same app, and half the
  // built-in's time.
  const rr = r.rawRestore;
  e.restoreVsRawRestart = or?.ok && rr?.restartMs !== undefined ? or.ms <= TARGET.time * (rr.ms + rr.restartMs) : or && !or.ok ? false : null;
  e.restoreVsHalfBuiltin = or?.ok && (br?.ok || br?.taskOk) ? or.ms <= 0.5 * br.ms : or?.ok && br && !br.ok && !br.taskOk ? true : null;
  const rssOk = (x2) => (x2?.rss && x2.rss.growthServer !== null ? x2.rss.growthServer < TARGET.rssBytes : null);
  e.rssBackup = rssOk(ob);
  e.rssRestore = rssOk(or);
  e.rssUpload = r.upload?.ok ? rssOk(r.upload) : r.upload ? false : null;
  e.rssDownload = r.download?.ok ? rssOk(r.download) : r.download ? false : null;
  const idle = r.idle?.latency?.p95;
  e.latency = okb && idle && ob.latency?.p95 !== null ? ob.latency.p95 < TARGET.latency * idle : null;
  // The crash-safety journal (fsynced before and after every live step) costs under 100 ms per restore.
  e.journal = or?.journal ? or.journal.ms < 100 : null;
  // Issue 19: on this machine, the parallel dump is never slower than one stream (5 % noise allowed).
  const pair = parallelPair(r);
  e.parallelDump = pair ? pair.parallel.ms <= 1.05 * pair.single.ms : null;
  return e;
}

function dialectSection(r) {
  const L = [];
  const e = evaluate(r);
  const ds = r.dataset || {};
  L.push(`### ${r.label} ${r.versions?.server || ''}`);
  L.push('');
  if (r.failed) L.push(`> The run for this database stopped early: ${short(r.failed, 400)}`, '');
  L.push(
    `Dataset: ${ds.rows?.toLocaleString('en-US')} rows in \`${'bench_items'}\` (table ${human(ds.tableBytes)}, whole database ${human(ds.dbBytes)}), ` +
      `${ds.files} upload files (${human(ds.fileBytes)}, ${ds.randomFiles} of them random bytes) with attachments records. ` +
      `Tools: ${r.versions?.tool || ''}.`,
  );
  L.push('');
  const ob = r.ourBackup || {};
  const bb = r.builtinBackup || {};
  const rb = r.rawBackup || {};
  const or = r.ourRestore || {};
  const br = r.builtinRestore || {};
  const rr = r.rawRestore || {};
  const idleP95 = r.idle?.latency?.p95;
  L.push('| Measure | Raw tools | Ours | Built-in | Ours / raw | Ours / built-in | Target | Result |');
  L.push('|---|---|---|---|---|---|---|---|');
  L.push(
    `| Backup wall time | ${s(rb.ms)}${runsText(rb)} | ${timeCell(r.ourBackup)}${runsText(ob)} | ${bb.ok ? s(bb.ms) : `failed${bb.ms !== undefined ? ` after ${s(bb.ms)}` : ''}`} | ${x(ob.ms, rb.ms)} | ${bb.ok ? x(ob.ms, bb.ms) : 'n/a'} | ≤ 1.15× raw; ≤ 1× built-in | ${met(e.backupVsRaw)} (raw); ${bb.ok ? met(e.backupVsBuiltin) : '**met** (built-in failed)'} (built-in) |`,
  );
  L.push(`| Archive size | ${human(rb.bytes)} | ${human(ob.bytes)} | ${bb.ok ? human(bb.bytes) : 'n/a'} | ${x(ob.bytes, rb.bytes)} | ${bb.ok ? x(ob.bytes, bb.bytes) : 'n/a'} | – | – |`);
  L.push(`| Server RSS growth during backup | ${rssCell(rb)} | ${rssCell(ob)} | ${rssCell(bb)} | | | < 64 MB | ${met(e.rssBackup)} |`);
  L.push(
    `| API p95 during backup (idle p95 ${msF(idleP95)}) | ${msF(rb.latency?.p95)} | ${msF(ob.latency?.p95)} (${x(ob.latency?.p95, idleP95)} idle) | ${msF(bb.latency?.p95)} (${x(bb.latency?.p95, idleP95)} idle) | | | < 2× idle | ${met(e.latency)} |`,
  );
  L.push(
    `| Restore wall time | ${s(rr.ms)} (+ ${s(rr.restartMs)} app start) | ${timeCell(r.ourRestore)}${r.ourRestoreFirst ? ` (1st run ${timeCell(r.ourRestoreFirst)})` : ''} | ${timeCell(r.builtinRestore)} | ${x(or.ms, rr.ms)} (${x(or.ms, rr.ms + rr.restartMs)} of raw + app start) | ${br.ok || br.taskOk ? x(or.ms, br.ms) : 'n/a'} | ≤ 1.15× raw; ≤ 1× built-in | ${met(e.restoreVsRaw)} (raw); ${br.ok || br.taskOk ? met(e.restoreVsBuiltin) : '**met** (built-in failed)'} (built-in) |`,
  );
  L.push(`| Restore correct | ${checkCell(r.rawRestore)} | ${checkCell(r.ourRestore)} | ${checkCell(r.builtinRestore)} | | | rows and files back | ${or.check?.ok ? '**met**' : '**missed**'} |`);
  const beforeUpgrade = or.rssBeforeUpgrade ? `; +${mb(Math.max(0, or.rssBeforeUpgrade.growthServer))} before NocoBase's upgrade step` : '';
  L.push(`| Server RSS growth during restore | – | ${rssCell(or)}${beforeUpgrade} | ${rssCell(br)} | | | < 64 MB | ${met(e.rssRestore)}${or.rssBeforeUpgrade ? ` (before the upgrade step: ${met(or.rssBeforeUpgrade.growthServer < TARGET.rssBytes)})` : ''} |`);
  const pair = parallelPair(r);
  if (pair) {
    const { parallel, single } = pair;
    L.push(`| Backup with ${parallel.jobs} dump jobs vs one stream (automatic here: ${r.jobsCompare.autoJobs}) | – | ${timeCell(parallel)}${runsText(parallel)} vs ${timeCell(single)}${runsText(single)} (gain ${x(single.ms, parallel.ms)}) | – | | | ≤ 1× one stream | ${met(e.parallelDump)} |`);
  } else if (ob.dumpFormat) {
    L.push(`| Dump format | – | ${ob.dumpFormat}, ${ob.dumpJobs} job(s) | – | | | – | – |`);
  }
  if (r.ourRestoreSafety) {
    const os2 = r.ourRestoreSafety;
    L.push(`| Restore with our default safety backup | | ${timeCell(os2)}, ${checkCell(os2)}, RSS ${rssCell(os2)} | | ${x(os2.ms, rr.ms)} | ${br.ok || br.taskOk ? x(os2.ms, br.ms) : 'n/a'} | (for information) | – |`);
  }
  if (r.upload) {
    const u = r.upload;
    L.push(`| Upload of a ${human(u.bytes)} archive (streamed) | – | ${u.ok ? `${s(u.ms)} (${mbps(u.bytes, u.ms)})` : `failed: ${short(u.error)}`}, RSS ${rssCell(u)} | – | | | < 64 MB | ${met(e.rssUpload)} |`);
  }
  if (r.download) {
    const dl = r.download;
    L.push(`| Download of a ${human(dl.bytes)} archive to /dev/null | – | ${dl.ok ? `${s(dl.ms)} (${mbps(dl.bytes, dl.ms)})` : `failed: ${short(dl.error || dl.status)}`}, RSS ${rssCell(dl)} | – | | | < 64 MB | ${met(e.rssDownload)} |`);
  }
  L.push('');
  // details
  L.push('<details><summary>Details</summary>', '');
  L.push(`- Raw backup: \`${rb.command || ''}\`: dump ${s(rb.dumpMs)}, tar ${s(rb.ms - rb.dumpMs)}.`);
  L.push(`- Raw restore (server stopped): \`${rr.command || ''}\`: database ${s(rr.dbMs)}, files ${s(rr.ms - rr.dbMs)}; starting the app afterwards took ${s(rr.restartMs)}.`);
  if (ob.phases) L.push(`- Our backup phases (first seen, from the request): ${phaseText(ob.phases)}; server-side ${s(ob.serverMs)}.`);
  if (r.ourRestoreFirst?.phases) L.push(`- Our restore, 1st run (${s(r.ourRestoreFirst.ms)}, ${checkCell(r.ourRestoreFirst)}, RSS ${rssCell(r.ourRestoreFirst)}), phases: ${phaseText(r.ourRestoreFirst.phases)}.`);
  if (or.phases) L.push(`- Our restore, 2nd run, phases: ${phaseText(or.phases)}.`);
  if (r.ourRestoreSafety?.phases) L.push(`- Our restore with safety backup, phases: ${phaseText(r.ourRestoreSafety.phases)}.`);
  if (bb.error) L.push(`- Built-in backup error: ${short(bb.error, 400)}`);
  if (br.phases) L.push(`- Built-in restore, what its status and the app answered: ${phaseText(br.phases)}.`);
  if (br.error && !br.skipped) L.push(`- Built-in restore error: ${short(br.error, 400)}`);
  if (r.paddedBackup) L.push(`- The upload/download archive came from one more Backup now with a padding file: ${timeCell(r.paddedBackup)}, ${human(r.paddedBackup.bytes)}, RSS ${rssCell(r.paddedBackup)}.`);
  const lat = (l) => (l ? `p50 ${msF(l.p50)}, p95 ${msF(l.p95)}, max ${msF(l.max)}, ${l.ok}/${l.count} answered 200` : 'n/a');
  L.push(`- API latency (\`GET /api/app:getInfo\` every 200 ms): idle ${lat(r.idle?.latency)}; raw backup ${lat(rb.latency)}; our backup ${lat(ob.latency)}; built-in backup ${lat(bb.latency)}.`);
  const grp = (x2) => (x2?.rss ? `+${mb(Math.max(0, x2.rss.growthGroup))} (peak ${mb(x2.rss.peakGroup)})` : 'n/a');
  L.push(`- RSS of the server's whole process group (server + the dump tools it runs): our backup ${grp(ob)}, built-in backup ${grp(bb)}, our restore ${grp(or)}, built-in restore ${grp(br)}, upload ${grp(r.upload)}, download ${grp(r.download)}. Idle server RSS ${mb(r.idle?.rss?.baseServer)}, idle wobble +${mb(r.idle?.rss?.growthServer)}.`);
  const ld = (v) => (v?.load !== undefined ? v.load.toFixed(1) : 'n/a');
  L.push(`- Load average (1 min) while measuring, on ${'this'} ${'machine'}: raw backup ${ld(rb)}, our backup ${ld(ob)}, built-in backup ${ld(bb)}, raw restore ${ld(rr)}, our restore ${ld(or)}, built-in restore ${ld(br)}.`);
  L.push(`- Dataset generation: rows ${s(ds.fillMs)}, files ${s(ds.filesMs)}; upload files digest ${ds.digest}.`);
  L.push('', '</details>', '');
  return L.join('\n');
}

function runsText(r) {
  return r?.runs && r.runs.length > 1 ? ` (median of ${r.runs.map((v) => (v / 1000).toFixed(1)).join(' / ')} s)` : '';
}

function mbps(bytes, ms) {
  return ms > 0 ? `${(bytes / 1024 / 1024 / (ms / 1000)).toFixed(0)} MB/s` : 'n/a';
}

/** Phase changes seen by polling; NocoBase's many "load plugin [x]" messages folded into one. */
function phaseText(phases) {
  const out = [];
  for (const p of phases) {
    const name = p.phase.replace(/^maintenance: APP_COMMANDING /, '').replace(/^(before )?load plugin \[.*$/, 'loading plugins');
    if (out.length && out[out.length - 1].name === name) continue;
    out.push({ name, at: p.at });
  }
  return out.map((p) => `${p.name} @${s(p.at)}`).join(' → ');
}

function targetSummary(results) {
  const L = [];
  const names = results.map((r) => r.label);
  L.push(`| Target | ${names.join(' | ')} |`);
  L.push(`|---|${names.map(() => '---|').join('')}`);
  const ev = results.map(evaluate);
  const row = (label, key, detail) => L.push(`| ${label} | ${ev.map((e, i) => `${met(e[key])} ${detail(results[i])}`).join(' | ')} |`);
  row('Backup ≤ 1.15× raw tools', 'backupVsRaw', (r) => `(${x(r.ourBackup?.ms, r.rawBackup?.ms)})`);
  row('Backup ≤ built-in', 'backupVsBuiltin', (r) => (r.builtinBackup?.ok ? `(${x(r.ourBackup?.ms, r.builtinBackup?.ms)})` : '(built-in failed)'));
  row('Restore ≤ 1.15× raw tools', 'restoreVsRaw', (r) => `(${x(r.ourRestore?.ms, r.rawRestore?.ms)})`);
  row('Restore until the app answers ≤ 1.15× raw tools + restart', 'restoreVsRawRestart', (r) => `(${x(r.ourRestore?.ms, (r.rawRestore?.ms ?? NaN) + (r.rawRestore?.restartMs ?? NaN))})`);
  row('Restore ≤ 0.5× built-in', 'restoreVsHalfBuiltin', (r) => (r.builtinRestore?.ok || r.builtinRestore?.taskOk ? `(${x(r.ourRestore?.ms, r.builtinRestore?.ms)})` : '(built-in failed)'));
  row('Restore ≤ built-in', 'restoreVsBuiltin', (r) => (r.builtinRestore?.ok || r.builtinRestore?.taskOk ? `(${x(r.ourRestore?.ms, r.builtinRestore?.ms)})` : '(built-in failed)'));
  row('Parallel dump ≤ one stream', 'parallelDump', (r) => {
    const pair = parallelPair(r);
    return pair ? `(${pair.parallel.jobs} jobs: ${x(pair.parallel.ms, pair.single.ms)}; automatic here: ${r.jobsCompare.autoJobs})` : '(not compared)';
  });
  row('RSS growth < 64 MB: backup', 'rssBackup', (r) => `(+${mb(r.ourBackup?.rss?.growthServer)})`);
  row('RSS growth < 64 MB: restore', 'rssRestore', (r) => `(+${mb(r.ourRestore?.rss?.growthServer)}${r.ourRestore?.rssBeforeUpgrade ? `; +${mb(r.ourRestore.rssBeforeUpgrade.growthServer)} before NocoBase's upgrade step` : ''})`);
  row('RSS growth < 64 MB: upload', 'rssUpload', (r) => `(+${mb(r.upload?.rss?.growthServer)} for ${human(r.upload?.bytes)})`);
  row('RSS growth < 64 MB: download', 'rssDownload', (r) => `(+${mb(r.download?.rss?.growthServer)} for ${human(r.download?.bytes)})`);
  row('API p95 during backup < 2× idle', 'latency', (r) => `(${msF(r.ourBackup?.latency?.p95)} vs ${msF(r.idle?.latency?.p95)})`);
  row('Restore journal < 100 ms', 'journal', (r) => (r.ourRestore?.journal ? `(${r.ourRestore.journal.ms} ms, ${r.ourRestore.journal.writes} fsynced writes)` : '(not reported)'));
  return L.join('\n');
}

function render(meta, results, notes = '', manyFiles = null) {
  const L = [];
  L.push('# Benchmarks');
  L.push('');
  L.push('Generated by `npm run bench` (scripts/bench.js); re-run it to refresh this file. Hand-written notes live in the "Analysis" section, which the script keeps.');
  L.push('');
  L.push(`- Date: ${meta.date.slice(0, 10)} (run took ${(meta.totalMs / 60000).toFixed(1)} min)`);
  L.push(`- Scale: **${meta.scale}** (\`--scale ${meta.scale}\`; scale 1 = about 1,000,000 rows ≈ 300 MB + 2,000 files ≈ 300 MB)`);
  L.push(`- Backups: raw tools and ours alternate ${meta.repeat || 1}× and the median run counts; restores once each (ours twice, the 2nd counts)`);
  L.push(`- Machine: ${meta.nproc} CPUs (${meta.cpu}), ${human(meta.memBytes)} memory, ${meta.os}; shared with other test runs, so timings carry noise`);
  L.push(`- Versions: NocoBase ${meta.nocobase}, @nocobase/plugin-backups ${meta.builtin}, this plugin ${meta.plugin}, Node ${meta.node}, ${meta.tar}`);
  for (const r of results) L.push(`- ${r.label}: server ${r.versions?.server}, ${r.versions?.tool}`);
  L.push('');
  L.push('## Targets');
  L.push('');
  L.push(targetSummary(results));
  L.push('');
  L.push('## Results');
  L.push('');
  for (const r of results) L.push(dialectSection(r));
  // The many-files scenario's own section (scripts/bench/many-files-report.js), kept as it was.
  if (manyFiles) L.push(manyFiles, '');
  L.push('## Method');
  L.push('');
  L.push(
    [
      '- One real NocoBase app (`.app/`, started by scripts/app-harness.js) per database, freshly installed with both this plugin and',
      '  `@nocobase/plugin-backups` enabled, on port 13150 with its own temporary `STORAGE_PATH` and database (bm_bench_pg / bm_bench_my).',
      '- Dataset: collection `bench_items` created with `collections:create` (title, body, amount, quantity, status, happenedAt, flag,',
      '  createdAt, updatedAt), filled by SQL (PostgreSQL `generate_series`, MariaDB the Sequence engine `seq_1_to_N` in chunks);',
      '  upload files written into `storage/uploads/bench` (a third random bytes, the rest text) with one `attachments` record each,',
      '  because the built-in only backs up files that have a record.',
      '- Raw tools: `pg_dump -Fc` / `mariadb-dump --single-transaction ...` plus `tar -cf` of `storage/uploads` and `storage/plugins`, run',
      '  while the app is up; restore with the app stopped: `pg_restore --clean --if-exists` / `mariadb db < dump` plus `rm -rf` and `tar -xf`.',
      '  The app start that an administrator needs afterwards is shown separately and not counted.',
      '- Ours: `POST backupsManagerTasks:create`, polling `backupsManagerTasks:get` every 100 ms until `succeeded`; restore with',
      '  `POST backupsManagerTasks:restore {taskId, safetyBackup: false}` (the raw tools keep no safety copy either) until the task',
      '  succeeded and `GET /api/app:getInfo` answers 200.',
      '- Built-in: `POST backups:create`, polling `backups:taskStatus?names[]=`; `POST backups:restore {name}`, polling',
      '  `backups:restoreStatus?task=` until the restarted app answers 204 (or the task is done and the app answers again).',
      '  Note that the built-in takes a database-only safety dump before it restores.',
      '- Every restore follows a change (1% of the rows deleted, 2% of the files deleted, one stray file added) and is checked',
      '  by the row count of `bench_items` and the SHA-256 of every upload file.',
      '- Memory: VmRSS of the process listening on the app port (found in the process group the harness started), sampled every',
      '  100 ms; growth = peak during the operation − median of the 1.5 s before it. The group total (server + dump tools) is in the details.',
      '- Latency: `GET /api/app:getInfo` every 200 ms (not waiting for the previous answer) for 10 s idle and during each backup.',
      '- Upload/download: a Backup now archive of ~1 GB × scale (padded with a file of random bytes when the dataset is smaller),',
      '  streamed from disk with `POST backupsManagerTasks:upload` and to /dev/null with `GET backupsManagerTasks:download`.',
    ].join('\n'),
  );
  L.push('');
  L.push('## Analysis');
  L.push('');
  L.push(notes.trim() || '_No notes yet._');
  L.push('');
  return L.join('\n');
}

/** Writes the report, keeping the hand-written "## Analysis" section and the many-files section of the existing file. */
function writeReport(file, meta, results) {
  let notes = '';
  let manyFiles = null;
  if (fs.existsSync(file)) {
    const old = fs.readFileSync(file, 'utf8');
    const i = old.indexOf('\n## Analysis\n');
    if (i >= 0) notes = old.slice(i + '\n## Analysis\n'.length);
    manyFiles = require('./many-files-report').readSection(i >= 0 ? old.slice(0, i) : old).block;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, render(meta, results, notes, manyFiles));
}

function summary(meta, results) {
  return `\n${targetSummary(results)}\n\n`;
}

module.exports = { writeReport, render, summary, evaluate };
