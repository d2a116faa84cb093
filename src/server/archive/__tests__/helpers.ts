import archiver from 'archiver';
import { createHash, randomBytes, randomFillSync } from 'crypto';
import fs from 'fs';
import fsp from 'fs/promises';
import os from 'os';
import path from 'path';
import { Readable } from 'stream';
import v8 from 'v8';
import { FORMAT, FORMAT_VERSION, NAMESPACE } from '../../../constants';
import type { Manifest, ManifestEntry, ManifestHead } from '../manifest-types';
import type { ManifestDraft } from '../writer';

export const sha256 = (buf: Buffer | string) => createHash('sha256').update(buf).digest('hex');

export async function sha256File(p: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of fs.createReadStream(p)) h.update(chunk as Buffer);
  return h.digest('hex');
}

export async function makeTmp(prefix = 'nbbm-test-'): Promise<string> {
  return fsp.mkdtemp(path.join(os.tmpdir(), prefix));
}

/** What the writer answers of a manifest it wrote: everything but the entries, with their count and bytes. */
export function headOf(m: Manifest): ManifestHead {
  const { entries, ...head } = m;
  return { ...head, entryCount: entries.length, entryBytes: entries.reduce((n, e) => n + e.size, 0) };
}

export function draft(overrides: Partial<ManifestDraft> = {}): ManifestDraft {
  return {
    createdAt: new Date().toISOString(),
    app: { name: 'main', version: '2.0.0' },
    plugin: { name: NAMESPACE, version: '0.1.0' },
    database: {
      dialect: 'postgres',
      serverVersion: '16.2',
      tool: 'pg_dump',
      toolVersion: '16.2',
      dump: 'db/main.dump',
      excludedTableData: ['logs'],
      tables: { users: 3 },
    },
    parts: ['database', 'uploads'],
    ...overrides,
  };
}

/** A full manifest for hand-built archives. */
export function manifestFor(entries: ManifestEntry[], overrides: Record<string, unknown> = {}): Manifest {
  const dump = entries.find((e) => e.path.startsWith('db/'))?.path ?? 'db/main.dump';
  return {
    format: FORMAT,
    formatVersion: FORMAT_VERSION,
    ...draft({ database: { ...draft().database, dump }, parts: entries.some((e) => e.path === dump) ? ['database'] : [] }),
    entries,
    ...overrides,
  } as Manifest;
}

export const entryOf = (p: string, data: Buffer): ManifestEntry => ({ path: p, size: data.length, sha256: sha256(data) });

export interface RawEntry {
  name: string;
  data: Buffer | string;
  /** archiver's option to keep a leading '/'. */
  namePrependSlash?: boolean;
  /** Append as a stream (data descriptor) instead of a buffer. */
  stream?: boolean;
}

/** Builds a zip directly with archiver (bypassing ArchiveWriter), entries in the given order. */
export async function buildZip(file: string, entries: RawEntry[], opts: { forceZip64?: boolean } = {}): Promise<void> {
  const a = archiver('zip', { store: true, ...opts });
  const out = fs.createWriteStream(file);
  const closed = new Promise<void>((resolve, reject) => {
    out.on('close', () => resolve());
    out.on('error', reject);
    a.on('error', reject);
  });
  a.pipe(out);
  for (const e of entries) {
    const buf = Buffer.from(e.data);
    a.append(e.stream ? Readable.from([buf]) : buf, { name: e.name, namePrependSlash: e.namePrependSlash } as any);
  }
  await a.finalize();
  await closed;
}

/** Offsets of one entry, read from the central directory and local header by hand. */
export async function locateEntry(file: string, name: string): Promise<{ central: number; local: number; data: number; size: number }> {
  const buf = await fsp.readFile(file);
  const eocd = buf.length - 22;
  if (buf.readUInt32LE(eocd) !== 0x06054b50) throw new Error('test helper: EOCD not at the end');
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  for (let i = 0; i < count; i++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error('test helper: bad CD');
    const n = buf.readUInt16LE(p + 28);
    const x = buf.readUInt16LE(p + 30);
    const c = buf.readUInt16LE(p + 32);
    const entryName = buf.subarray(p + 46, p + 46 + n).toString('utf8');
    if (entryName === name) {
      const local = buf.readUInt32LE(p + 42);
      const size = buf.readUInt32LE(p + 20);
      const ln = buf.readUInt16LE(local + 26);
      const lx = buf.readUInt16LE(local + 28);
      return { central: p, local, data: local + 30 + ln + lx, size };
    }
    p += 46 + n + x + c;
  }
  throw new Error(`test helper: ${name} not found`);
}

export async function flipByte(file: string, offset: number, mask = 0x01): Promise<void> {
  const fh = await fsp.open(file, 'r+');
  try {
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, offset);
    b[0] ^= mask;
    await fh.write(b, 0, 1, offset);
  } finally {
    await fh.close();
  }
}

/** Replaces every occurrence of `from` with `to` (same byte length) in the file. */
export async function patchBytes(file: string, from: Buffer | string, to: Buffer | string): Promise<number> {
  const a = Buffer.from(from);
  const b = Buffer.from(to);
  if (a.length !== b.length) throw new Error('test helper: patch must keep the length');
  const buf = await fsp.readFile(file);
  let n = 0;
  for (let i = buf.indexOf(a); i !== -1; i = buf.indexOf(a, i + a.length)) {
    b.copy(buf, i);
    n++;
  }
  await fsp.writeFile(file, buf);
  return n;
}

/** A stream shaped like `pg_dump -Fc` stdout: 'PGDMP' header, then uneven, asynchronously produced chunks. */
export function pgDumpLike(totalBytes: number, seed = 1): { stream: Readable; digest: () => string; size: () => number } {
  const h = createHash('sha256');
  let produced = 0;
  let state = seed;
  const next = () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state;
  };
  const stream = new Readable({
    read() {
      setImmediate(() => {
        if (produced >= totalBytes) {
          this.push(null);
          return;
        }
        let len = Math.min(totalBytes - produced, 1 + (next() % 100_000));
        let chunk: Buffer;
        if (produced === 0) {
          chunk = Buffer.concat([Buffer.from('PGDMP\x01\x0f\x00\x04\x08\x01\x01'), randomBytes(Math.max(0, len - 12))]).subarray(0, Math.max(len, 12));
          len = chunk.length;
        } else {
          chunk = randomBytes(len);
        }
        produced += len;
        h.update(chunk);
        this.push(chunk);
      });
    },
  });
  let digest: string | null = null;
  return { stream, digest: () => (digest = digest ?? h.digest('hex')), size: () => produced };
}

/**
 * `total` bytes of random data written into a fixed ring of `ringSize` chunk buffers, so the source itself
 * allocates nothing while streaming (RSS then shows only what the consumer keeps). A consumer that held more
 * than ringSize chunks at once would see them overwritten: the digest of what was generated would then differ
 * from what the consumer hashed or stored.
 */
export function ringGenerated(total: number, chunk: number, ringSize: number, onChunk?: (produced: number) => void) {
  // Filled (not zero pages left to the kernel) so the ring is resident from here, not counted later as growth.
  const ring = Array.from({ length: ringSize }, () => Buffer.alloc(chunk, 0x5a));
  const h = createHash('sha256');
  let produced = 0;
  let i = 0;
  const stream = new Readable({
    highWaterMark: chunk,
    read() {
      if (produced >= total) {
        this.push(null);
        return;
      }
      const n = Math.min(chunk, total - produced);
      const buf = ring[i++ % ringSize].subarray(0, n);
      randomFillSync(buf);
      h.update(buf);
      produced += n;
      onChunk?.(produced);
      this.push(buf);
    },
  });
  let digest: string | null = null;
  return { stream, digest: () => (digest = digest ?? h.digest('hex')) };
}

/** `total` bytes of random data in 1 MiB chunks, generated on demand. */
export function generated(total: number, chunk = 1024 * 1024, onChunk?: () => void): Readable {
  let left = total;
  return new Readable({
    highWaterMark: chunk,
    read() {
      if (left <= 0) {
        this.push(null);
        return;
      }
      const n = Math.min(chunk, left);
      left -= n;
      onChunk?.();
      this.push(randomFillSync(Buffer.allocUnsafe(n)));
    },
  });
}

export async function listTree(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string, rel: string) => {
    for (const d of await fsp.readdir(dir, { withFileTypes: true })) {
      const r = rel ? `${rel}/${d.name}` : d.name;
      out.push(d.isDirectory() ? r + '/' : r);
      if (d.isDirectory()) await walk(path.join(dir, d.name), r);
    }
  };
  await walk(root, '');
  return out.sort();
}

export async function expectCode(p: Promise<unknown>, code: string): Promise<any> {
  let caught: any;
  try {
    await p;
  } catch (err) {
    caught = err;
  }
  if (!caught) throw new Error(`expected ${code}, but it resolved`);
  if (caught.code !== code) {
    throw new Error(`expected ${code}, got ${caught.code}: ${caught.message}`);
  }
  return caught;
}

/** RSS sampled on a timer and on poke(); `restart()` restarts the peak (to look at one phase only). */
export function rssProbe() {
  let peak = process.memoryUsage.rss();
  const poke = () => {
    const r = process.memoryUsage.rss();
    if (r > peak) peak = r;
  };
  const timer = setInterval(poke, 5);
  return {
    poke,
    peak: () => (poke(), peak),
    restart: () => (peak = process.memoryUsage.rss()),
    stop: () => clearInterval(timer),
  };
}

/** Counts turns of the event loop (one setImmediate after another) until stop(): whether work hands the loop back. */
export function turnCounter() {
  let turns = 0;
  let running = true;
  const tick = () => {
    if (!running) return;
    turns++;
    setImmediate(tick);
  };
  setImmediate(tick);
  return {
    get turns() {
      return turns;
    },
    stop: () => {
      running = false;
      return turns;
    },
  };
}

/**
 * How many times `marker` occurs in a heap snapshot taken now (synchronously: nothing else runs in between), or in
 * `snapshot` (v8.getHeapSnapshot() takes it when called, then streams it), i.e. how many live strings held it. Build
 * the marker at run time, or the test's own source (a heap string) holds it.
 */
export async function occurrencesInHeap(marker: string, snapshot: AsyncIterable<unknown> = v8.getHeapSnapshot()): Promise<number> {
  let count = 0;
  let tail = '';
  for await (const chunk of snapshot) {
    const text = tail + (chunk as Buffer).toString('latin1');
    for (let at = text.indexOf(marker); at >= 0; at = text.indexOf(marker, at + marker.length)) count++;
    // The start of a marker cut by the chunk's end is looked at again with the next chunk.
    tail = text.slice(-(marker.length - 1));
  }
  return count;
}
