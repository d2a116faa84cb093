// The "Many small files" section of docs/benchmarks.md: owned by the many-files scenario, between two markers.
// Its results are kept in the section itself (a JSON comment), so a run of one file count or one database
// replaces only its own rows and leaves the others' figures (with their dates) in place.
const fs = require('fs');
const path = require('path');
const { human } = require('./util');

const BEGIN = '<!-- many-files:begin (written by scripts/bench/many-files-report.js; edit the script, not this section) -->';
const END = '<!-- many-files:end -->';
const DATA = /<!-- many-files:data (.*?) -->/s;
const RSS_LIMIT = 64 * 1024 * 1024;

const s = (ms) => (ms === null || ms === undefined || Number.isNaN(ms) ? 'n/a' : `${(ms / 1000).toFixed(ms < 10000 ? 2 : 1)} s`);
const msF = (ms) => (ms === null || ms === undefined ? 'n/a' : `${ms.toFixed(0)} ms`);
const x = (a, b) => (a > 0 && b > 0 ? `${(a / b).toFixed(2)}×` : 'n/a');
const mb = (bytes) => (bytes === null || bytes === undefined ? 'n/a' : `${(bytes / 1024 / 1024).toFixed(1)} MB`);
const met = (cond) => (cond === null || cond === undefined ? 'n/a' : cond ? '**met**' : '**missed**');
const pct = (a, b) => (a > 0 && b > 0 ? `${a >= b ? '+' : '−'}${Math.abs(Math.round((a / b - 1) * 100))} %` : 'n/a');
const n = (v) => (typeof v === 'number' ? v.toLocaleString('en-US') : 'n/a');

/** The issue's targets for a file count: backup ≤ 1.5× raw at 50,000, ≤ 2× at 500,000; restore targets at 50,000. */
function targetsFor(files) {
  return { backup: files >= 500000 ? 2 : 1.5, restore: 1.3, safety: 1.2, restoreCounts: files < 500000, latency: 2 };
}

/** met / missed (true / false) per target, null when there is nothing to judge. */
function evaluate(r) {
  const t = targetsFor(r.files);
  const ob = r.ourBackup;
  const or = r.ourRestore;
  const os = r.ourRestoreSafety;
  const rr = r.rawRestore;
  const idle = r.idle?.latency?.p99;
  const rssOk = (v) => (v?.rss && v.rss.growthServer !== null ? v.rss.growthServer < RSS_LIMIT : null);
  const latOk = (v) => (v?.latency?.p99 != null && idle ? v.latency.p99 < t.latency * idle : null);
  const fail = (v) => (v && !v.ok ? false : null);
  const e = {};
  e.backup = ob?.ok && r.rawBackup ? ob.ms <= t.backup * r.rawBackup.ms : fail(ob);
  e.restore = or?.ok && rr?.ms ? or.ms <= t.restore * rr.ms : fail(or);
  e.safety = or?.ok && os?.ok ? os.ms <= t.safety * or.ms : os && !os.ok ? false : null;
  e.rssBackup = ob?.ok ? rssOk(ob) : fail(ob);
  e.rssRestore = or?.ok ? rssOk(or) : fail(or);
  e.latencyBackup = ob?.ok ? latOk(ob) : fail(ob);
  e.latencyRestore = or?.ok ? latOk(or) : fail(or);
  e.correct = or ? !!(or.ok && (!os || os.ok)) : null;
  return e;
}

function rssCell(v, before) {
  if (!v?.rss || v.rss.growthServer === null) return 'n/a';
  const b = before?.growthServer != null ? `; +${mb(Math.max(0, before.growthServer))} before NocoBase's upgrade or restart step` : '';
  return `+${mb(Math.max(0, v.rss.growthServer))} (peak ${mb(v.rss.peakServer)})${b}`;
}
function latCell(v, idle) {
  const l = v?.latency;
  if (!l || l.p99 == null) return 'n/a';
  const lost = l.noAnswer ? `, ${l.noAnswer} unanswered` : '';
  return `${msF(l.p99)} (${x(l.p99, idle)} idle${lost})`;
}
function timeCell(v) {
  if (!v) return 'n/a';
  if (v.ms === undefined) return `failed: ${short(v.error)}`;
  return v.ok ? s(v.ms) : `${s(v.ms)} (failed: ${short(v.error || v.check?.notes?.join(', '))})`;
}
function checkCell(v) {
  if (!v?.check) return v?.error ? `failed: ${short(v.error)}` : 'n/a';
  const c = v.check;
  return `${c.ok ? 'ok' : 'WRONG'}: ${n(c.rows)} rows, ${n(c.attachments)} attachment rows, ${n(c.files)} files${c.notes.length ? ` (${c.notes.join(', ')})` : ''}`;
}
function short(text, len = 120) {
  const t = String(text || '').replace(/\s+/g, ' ').replace(/\|/g, '/');
  return t.length > len ? `${t.slice(0, len)}…` : t;
}
function phaseText(phases) {
  const out = [];
  for (const p of phases || []) {
    const name = p.phase.replace(/^maintenance: APP_COMMANDING /, '').replace(/^(before )?load plugin \[.*$/, 'loading plugins');
    if (out.length && out[out.length - 1].name === name) continue;
    out.push({ name, at: p.at });
  }
  return out.map((p) => `${p.name} @${s(p.at)}`).join(' → ');
}
function runsText(v) {
  return v?.runs && v.runs.length > 1 ? ` (median of ${v.runs.map((ms) => (ms / 1000).toFixed(1)).join(' / ')} s)` : '';
}

function runSection(r) {
  const t = targetsFor(r.files);
  const e = evaluate(r);
  const L = [];
  const ds = r.dataset || {};
  const rb = r.rawBackup || {};
  const ob = r.ourBackup || {};
  const rr = r.rawRestore || {};
  const or = r.ourRestore || {};
  const os = r.ourRestoreSafety || {};
  const idle = r.idle?.latency?.p99;
  const info = t.restoreCounts ? '' : ' (for information: the issue sets it at 50,000)';
  L.push(`#### ${r.label}, ${n(r.files)} files`, '');
  if (r.failed) L.push(`> This run stopped early: ${short(r.failed, 400)}`, '');
  L.push(
    `Run ${String(r.date || '').slice(0, 16).replace('T', ' ')} UTC, plugin ${r.meta?.plugin || 'n/a'}, took ${s(r.totalMs)}. ` +
      `Dataset: ${n(ds.files)} files of 2 KB random bytes (${human(ds.bytes)}) in ${n(ds.folders)} folders${ds.appFiles ? ` (plus the fresh app's own ${n(ds.appFiles)})` : ''}, ${n(ds.attachments)} attachment rows, ` +
      `${n(ds.rows)} rows in \`bench_items\`, database ${human(ds.dbBytes)}. ${r.versions?.server || ''}; ${r.versions?.tool || ''}.`,
    '',
  );
  L.push('| Measure | Raw tools | Ours | Ours / raw | Target | Result |');
  L.push('|---|---|---|---|---|---|');
  L.push(`| Backup wall time | ${s(rb.ms)}${runsText(rb)} | ${timeCell(r.ourBackup)}${runsText(ob)} | ${x(ob.ms, rb.ms)} | ≤ ${t.backup}× raw | ${met(e.backup)} |`);
  L.push(`| Archive size | ${human(rb.bytes)} | ${human(ob.bytes)} | ${x(ob.bytes, rb.bytes)} | – | – |`);
  L.push(`| Server RSS growth during backup | ${rssCell(rb)} | ${rssCell(ob)} | | < 64 MB | ${met(e.rssBackup)} |`);
  L.push(`| Health-check p99 during backup (idle p99 ${msF(idle)}) | ${latCell(rb, idle)} | ${latCell(ob, idle)} | | < 2× idle | ${met(e.latencyBackup)} |`);
  L.push(
    `| Restore until the app answers, safety backup off | ${s(rr.ms)} (restore + untar + restart) | ${timeCell(r.ourRestore)}${r.ourRestoreFirst ? ` (1st run ${timeCell(r.ourRestoreFirst)})` : ''} | ${x(or.ms, rr.ms)} | ≤ ${t.restore}× raw${info} | ${met(e.restore)} |`,
  );
  L.push(`| Restore, safety backup on | | ${timeCell(r.ourRestoreSafety)} | ${x(os.ms, rr.ms)}; ${pct(os.ms, or.ms)} vs off | ≤ ${t.safety}× off${info} | ${met(e.safety)} |`);
  L.push(`| Server RSS growth during restore (off / on) | – | ${rssCell(or, or.rssBeforeUpgrade)} / ${rssCell(os, os.rssBeforeUpgrade)} | | < 64 MB | ${met(e.rssRestore)}${os.rss ? ` (safety on: ${met(os.rss.growthServer < RSS_LIMIT)})` : ''} |`);
  const before = (v) => (v?.latencyBeforeUpgrade?.p99 != null ? `; ${msF(v.latencyBeforeUpgrade.p99)} before NocoBase's upgrade or restart step` : '');
  L.push(`| Health-check p99 during restore (off / on) | – | ${latCell(or, idle)}${before(or)} / ${latCell(os, idle)}${before(os)} | | < 2× idle | ${met(e.latencyRestore)} |`);
  L.push(`| Restore correct (off / on / raw) | ${checkCell(r.rawRestore)} | ${checkCell(r.ourRestore)} / ${checkCell(r.ourRestoreSafety)} | | rows and files back | ${met(e.correct)} |`);
  L.push('');
  L.push('<details><summary>Details</summary>', '');
  L.push(`- Raw backup: \`${rb.command || ''}\`: dump ${s(rb.dumpMs)}, tar ${s(rb.ms - rb.dumpMs)}.`);
  L.push(`- Raw restore: stop the app ${s(rr.stopMs)}, \`${rr.command || ''}\`: database ${s(rr.dbMs)}, files ${s(rr.filesMs)}; start the app until \`app:getInfo\` answers ${s(rr.startMs)}.`);
  if (ob.phases) L.push(`- Our backup phases (first seen, polling every 100 ms): ${phaseText(ob.phases)}; server-side ${s(ob.serverMs)}.`);
  for (const [name, v] of [['off, 1st run', r.ourRestoreFirst], ['off, 2nd run', r.ourRestore], ['safety backup on', r.ourRestoreSafety]]) {
    if (v?.phases) L.push(`- Our restore (${name}): ${phaseText(v.phases)}${v.cleanUpMs != null ? `; the deletion of what it replaced ended ${s(v.cleanUpMs)} after (the next run waited for it)` : ''}.`);
  }
  const lat = (l) => (l ? `p50 ${msF(l.p50)}, p95 ${msF(l.p95)}, p99 ${msF(l.p99)}, max ${msF(l.max)}, ${l.answered}/${l.count} answered (${l.ok} with 200)` : 'n/a');
  L.push(`- Health checks (\`GET /api/app:getInfo\` every 200 ms): idle ${lat(r.idle?.latency)}; raw backup ${lat(rb.latency)}; our backup ${lat(ob.latency)}; our restore off ${lat(or.latency)}; on ${lat(os.latency)}.`);
  const grp = (v) => (v?.rss ? `+${mb(Math.max(0, v.rss.growthGroup))} (peak ${mb(v.rss.peakGroup)})` : 'n/a');
  L.push(`- RSS of the server's process group (server + the tools it runs): our backup ${grp(ob)}, restore off ${grp(or)}, on ${grp(os)}. Idle server RSS ${mb(r.idle?.rss?.baseServer)}.`);
  const ld = (v) => (v?.load !== undefined ? v.load.toFixed(1) : 'n/a');
  L.push(`- Load average (1 min): raw backup ${ld(rb)}, our backup ${ld(ob)}, our restore off ${ld(or)}, on ${ld(os)}.`);
  L.push(`- Dataset generation: files ${s(ds.filesMs)}, attachment rows ${s(ds.rowsMs)}.`);
  L.push('', '</details>', '');
  return L.join('\n');
}

function targetTable(results) {
  const heads = results.map((r) => `${r.label} ${n(r.files)}`);
  const ev = results.map(evaluate);
  const L = [`| Target | ${heads.join(' | ')} |`, `|---|${heads.map(() => '---|').join('')}`];
  const row = (label, key, detail) => L.push(`| ${label} | ${ev.map((e, i) => `${met(e[key])} ${detail(results[i])}`).join(' | ')} |`);
  const idle = (r) => r.idle?.latency?.p99;
  row('Backup ≤ 1.5× raw (50,000) / ≤ 2× (500,000)', 'backup', (r) => `(${x(r.ourBackup?.ms, r.rawBackup?.ms)})`);
  row('Restore ≤ 1.3× raw restore + restart', 'restore', (r) => `(${x(r.ourRestore?.ms, r.rawRestore?.ms)})${targetsFor(r.files).restoreCounts ? '' : ' info'}`);
  row('Safety backup adds ≤ 20 %', 'safety', (r) => `(${pct(r.ourRestoreSafety?.ms, r.ourRestore?.ms)})${targetsFor(r.files).restoreCounts ? '' : ' info'}`);
  row('RSS growth < 64 MB: backup', 'rssBackup', (r) => `(+${mb(r.ourBackup?.rss?.growthServer)})`);
  row('RSS growth < 64 MB: restore', 'rssRestore', (r) => `(+${mb(r.ourRestore?.rss?.growthServer)})`);
  row('Health p99 < 2× idle: backup', 'latencyBackup', (r) => `(${msF(r.ourBackup?.latency?.p99)} vs ${msF(idle(r))})`);
  row('Health p99 < 2× idle: restore', 'latencyRestore', (r) => `(${msF(r.ourRestore?.latency?.p99)} vs ${msF(idle(r))})`);
  row('Restores correct', 'correct', () => '');
  return L.join('\n');
}

const METHOD = [
  '- Same app and harness as above, one fresh install per database and file count (databases bm_bench_pg_mf / bm_bench_my_mf).',
  '  Dataset: 1,000 rows in `bench_items` (the point is the files) and N files of 2,048 random bytes (AES-CTR of the file\'s',
  '  index, so a check needs no stored digests) under `storage/uploads/mf/<folder>/`, 500 a folder, each with an `attachments` row.',
  '- Backups: raw (`pg_dump -Fc` / `mariadb-dump --single-transaction ...` + `tar -cf` of uploads and plugins, app running) and our',
  '  Backup now alternate (`--repeat` times at 50,000, once above 200,000); the median counts.',
  '- Restores: ours three times from the same archive, each after a change (every 50th file deleted, 1% of the attachment rows',
  '  deleted, a stray file added): safety backup off twice (the 2nd counts: NocoBase\'s upgrade step is slower the first time in a',
  '  process), then on; timed from the request until the task succeeded and `app:getInfo` answers 200. Raw: stop the app,',
  '  `pg_restore --clean --if-exists` / `mariadb < dump`, `rm -rf` + `tar -xf`, start the same app until `app:getInfo` answers 200.',
  '  Every restore is checked: rows, attachment rows, every file\'s bytes, stray files.',
  '- Memory: the server\'s VmRSS every 100 ms, growth = peak − median of the 1.5 s before. Latency: `GET /api/app:getInfo` every',
  '  200 ms; p99 over the calls answered (a 503 while in maintenance is an answer: the event loop turned), unanswered ones counted',
  '  apart; idle reference: 20 s before the first backup. The built-in plugin is not run in this scenario.',
].join('\n');

function renderSection(results) {
  const order = ['postgres', 'mariadb'];
  const sorted = [...results].sort((a, b) => a.files - b.files || order.indexOf(a.dialect) - order.indexOf(b.dialect));
  const L = [BEGIN, '## Many small files', ''];
  L.push(
    'Written by `npm run bench` (its many-files scenario, scripts/bench/many-files.js); `npm run bench -- --only many-files --files 50000`',
    'runs it alone (`--files 50000,500000`, `--dialects postgres`). A run replaces only its own database and file count here; each',
    'keeps its date. The default `npm run bench` runs every count on every database, after the core scenario above.',
    '',
  );
  // What each run added to the bench's run time (fresh app, dataset, measures, checks, clean-up).
  if (sorted.length) L.push(`Run time per run on this machine: ${sorted.map((r) => `${r.label} ${n(r.files)}: ${((r.totalMs || 0) / 60000).toFixed(1)} min`).join('; ')}.`, '');
  if (!sorted.length) L.push('_No results yet._', '');
  else {
    L.push('### Targets', '', targetTable(sorted), '', '### Runs', '');
    for (const r of sorted) L.push(runSection(r));
  }
  L.push('### Method', '', METHOD, '');
  const data = JSON.stringify(sorted).replace(/-->/g, '--\\u003e');
  L.push(`<!-- many-files:data ${data} -->`, END);
  return L.join('\n');
}

/** The section's block and its stored results in a report's text (null / [] when absent). */
function readSection(text) {
  const i = text.indexOf(BEGIN);
  const j = text.indexOf(END);
  if (i < 0 || j < i) return { block: null, results: [] };
  const block = text.slice(i, j + END.length);
  const m = DATA.exec(block);
  let results = [];
  try {
    results = m ? JSON.parse(m[1]) : [];
  } catch {
    results = [];
  }
  return { block, results };
}

/** Results merged: a new run replaces the stored one of the same database and file count. */
function mergeResults(old, fresh) {
  const key = (r) => `${r.dialect}:${r.files}`;
  const map = new Map(old.map((r) => [key(r), r]));
  for (const r of fresh) map.set(key(r), r);
  return [...map.values()];
}

/** The report with the section replaced, or put before "## Method" (before "## Analysis", or at the end). */
function placeSection(text, block) {
  const i = text.indexOf(BEGIN);
  const j = text.indexOf(END);
  if (i >= 0 && j > i) return text.slice(0, i) + block + text.slice(j + END.length);
  for (const heading of ['\n## Method\n', '\n## Analysis\n']) {
    const k = text.indexOf(heading);
    if (k >= 0) return `${text.slice(0, k + 1)}${block}\n\n${text.slice(k + 1)}`;
  }
  return `${text.replace(/\n*$/, '\n\n')}${block}\n`;
}

/** Slims a result for storing in the report: no sample arrays or RSS series. */
function slim(r) {
  return JSON.parse(JSON.stringify(r, (k, v) => (k === 'samples' || k === 'series' ? undefined : v)));
}

function writeSection(file, fresh) {
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# Benchmarks\n';
  const { results } = readSection(text);
  const merged = mergeResults(results, fresh.map(slim));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, placeSection(text, renderSection(merged)));
}

function summary(results) {
  return `\n${targetTable(results)}\n\n`;
}

module.exports = { BEGIN, END, targetsFor, evaluate, renderSection, readSection, mergeResults, placeSection, writeSection, summary };
