import type { Writable } from 'stream';
import { crc32 } from './crc32';
import { SIG_CENTRAL, SIG_DESCRIPTOR, SIG_EOCD, SIG_LOCAL, SIG_ZIP64_EOCD, SIG_ZIP64_LOCATOR } from './zip-format';

// The ZIP records the archive writer emits, written by us rather than by archiver: archiver costs about 70 µs and
// several promise and stream hops per entry, and builds its central directory in one synchronous loop; with 50,000
// small files that was most of a backup's time (docs/benchmarks.md, "many files"). Every entry is STORED. An entry
// whose size and CRC are known up front (small files, metadata) gets them in its local header; a streamed one (the
// dumps, large files) gets a zip64 local header and a zip64 data descriptor, so it may exceed 4 GiB.

const FLAG_DESCRIPTOR = 0x0008;
const FLAG_UTF8 = 0x0800;
const MADE_BY_UNIX = 3 << 8;
const V20 = 20;
const V45 = 45; // zip64
const MAX32 = 0xffffffff;
const MAX16 = 0xffff;
/** Every entry is a regular file, mode 0600, in the ZIP; the real modes are in the manifest. */
const EXTERNAL_ATTR = ((0o100000 | 0o600) << 16) >>> 0;

/** Entries per write of the central directory (about 100 bytes each), so the event loop keeps turning. */
const CENTRAL_BATCH = 512;

interface Record {
  /** Kept as the string (often the manifest entry's own): a Buffer per entry held 500,000 of them to the end. */
  name: string;
  crc: number;
  size: number;
  offset: number;
  /** Streamed: zip64 local header and data descriptor. */
  streamed: boolean;
}

/** DOS date and time (local time, 2-second precision), as ZIP stores them. */
export function dosDateTime(d: Date): { time: number; date: number } {
  const year = Math.min(Math.max(d.getFullYear(), 1980), 2107);
  return {
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | Math.floor(d.getSeconds() / 2),
    date: ((year - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
  };
}

/** A local file header. Known sizes: stated; streamed: zero, with a zip64 extra field so the descriptor is 64-bit. */
export function localHeader(name: Buffer, dos: { time: number; date: number }, known: { crc: number; size: number } | null): Buffer {
  const extra = known ? 0 : 20;
  const h = Buffer.alloc(30 + name.length + extra);
  h.writeUInt32LE(SIG_LOCAL, 0);
  h.writeUInt16LE(known ? V20 : V45, 4);
  h.writeUInt16LE(FLAG_UTF8 | (known ? 0 : FLAG_DESCRIPTOR), 6);
  h.writeUInt16LE(0, 8); // stored
  h.writeUInt16LE(dos.time, 10);
  h.writeUInt16LE(dos.date, 12);
  h.writeUInt32LE(known ? known.crc : 0, 14);
  h.writeUInt32LE(known ? known.size : 0, 18);
  h.writeUInt32LE(known ? known.size : 0, 22);
  h.writeUInt16LE(name.length, 26);
  h.writeUInt16LE(extra, 28);
  name.copy(h, 30);
  if (!known) {
    h.writeUInt16LE(0x0001, 30 + name.length);
    h.writeUInt16LE(16, 32 + name.length); // uncompressed and compressed size, both zero here
  }
  return h;
}

/** The zip64 data descriptor after a streamed entry. */
export function dataDescriptor(crc: number, size: number): Buffer {
  const d = Buffer.alloc(24);
  d.writeUInt32LE(SIG_DESCRIPTOR, 0);
  d.writeUInt32LE(crc, 4);
  d.writeBigUInt64LE(BigInt(size), 8);
  d.writeBigUInt64LE(BigInt(size), 16);
  return d;
}

/** One central directory record; sizes and offset past 32 bits go into a zip64 extra field (in the spec's order). */
export function centralRecord(r: Record, dos: { time: number; date: number }): Buffer {
  const name = Buffer.from(r.name, 'utf8');
  const wideSize = r.size >= MAX32;
  const wideOffset = r.offset >= MAX32;
  const extraLen = (wideSize ? 16 : 0) + (wideOffset ? 8 : 0);
  const extra = extraLen ? 4 + extraLen : 0;
  const zip64 = r.streamed || extra > 0;
  const c = Buffer.alloc(46 + name.length + extra);
  c.writeUInt32LE(SIG_CENTRAL, 0);
  c.writeUInt16LE(MADE_BY_UNIX | (zip64 ? V45 : V20), 4);
  c.writeUInt16LE(zip64 ? V45 : V20, 6);
  c.writeUInt16LE(FLAG_UTF8 | (r.streamed ? FLAG_DESCRIPTOR : 0), 8);
  c.writeUInt16LE(0, 10);
  c.writeUInt16LE(dos.time, 12);
  c.writeUInt16LE(dos.date, 14);
  c.writeUInt32LE(r.crc, 16);
  c.writeUInt32LE(wideSize ? MAX32 : r.size, 20);
  c.writeUInt32LE(wideSize ? MAX32 : r.size, 24);
  c.writeUInt16LE(name.length, 28);
  c.writeUInt16LE(extra, 30);
  // comment length, disk number, internal attributes: zero
  c.writeUInt32LE(EXTERNAL_ATTR, 38);
  c.writeUInt32LE(wideOffset ? MAX32 : r.offset, 42);
  name.copy(c, 46);
  if (extra) {
    let at = 46 + name.length;
    at = c.writeUInt16LE(0x0001, at);
    at = c.writeUInt16LE(extraLen, at);
    if (wideSize) {
      at = c.writeBigUInt64LE(BigInt(r.size), at);
      at = c.writeBigUInt64LE(BigInt(r.size), at);
    }
    if (wideOffset) c.writeBigUInt64LE(BigInt(r.offset), at);
  }
  return c;
}

/** The end records: zip64 ones first when the count, the directory's size or its offset does not fit 16/32 bits. */
export function endRecords(count: number, cdOffset: number, cdSize: number): Buffer {
  const zip64 = count >= MAX16 || cdOffset >= MAX32 || cdSize >= MAX32;
  const parts: Buffer[] = [];
  if (zip64) {
    const z = Buffer.alloc(56);
    z.writeUInt32LE(SIG_ZIP64_EOCD, 0);
    z.writeBigUInt64LE(44n, 4); // size of the rest of this record
    z.writeUInt16LE(MADE_BY_UNIX | V45, 12);
    z.writeUInt16LE(V45, 14);
    // disk numbers: zero
    z.writeBigUInt64LE(BigInt(count), 24);
    z.writeBigUInt64LE(BigInt(count), 32);
    z.writeBigUInt64LE(BigInt(cdSize), 40);
    z.writeBigUInt64LE(BigInt(cdOffset), 48);
    const loc = Buffer.alloc(20);
    loc.writeUInt32LE(SIG_ZIP64_LOCATOR, 0);
    loc.writeBigUInt64LE(BigInt(cdOffset + cdSize), 8);
    loc.writeUInt32LE(1, 16); // total disks
    parts.push(z, loc);
  }
  const e = Buffer.alloc(22);
  e.writeUInt32LE(SIG_EOCD, 0);
  e.writeUInt16LE(zip64 ? MAX16 : count, 8);
  e.writeUInt16LE(zip64 ? MAX16 : count, 10);
  e.writeUInt32LE(zip64 ? MAX32 : cdSize, 12);
  e.writeUInt32LE(zip64 ? MAX32 : cdOffset, 16);
  parts.push(e);
  return Buffer.concat(parts);
}

/**
 * Output is gathered into writes of STAGE bytes; pieces of DIRECT bytes or more are written as they are. DIRECT is
 * above the writer's largest read (256 KiB), so every file and chunk the writer reads is copied here and its read
 * buffer can be reused: no buffer is allocated per file.
 */
const STAGE = 1024 * 1024;
export const DIRECT = 512 * 1024;
/**
 * Staging buffers handed to the sink come back once written, up to this many: a new megabyte per flush made every
 * backup churn its whole size through external memory, and in a server with NocoBase's heap of several hundred MB each
 * 64 MB of it set off a full garbage collection (about 30 per 400 MB backup, 2 to 4 s of the main thread).
 */
const POOL = 4;

/**
 * Writes ZIP records into `sink` (with its backpressure) and keeps what the central directory needs: about 60 bytes
 * per entry. Small pieces (headers, small files) are copied into a staging buffer as they come, so a caller may reuse
 * its buffer as soon as a call returns, and a folder of tiny files costs one write per megabyte. A sink error fails
 * every write from then on (fail).
 */
export class ZipOut {
  private offset = 0;
  private readonly records: Record[] = [];
  private readonly dos: { time: number; date: number };
  private failed: Error | null = null;
  private waiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  private stage: Buffer = Buffer.allocUnsafe(STAGE);
  private used = 0;
  private readonly pool: Buffer[] = [];

  constructor(
    private readonly sink: Writable,
    date: Date,
  ) {
    this.dos = dosDateTime(date);
    sink.on('drain', () => this.wake(null));
  }

  /** Bytes written so far (staged ones included). */
  get pointer(): number {
    return this.offset;
  }

  get entryCount(): number {
    return this.records.length;
  }

  /** The sink (or what it writes to) failed: every pending and later write rejects with `err`. */
  fail(err: Error): void {
    if (!this.failed) this.failed = err;
    this.wake(this.failed);
  }

  /**
   * One entry whose content is at hand (pieces, e.g. sealed records): header with size and CRC, then the data.
   * `knownCrc`: the pieces' CRC-32, computed already where they were read.
   */
  async addKnown(name: string, pieces: readonly Buffer[], knownCrc?: number): Promise<void> {
    const nameBytes = Buffer.from(name, 'utf8');
    let crc = 0;
    let size = 0;
    for (const p of pieces) {
      if (knownCrc === undefined) crc = crc32(p, crc);
      size += p.length;
    }
    if (knownCrc !== undefined) crc = knownCrc;
    const offset = this.offset;
    await this.put(localHeader(nameBytes, this.dos, { crc, size }));
    for (const p of pieces) await this.put(p);
    this.records.push({ name, crc, size, offset, streamed: false });
  }

  /**
   * Starts a streamed entry; `data` writes its pieces as they come, `end` writes the descriptor. A failure between
   * them leaves half an entry: the caller must give up on the whole archive.
   */
  async beginStreamed(name: string): Promise<{ data: (piece: Buffer) => Promise<void>; end: () => Promise<void> }> {
    const nameBytes = Buffer.from(name, 'utf8');
    const offset = this.offset;
    let crc = 0;
    let size = 0;
    await this.put(localHeader(nameBytes, this.dos, null));
    return {
      data: async (piece) => {
        crc = crc32(piece, crc);
        size += piece.length;
        await this.put(piece);
      },
      end: async () => {
        await this.put(dataDescriptor(crc, size));
        this.records.push({ name, crc, size, offset, streamed: true });
      },
    };
  }

  /** The central directory, in batches that wait for the sink, and the end records; then ends the sink. */
  async finish(): Promise<void> {
    const cdOffset = this.offset;
    for (let i = 0; i < this.records.length; i += CENTRAL_BATCH) {
      for (const r of this.records.slice(i, i + CENTRAL_BATCH)) await this.put(centralRecord(r, this.dos));
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    await this.put(endRecords(this.records.length, cdOffset, this.offset - cdOffset));
    await this.flush();
    if (this.failed) throw this.failed;
    this.sink.end();
  }

  /** Copies a small piece into the staging buffer, or writes a large one directly (after what is staged). */
  private put(piece: Buffer): Promise<void> | void {
    if (this.failed) throw this.failed;
    this.offset += piece.length;
    if (piece.length >= DIRECT) {
      const flushing = this.flush();
      return flushing ? flushing.then(() => this.write(piece)) : this.write(piece);
    }
    if (this.used + piece.length > STAGE) {
      const flushing = this.flush();
      if (flushing) {
        return flushing.then(() => {
          piece.copy(this.stage, this.used);
          this.used += piece.length;
        });
      }
    }
    piece.copy(this.stage, this.used);
    this.used += piece.length;
  }

  private flush(): Promise<void> | void {
    if (this.used === 0) return;
    const staged = this.stage;
    const full = staged.subarray(0, this.used);
    // Handed to the sink, which holds it until written: the next staging buffer is one written already, or a new one.
    this.stage = this.pool.pop() ?? Buffer.allocUnsafe(STAGE);
    this.used = 0;
    return this.write(full, () => {
      if (this.pool.length < POOL) this.pool.push(staged);
    });
  }

  private write(buf: Buffer, written?: () => void): Promise<void> | void {
    if (this.failed) throw this.failed;
    const more = this.sink.write(buf, (err) => {
      if (!err) written?.();
    });
    if (more) return;
    return new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  private wake(err: Error | null): void {
    const waiting = this.waiters;
    this.waiters = [];
    for (const w of waiting) (err ? w.reject(err) : w.resolve());
  }
}
