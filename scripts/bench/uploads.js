// The resumable-upload scenario of `npm run bench -- --only uploads` (issue 19): an archive of --upload-gb GB
// (1 by default) uploaded with tus in 8 MB chunks through a proxy on loopback that refuses bodies over 10 MB;
// then the same upload cut at 50 % (the client's connection destroyed at the proxy) and resumed by a new client
// from the server's offset. Measured: success, the bytes the proxy passed, time, and the server's RSS.
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const ds = require('./dataset');
const { startFreshApp } = require('./fresh-app');
const { RssSampler } = require('./monitor');
const { log, human, sleep, writeMarkedSection } = require('./util');
const { startSmallBodyProxy } = require('./small-body-proxy');
const { tusUpload, uploadIdOfUrl, MB } = require('./tus-upload');

const BEGIN = '<!-- uploads:begin (written by scripts/bench/uploads.js; edit the script, not this section) -->';
const END = '<!-- uploads:end -->';
const LIMIT = 10 * MB;

async function sha256(file) {
  const hash = crypto.createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk);
  return hash.digest('hex');
}

async function benchUploads(d, opts, ctx, res) {
  const db = `${d.database}_up`;
  const port = opts.port;
  const bytesWanted = Math.round(1024 ** 3 * (opts.uploadGb || 1));
  Object.assign(res, { scenario: 'uploads', dialect: d.name, label: d.label, date: new Date().toISOString(), limit: LIMIT, chunk: 8 * MB });
  const storage = ds.tmpDir('nbbench-up-storage-');
  ctx.onCleanup(`remove ${storage}`, () => fs.rmSync(storage, { recursive: true, force: true }));
  const { server, api } = await startFreshApp(ctx, d, { db, port, storage, label: 'uploads', opts });

  // An archive of the wanted size: Backup now with a padding file of random bytes in storage/uploads.
  const pad = path.join(storage, 'uploads', 'zz-bench-padding.bin');
  fs.mkdirSync(path.dirname(pad), { recursive: true });
  const block = crypto.randomBytes(4 * MB);
  const fd = fs.openSync(pad, 'w');
  for (let left = bytesWanted; left > 0; left -= block.length) fs.writeSync(fd, block, 0, Math.min(left, block.length));
  fs.closeSync(fd);
  const created = await api.call('POST', 'backupsManagerTasks:create', { json: { includeUploads: true, includePlugins: false } });
  const done = await ctx.waitOurTask(api, created.body.data.id, Date.now(), 30 * 60 * 1000);
  fs.rmSync(pad, { force: true });
  if (done.row.status !== 'succeeded') throw new Error(`the backup to upload failed: ${done.row.error}`);
  const archive = path.join(storage, 'backups-manager', 'main', done.row.fileName);
  res.bytes = fs.statSync(archive).size;
  const digest = await sha256(archive);
  log(`uploads: a ${human(res.bytes)} archive to upload`);

  const proxy = await startSmallBodyProxy({ target: server.url, limit: LIMIT });
  ctx.onCleanup('stop the proxy', () => proxy.close());
  const sampler = new RssSampler(server.pid, port);
  sampler.start();
  ctx.onCleanup('stop the sampler', () => sampler.stop());
  const endpoint = `${proxy.url}/api/backupsManagerUploads:tus`;
  const headers = () => ({ Authorization: `Bearer ${api.token}`, 'X-Authenticator': 'basic' });
  const uploaded = (url) => path.join(storage, 'backups-manager', 'main', '.uploads', `${uploadIdOfUrl(url)}.nbbm`);
  const check = async (url) => {
    const summary = await api.call('POST', 'backupsManagerUploads:summary', { json: { uploadId: uploadIdOfUrl(url) }, timeoutMs: 600000 });
    const same = (await sha256(uploaded(url))) === digest;
    fs.rmSync(uploaded(url), { force: true });
    return { summaryOk: summary.status === 200 && !!summary.body?.data?.summary, sameSha256: same };
  };

  // The one-request upload through the same proxy: refused (413), as nginx would.
  const direct = await fetch(`${proxy.url}/api/backupsManagerTasks:upload`, { method: 'POST', headers: { ...headers(), 'Content-Length': String(res.bytes) }, body: fs.createReadStream(archive), duplex: 'half' }).catch((err) => ({ status: err.message }));
  res.oneRequestStatus = direct.status;

  // 1. The whole upload.
  await sleep(2000);
  proxy.reset();
  let t0 = Date.now();
  const url = await tusUpload({ endpoint, file: fs.createReadStream(archive), headers: headers() });
  let t1 = Date.now();
  res.full = { ms: t1 - t0, sent: proxy.bytesIn(), refused: proxy.refused(), rss: sampler.window(t0, t1), ...(await check(url)) };
  log(`uploads: full upload ${(res.full.ms / 1000).toFixed(1)} s, ${human(res.full.sent)} through the proxy, RSS +${human(res.full.rss.growthServer)}`);

  // 2. Cut at 50 %, resumed by a new client from the server's offset.
  await sleep(2000);
  proxy.reset();
  proxy.cutAfter(Math.floor(res.bytes / 2));
  t0 = Date.now();
  const first = await tusUpload({ endpoint, file: fs.createReadStream(archive), headers: headers() }).then(
    () => null,
    (err) => err,
  );
  if (!first?.url) throw new Error(`the cut did not stop the upload: ${first}`);
  const sentBeforeCut = proxy.bytesIn();
  const resumedUrl = await tusUpload({ endpoint, file: fs.createReadStream(archive), headers: headers(), uploadUrl: first.url });
  t1 = Date.now();
  res.resumed = {
    ms: t1 - t0,
    sentBeforeCut,
    sent: proxy.bytesIn(),
    ratio: proxy.bytesIn() / res.bytes,
    sameUpload: resumedUrl === first.url,
    rss: sampler.window(t0, t1),
    ...(await check(resumedUrl)),
  };
  log(`uploads: cut at ${human(sentBeforeCut)} and resumed: ${human(res.resumed.sent)} sent in total (${res.resumed.ratio.toFixed(3)}×)`);
  sampler.stop();
  return res;
}

// ---------------------------------------------------------------------------------------------------------
// Report: its own section of docs/benchmarks.md, replaced by each run.

function targets(r) {
  const growth = Math.max(r.full.rss.growthServer ?? Infinity, r.resumed.rss.growthServer ?? Infinity);
  const met = (ok) => (ok ? '**met**' : '**missed**');
  return [
    ['Upload through a proxy refusing bodies over 10 MB succeeds', met(r.full.summaryOk && r.full.sameSha256 && r.full.refused === 0), `one request: HTTP ${r.oneRequestStatus}; tus: summary ok, SHA-256 equal`],
    ['Cut at 50 % and resumed: total bytes sent ≤ 1.05 × the archive', met(r.resumed.ratio <= 1.05 && r.resumed.sameUpload && r.resumed.sameSha256), `${human(r.resumed.sent)} for ${human(r.bytes)} (${r.resumed.ratio.toFixed(4)}×: ${(r.resumed.sent - r.bytes).toLocaleString('en-US')} bytes sent twice)`],
    ['Server RSS growth < 64 MB', met(growth < 64 * MB), `+${human(r.full.rss.growthServer)} (full), +${human(r.resumed.rss.growthServer)} (cut and resumed)`],
  ];
}

function renderSection(r, meta) {
  const lines = [
    BEGIN,
    '## Resumable uploads',
    '',
    'Written by `npm run bench -- --only uploads` (scripts/bench/uploads.js; `--upload-gb G`, 1 by default, `--dialects postgres`).',
    `An archive made by Backup now (a padding file of random bytes in storage/uploads), uploaded with tus-js-client in ${r.chunk / MB} MB`,
    `chunks through a Node proxy on loopback that answers 413 to any body over ${r.limit / MB} MB (scripts/bench/small-body-proxy.js).`,
    'Then the same upload with the client\'s connection destroyed at the proxy once half the file passed, and a new client resuming it',
    '(`uploadUrl`, as the page does from its local storage): bytes counted at the proxy. RSS: the NocoBase server process, peak minus',
    'the median of the second before. This proxy passes on what it received before the cut, so almost nothing is sent twice; nginx',
    'buffers a request body before passing it on (proxy_request_buffering), so there a cut loses at most the chunk in flight (8 MB).',
    '',
    `Run ${r.date.slice(0, 16).replace('T', ' ')} UTC on ${meta.nproc} × ${meta.cpu}, Node ${meta.node}, NocoBase ${meta.nocobase}, plugin ${meta.plugin}, ${r.label}; archive ${human(r.bytes)}.`,
    '',
    '| Target | Result | Figures |',
    '|---|---|---|',
    ...targets(r).map((t) => `| ${t.join(' | ')} |`),
    '',
    '| Run | Time | Throughput | Sent through the proxy | RSS growth (peak) |',
    '|---|---|---|---|---|',
    `| Whole upload | ${(r.full.ms / 1000).toFixed(1)} s | ${human((r.bytes / r.full.ms) * 1000)}/s | ${human(r.full.sent)} | +${human(r.full.rss.growthServer)} (${human(r.full.rss.peakServer)}) |`,
    `| Cut at 50 %, resumed | ${(r.resumed.ms / 1000).toFixed(1)} s | ${human((r.bytes / r.resumed.ms) * 1000)}/s | ${human(r.resumed.sent)} (${human(r.resumed.sentBeforeCut)} before the cut) | +${human(r.resumed.rss.growthServer)} (${human(r.resumed.rss.peakServer)}) |`,
    '',
    END,
  ];
  return lines.join('\n');
}

function writeSection(file, r, meta) {
  writeMarkedSection(file, BEGIN, END, renderSection(r, meta));
}

module.exports = { benchUploads, writeSection, renderSection };
