// The readers scripts/bench/zip-reader-compare.js measures, behind one shape: list(path) answers the entry count,
// each(path, fn) hands every entry's data stream to fn. Ours is bundled straight from src/ with esbuild (the
// plugin's dist/ is one bundle that does not export the archive internals), so no build is needed first.
const { createHash } = require('crypto');
const esbuild = require('esbuild');
const path = require('path');
const { once } = require('events');

const ARCHIVE_SRC = path.join(__dirname, '..', '..', 'src', 'server', 'archive');

/** Our archive modules (openArchive, rawEntryStream, ArchiveWriter), bundled into `dir` and loaded. */
async function loadOurs(dir) {
  const out = path.join(dir, 'archive-bundle.js');
  await esbuild.build({
    stdin: {
      contents: [
        "export { openArchive } from './zip-directory';",
        "export { rawEntryStream } from './entry-data';",
        "export { ArchiveWriter } from './writer';",
        "export { readManifest } from './reader';",
        "export { ARCHIVE_EXT } from '../../constants';",
      ].join('\n'),
      resolveDir: ARCHIVE_SRC,
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    target: 'node18',
    format: 'cjs',
    outfile: out,
    logLevel: 'warning',
  });
  return require(out);
}

/** Our reader: openArchive reads and checks the whole central directory (entries kept in a Map). */
function ours(mod) {
  return {
    name: 'ours',
    async list(p) {
      const z = await mod.openArchive(p);
      try {
        return z.entries.size;
      } finally {
        await z.close();
      }
    },
    async each(p, fn) {
      const z = await mod.openArchive(p);
      try {
        for (const e of z.entries.values()) await fn(e.path, mod.rawEntryStream(z, e));
      } finally {
        await z.close();
      }
    },
  };
}

/** yauzl with lazyEntries: one central record read per readEntry(); entries kept in a Map by name, as ours does. */
function yauzlReader() {
  const yauzl = require('yauzl');
  const open = (p) =>
    new Promise((resolve, reject) =>
      yauzl.open(p, { lazyEntries: true, autoClose: false }, (err, zf) => (err ? reject(err) : resolve(zf))),
    );
  const readAll = (zf, onEntry) =>
    new Promise((resolve, reject) => {
      zf.on('error', reject);
      zf.on('end', resolve);
      zf.on('entry', (entry) => Promise.resolve(onEntry(entry)).then(() => zf.readEntry(), reject));
      zf.readEntry();
    });
  const streamOf = (zf, entry) =>
    new Promise((resolve, reject) => zf.openReadStream(entry, (err, s) => (err ? reject(err) : resolve(s))));
  return {
    name: 'yauzl',
    async list(p) {
      const zf = await open(p);
      const entries = new Map();
      try {
        await readAll(zf, (e) => void entries.set(e.fileName, e));
        return entries.size;
      } finally {
        zf.close();
      }
    },
    async each(p, fn) {
      const zf = await open(p);
      try {
        await readAll(zf, async (e) => fn(e.fileName, await streamOf(zf, e)));
      } finally {
        zf.close();
      }
    },
  };
}

/** unzipper's Open.file, what our reader replaced (for reference: listing only). */
function unzipperReader() {
  const unzipper = require('unzipper');
  return {
    name: 'unzipper',
    async list(p) {
      const d = await unzipper.Open.file(p);
      return d.files.length;
    },
  };
}

/** Drains a stream into SHA-256; answers the hex digest and the byte count. */
async function sha256Of(stream) {
  const h = createHash('sha256');
  let bytes = 0;
  stream.on('data', (c) => {
    bytes += c.length;
    h.update(c);
  });
  await once(stream, 'end');
  return { sha256: h.digest('hex'), bytes };
}

module.exports = { loadOurs, ours, yauzlReader, unzipperReader, sha256Of };
