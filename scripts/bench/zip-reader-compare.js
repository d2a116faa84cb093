#!/usr/bin/env node
// Our ZIP central-directory reader (src/server/archive/zip-directory.ts) against yauzl (lazyEntries) and, for
// reference, unzipper (issue 18, item 6; figures in docs/how-it-works.md, "Why our own ZIP reader").
//   node scripts/bench/zip-reader-compare.js
// Builds two archives with our ArchiveWriter in a temp folder (removed at the end): (a) 50,000 entries of 2 KB,
// (b) about 1 GB in four incompressible entries. Then, in this process and alternating the readers' order, times
// opening and listing every central-directory record (a and b) and streaming every entry of (b) through SHA-256;
// medians of the runs. Peak RSS and heap growth of listing (a) are taken in a fresh child per run (--mem).
const crypto = require('crypto');
const fs = require('fs');
const fsp = require('fs/promises');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const { Readable } = require('stream');
const { human, median } = require('./util');
const { fileAt, contentOf } = require('./many-files-data');
const S = require('./zip-reader-subjects');

const MANY = 50_000;
const BIG_PARTS = 4;
const BIG_PART_BYTES = 256 * 1024 * 1024;
const LIST_RUNS = 7;
const STREAM_RUNS = 3;
const MEM_RUNS = 3;
const NEEDED_DISK = 3 * 1024 ** 3;

const log = (msg) => process.stderr.write(`[zip-reader ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
const load = () => os.loadavg().map((n) => n.toFixed(2)).join(' ');

function draft() {
  return {
    createdAt: new Date().toISOString(),
    app: { name: 'main', version: '2.0.0' },
    plugin: { name: 'bench', version: '0.0.0' },
    database: {
      dialect: 'postgres',
      serverVersion: '16',
      tool: 'pg_dump',
      toolVersion: '16',
      dump: 'db/main.dump',
      excludedTableData: [],
      tables: {},
    },
    parts: ['database', 'uploads'],
  };
}

/** `bytes` of incompressible data in 1 MiB chunks (a fresh buffer each: the writer may keep a reference). */
function randomStream(bytes) {
  let left = bytes;
  return new Readable({
    read() {
      if (left === 0) return this.push(null);
      const n = Math.min(left, 1024 * 1024);
      left -= n;
      this.push(crypto.randomFillSync(Buffer.allocUnsafe(n)));
    },
  });
}

async function buildMany(mod, dir) {
  const w = await mod.ArchiveWriter.create(path.join(dir, 'many' + mod.ARCHIVE_EXT), { tmpDir: dir });
  await w.addBuffer('db/main.dump', contentOf(MANY));
  for (let i = 0; i < MANY; i++) {
    const { dir: d, filename } = fileAt(i);
    await w.addBuffer(`storage/uploads/${d}/${filename}`, contentOf(i));
  }
  return withEntries(mod, await w.finish(draft()));
}

/** The writer answers the manifest without its entries: read them back from the archive. */
async function withEntries(mod, result) {
  return { ...result, manifest: await mod.readManifest(result.path) };
}

async function buildBig(mod, dir) {
  const w = await mod.ArchiveWriter.create(path.join(dir, 'big' + mod.ARCHIVE_EXT), { tmpDir: dir });
  await w.addStream('db/main.dump', randomStream(BIG_PART_BYTES));
  for (let i = 1; i < BIG_PARTS; i++) await w.addStream(`storage/uploads/big/${i}.bin`, randomStream(BIG_PART_BYTES));
  return withEntries(mod, await w.finish(draft()));
}

/** Runs every reader `runs` times, rotating which goes first; answers the times in ms per reader. */
async function alternate(readers, runs, fn) {
  const times = Object.fromEntries(readers.map((r) => [r.name, []]));
  for (let run = 0; run < runs; run++) {
    for (let k = 0; k < readers.length; k++) {
      const r = readers[(run + k) % readers.length];
      const t0 = process.hrtime.bigint();
      await fn(r);
      times[r.name].push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  }
  return times;
}

/** Streams every entry through SHA-256; every entry the manifest lists must come out with its digest. */
async function hashAll(reader, archive, manifest) {
  const want = new Map(manifest.entries.map((e) => [e.path, e.sha256]));
  let matched = 0;
  await reader.each(archive, async (name, stream) => {
    const got = await S.sha256Of(stream);
    if (!want.has(name)) return;
    if (want.get(name) !== got.sha256) throw new Error(`${reader.name}: ${name} hashes differently`);
    matched++;
  });
  if (matched !== want.size) throw new Error(`${reader.name}: ${matched} of ${want.size} entries streamed`);
}

/** A field of /proc/self/status in bytes (VmRSS, VmHWM). */
const procStatus = (field) =>
  Number(fs.readFileSync('/proc/self/status', 'utf8').match(new RegExp(`${field}:\\s+(\\d+)`))[1]) * 1024;

/**
 * Child (--mem): peak RSS and sampled heap growth while one reader lists one archive. The peak is VmHWM after
 * resetting it (clear_refs 5): getrusage's maxRSS keeps the parent's peak across exec.
 */
async function memChild(name, archive, dir) {
  const reader =
    name === 'ours'
      ? S.ours(require(path.join(dir, 'archive-bundle.js')))
      : name === 'yauzl'
        ? S.yauzlReader()
        : S.unzipperReader();
  global.gc();
  fs.writeFileSync('/proc/self/clear_refs', '5');
  const baseRss = procStatus('VmRSS');
  const baseHeap = process.memoryUsage().heapUsed;
  let heapPeak = baseHeap;
  const timer = setInterval(() => (heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed)), 1);
  const count = await reader.list(archive);
  clearInterval(timer);
  heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
  process.stdout.write(JSON.stringify({ count, rss: procStatus('VmHWM') - baseRss, heap: heapPeak - baseHeap }));
}

function memRuns(names, archive, dir, count) {
  const out = Object.fromEntries(names.map((n) => [n, { rss: [], heap: [] }]));
  for (let run = 0; run < MEM_RUNS; run++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(run + k) % names.length];
      const args = ['--expose-gc', __filename, '--mem', name, archive, dir];
      const r = JSON.parse(execFileSync(process.execPath, args).toString());
      if (r.count !== count) throw new Error(`${name} listed ${r.count} entries in its child, not ${count}`);
      out[name].rss.push(r.rss);
      out[name].heap.push(r.heap);
    }
  }
  return out;
}

const ms = (v) => `${Math.round(v)} ms`;
const row = (name, times) => `| ${name} | ${ms(median(times))} | ${ms(Math.min(...times))}–${ms(Math.max(...times))} |`;

async function main() {
  const free = fs.statfsSync(os.tmpdir());
  if (free.bavail * free.bsize < NEEDED_DISK) throw new Error(`need ${human(NEEDED_DISK)} free in ${os.tmpdir()}`);
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'zip-reader-compare-'));
  const lines = [];
  const out = (s) => (lines.push(s), log(s));
  try {
    const mod = await S.loadOurs(dir);
    const readers = [S.ours(mod), S.yauzlReader(), S.unzipperReader()];
    const [ours, yauzl] = readers;
    out(`node ${process.version}, ${os.cpus().length} cores, load average at start ${load()}`);

    log(`building (a): ${MANY.toLocaleString('en')} entries of 2 KB`);
    const many = await buildMany(mod, dir);
    log(`building (b): ${BIG_PARTS} entries of ${human(BIG_PART_BYTES)}`);
    const big = await buildBig(mod, dir);
    const sizes = [many, big].map((x) => `${x.manifest.entries.length.toLocaleString('en')} entries, ${human(x.size)}`);
    out(`(a) ${sizes[0]}; (b) ${sizes[1]}`);

    const counts = await Promise.all(readers.map((r) => r.list(many.path))); // also warms the page cache
    if (new Set(counts).size !== 1) throw new Error(`the readers list different counts: ${counts}`);

    log('listing (a)');
    const listMany = await alternate(readers, LIST_RUNS, (r) => r.list(many.path));
    log('listing (b)');
    const listBig = await alternate(readers, LIST_RUNS, (r) => r.list(big.path));
    log('streaming (b) through SHA-256');
    const streamBig = await alternate([ours, yauzl], STREAM_RUNS, (r) => hashAll(r, big.path, big.manifest));
    log('memory of listing (a), one child per run');
    const mem = memRuns(readers.map((r) => r.name), many.path, dir, counts[0]);

    out('');
    out(`| (a) list ${counts[0].toLocaleString('en')} entries, ${LIST_RUNS} runs | median | range |`);
    out('|---|---|---|');
    for (const r of readers) out(row(r.name, listMany[r.name]));
    out('');
    out(`| (b) ${human(big.size)}, ${LIST_RUNS} / ${STREAM_RUNS} runs | list (median) | stream + SHA-256 (median) | stream range |`);
    out('|---|---|---|---|');
    for (const r of [ours, yauzl]) {
      const t = streamBig[r.name];
      out(`| ${r.name} | ${ms(median(listBig[r.name]))} | ${ms(median(t))} | ${ms(Math.min(...t))}–${ms(Math.max(...t))} |`);
    }
    out(`| unzipper | ${ms(median(listBig.unzipper))} | – | – |`);
    out('');
    out(`| (a) memory of listing, ${MEM_RUNS} fresh processes | peak RSS growth (median) | heap growth (median, sampled) |`);
    out('|---|---|---|');
    for (const r of readers) out(`| ${r.name} | ${human(median(mem[r.name].rss))} | ${human(median(mem[r.name].heap))} |`);
    out('');
    out(`load average at end ${load()}`);
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
  process.stdout.write(lines.join('\n') + '\n');
}

if (process.argv[2] === '--mem') {
  memChild(process.argv[3], process.argv[4], process.argv[5]).catch((err) => {
    console.error(err);
    process.exit(1);
  });
} else {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
