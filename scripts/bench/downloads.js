// The downloads scenario of `npm run bench -- --only downloads` (issue 19): a backup of about --upload-gb GB (a
// padding file of random bytes in uploads), downloaded by `curl` through real HTTP on loopback, cut at half (curl
// killed), resumed with `curl -C -` (a Range request), and the file's SHA-256 compared with the archive's; once with
// the admin's token (scripts, download managers) and once with a signed link (what the browser opens). Reports the
// times and the server's RSS growth during each download. Its own section of docs/benchmarks.md.
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { spawn } = require('child_process');
const { log, sleep, human } = require('./util');
const { startFreshApp } = require('./fresh-app');
const { RssSampler } = require('./monitor');
const ds = require('./dataset');

const BEGIN = '<!-- downloads:begin (written by scripts/bench/downloads.js; edit the script, not this section) -->';
const END = '<!-- downloads:end -->';

function sha256File(file) {
  return new Promise((resolve, reject) => {
    const hash = crypto.createHash('sha256');
    fs.createReadStream(file, { highWaterMark: 4 * 1024 * 1024 })
      .on('data', (c) => hash.update(c))
      .on('end', () => resolve(hash.digest('hex')))
      .on('error', reject);
  });
}

function writeRandom(file, bytes) {
  const fd = fs.openSync(file, 'w');
  const chunk = Buffer.alloc(8 * 1024 * 1024);
  for (let left = bytes; left > 0; left -= chunk.length) {
    crypto.randomFillSync(chunk);
    fs.writeSync(fd, chunk, 0, Math.min(left, chunk.length));
  }
  fs.closeSync(fd);
}

/** curl into `out`; with stopAt, killed once the file holds that many bytes (the connection cut). */
function curl(args, out, stopAt) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn('curl', ['-sS', '-o', out, '-w', '%{http_code}', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const timer = stopAt
      ? setInterval(() => {
          const size = fs.existsSync(out) ? fs.statSync(out).size : 0;
          if (size >= stopAt) child.kill('SIGKILL');
        }, 5)
      : null;
    child.on('close', (code, signal) => {
      if (timer) clearInterval(timer);
      resolve({ code, signal, status: Number(stdout.trim()) || null, stderr: stderr.trim(), ms: Date.now() - t0, bytes: fs.existsSync(out) ? fs.statSync(out).size : 0 });
    });
  });
}

async function cutAndResume(label, url, headers, archive, work, sampler) {
  const out = path.join(work, `${label}.nbbm`);
  fs.rmSync(out, { force: true });
  const hdr = Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]);
  // Loopback is fast: curl is slowed to ~200 MB/s so that the cut lands near the middle.
  const rate = ['--limit-rate', '200M'];
  const t0 = Date.now();
  const first = await curl([...hdr, ...rate, url()], out, Math.floor(archive.bytes / 2));
  const cutAt = first.bytes;
  const second = await curl([...hdr, '-C', '-', url()], out);
  const end = Date.now();
  const hash = await sha256File(out);
  fs.rmSync(out, { force: true });
  const r = {
    label,
    ok: second.code === 0 && second.status === 206 && hash === archive.sha256,
    cutAt,
    firstMs: first.ms,
    firstSignal: first.signal,
    resumeStatus: second.status,
    resumeMs: second.ms,
    resumeBytes: archive.bytes - cutAt,
    totalMs: end - t0,
    sha256Equal: hash === archive.sha256,
    rss: sampler.window(t0, end),
    error: second.code === 0 ? null : second.stderr,
  };
  log(`downloads (${label}): cut at ${human(cutAt)} (${((cutAt / archive.bytes) * 100).toFixed(0)} %) after ${(first.ms / 1000).toFixed(1)} s, resumed ${second.status} in ${(second.ms / 1000).toFixed(1)} s; SHA-256 ${r.sha256Equal ? 'equal' : 'DIFFERENT'}; server RSS +${human(r.rss?.growthServer || 0)}`);
  return r;
}

/** ctx (from scripts/bench.js): appDir, onCleanup, unwindTo, cleanupCount, waitOurTask. */
async function benchDownloads(d, opts, ctx, res) {
  const db = `${d.database}_dl`;
  const port = opts.port;
  const target = Math.round(1024 ** 3 * (opts.uploadGb || 1));
  Object.assign(res, { scenario: 'downloads', dialect: d.name, label: d.label, target, date: new Date().toISOString() });
  const storage = ds.tmpDir('nbbench-dl-storage-');
  const work = ds.tmpDir('nbbench-dl-work-');
  const mark = ctx.cleanupCount();
  ctx.onCleanup(`remove ${storage}`, () => fs.rmSync(storage, { recursive: true, force: true }));
  ctx.onCleanup(`remove ${work}`, () => fs.rmSync(work, { recursive: true, force: true }));
  const { server, api } = await startFreshApp(ctx, d, { db, port, storage, label: 'downloads', opts });

  const pad = path.join(storage, 'uploads', 'zz-bench-padding.bin');
  fs.mkdirSync(path.dirname(pad), { recursive: true });
  writeRandom(pad, target);
  log(`downloads: a backup with ${human(target)} of random padding`);
  const t0 = Date.now();
  const row = await api.ok('POST', 'backupsManagerTasks:create', {});
  const done = await ctx.waitOurTask(api, row.id, t0, 30 * 60 * 1000);
  fs.rmSync(pad, { force: true });
  if (done.row.status !== 'succeeded') throw new Error(`the backup failed: ${done.row.error}`);
  const file = path.join(storage, 'backups-manager', 'main', done.row.fileName);
  const archive = { bytes: fs.statSync(file).size, sha256: await sha256File(file), backupMs: Date.now() - t0 };
  res.archive = { bytes: archive.bytes, backupMs: archive.backupMs };
  log(`downloads: archive of ${human(archive.bytes)} in ${(archive.backupMs / 1000).toFixed(1)} s`);

  const sampler = new RssSampler(server.pid, port);
  sampler.start();
  ctx.onCleanup('stop the sampler', () => sampler.stop());
  await sleep(2000);
  const base = `${server.url}/api/`;
  res.token = await cutAndResume('token', () => `${base}backupsManagerTasks:download?filterByTk=${row.id}`, { Authorization: `Bearer ${api.token}` }, archive, work, sampler);
  // A link is good for a minute: one for the cut download, a fresh one for the resume (as a browser retrying
  // later would need; within the minute the same link resumes too).
  let link = null;
  const linkUrl = () => `${base}${link}`;
  const issue = async () => (link = (await api.ok('POST', `backupsManagerTasks:downloadLink?filterByTk=${row.id}`)).url);
  await issue();
  res.link = await cutAndResume('link', linkUrl, {}, archive, work, sampler);
  sampler.stop();
  await ctx.unwindTo(mark);
  return res;
}

function renderSection(r) {
  const mb = (bytes, ms) => (ms > 0 ? `${(bytes / 1024 ** 2 / (ms / 1000)).toFixed(0)} MB/s` : '-');
  const line = (x) =>
    `| ${x.label === 'token' ? "admin's token (`curl -C -`)" : 'signed link (the browser\'s way)'} | ${human(x.cutAt)} (${((x.cutAt / r.archive.bytes) * 100).toFixed(0)} %) | ${(x.firstMs / 1000).toFixed(1)} s | ${x.resumeStatus} | ${(x.resumeMs / 1000).toFixed(1)} s (${mb(x.resumeBytes, x.resumeMs)}) | ${x.sha256Equal ? 'equal' : '**different**'} | ${human(x.rss?.growthServer || 0)} | ${x.ok ? 'met' : '**not met**'} |`;
  return [
    BEGIN,
    '## Downloads cut and resumed',
    '',
    `Issue 19's target: *a download of 1 GB with the connection cut at 50 % and resumed by range: the file's SHA-256 equals the archive's*. ${r.label}, ${r.date.slice(0, 10)}, archive of ${human(r.archive.bytes)} (a backup with random padding, ${(r.archive.backupMs / 1000).toFixed(0)} s)${r.target < 1024 ** 3 ? `, smaller than the target's 1 GB (\`--upload-gb ${(r.target / 1024 ** 3).toFixed(2)}\`)` : ''}; \`curl\` on loopback, the first run limited to 200 MB/s and killed (SIGKILL) once half the file was on disk, then \`curl -C -\` resumed it with a Range request.`,
    '',
    '| Through | Cut at | First part | Resume answer | Resume | SHA-256 vs archive | Server RSS growth | Target |',
    '|---|---|---|---|---|---|---|---|',
    line(r.token),
    line(r.link),
    '',
    'RSS growth: the server process\'s peak during both requests minus its level just before (scripts/bench/monitor.js).',
    `Run: \`npm run bench -- --only downloads${r.target !== 1024 ** 3 ? ` --upload-gb ${(r.target / 1024 ** 3).toFixed(2)}` : ''}\`.`,
    END,
  ].join('\n');
}

function writeSection(file, r) {
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# Benchmarks\n';
  const section = renderSection(r);
  const a = text.indexOf(BEGIN);
  const b = text.indexOf(END);
  const next = a >= 0 && b > a ? `${text.slice(0, a)}${section}${text.slice(b + END.length)}` : `${text.trimEnd()}\n\n${section}\n`;
  fs.writeFileSync(file, next);
}

module.exports = { benchDownloads, renderSection, writeSection };
