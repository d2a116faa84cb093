import os from 'os';
import type { Writable } from 'stream';
import { crc32 } from './crc32';
import { Spill } from './spill';
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

/** One entry's central directory facts. */
export interface ZipRecord {
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

/** Bytes of a local header for a name of `nameLen` UTF-8 bytes (streamed: with its zip64 extra field). */
const localLength = (nameLen: number, known: boolean) => 30 + nameLen + (known ? 0 : 20);

/**
 * Writes a local file header into `target` at `at` (localLength bytes). Known sizes: stated; streamed: zero, with a
 * zip64 extra field so the descriptor is 64-bit. Written in place: a Buffer allocated per header was, with the
 * central records, a fifth of the main thread's work per small file inside NocoBase's process.
 */
function writeLocalHeader(
  target: Buffer,
  at: number,
  name: string,
  nameLen: number,
  dos: { time: number; date: number },
  known: { crc: number; size: number } | null,
): void {
  target.writeUInt32LE(SIG_LOCAL, at);
  target.writeUInt16LE(known ? V20 : V45, at + 4);
  target.writeUInt16LE(FLAG_UTF8 | (known ? 0 : FLAG_DESCRIPTOR), at + 6);
  target.writeUInt16LE(0, at + 8); // stored
  target.writeUInt16LE(dos.time, at + 10);
  target.writeUInt16LE(dos.date, at + 12);
  target.writeUInt32LE(known ? known.crc : 0, at + 14);
  target.writeUInt32LE(known ? known.size : 0, at + 18);
  target.writeUInt32LE(known ? known.size : 0, at + 22);
  target.writeUInt16LE(nameLen, at + 26);
  target.writeUInt16LE(known ? 0 : 20, at + 28);
  target.write(name, at + 30, nameLen, 'utf8');
  if (!known) {
    const extra = at + 30 + nameLen;
    target.writeUInt16LE(0x0001, extra);
    target.writeUInt16LE(16, extra + 2); // uncompressed and compressed size, both zero here
    target.fill(0, extra + 4, extra + 20);
  }
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

/** The zip64 extra field of a central record: sizes and offset that do not fit 32 bits, in the spec's order. */
function centralExtra(r: ZipRecord): { wideSize: boolean; wideOffset: boolean; extraLen: number; extra: number } {
  const wideSize = r.size >= MAX32;
  const wideOffset = r.offset >= MAX32;
  const extraLen = (wideSize ? 16 : 0) + (wideOffset ? 8 : 0);
  return { wideSize, wideOffset, extraLen, extra: extraLen ? 4 + extraLen : 0 };
}

const centralLength = (r: ZipRecord, nameLen: number) => 46 + nameLen + centralExtra(r).extra;

/** Writes one central directory record into `target` at `at` (centralLength bytes). */
function writeCentralRecord(target: Buffer, at: number, r: ZipRecord, nameLen: number, dos: { time: number; date: number }): void {
  const { wideSize, wideOffset, extraLen, extra } = centralExtra(r);
  const zip64 = r.streamed || extra > 0;
  const c = target;
  c.writeUInt32LE(SIG_CENTRAL, at);
  c.writeUInt16LE(MADE_BY_UNIX | (zip64 ? V45 : V20), at + 4);
  c.writeUInt16LE(zip64 ? V45 : V20, at + 6);
  c.writeUInt16LE(FLAG_UTF8 | (r.streamed ? FLAG_DESCRIPTOR : 0), at + 8);
  c.writeUInt16LE(0, at + 10);
  c.writeUInt16LE(dos.time, at + 12);
  c.writeUInt16LE(dos.date, at + 14);
  c.writeUInt32LE(r.crc, at + 16);
  c.writeUInt32LE(wideSize ? MAX32 : r.size, at + 20);
  c.writeUInt32LE(wideSize ? MAX32 : r.size, at + 24);
  c.writeUInt16LE(nameLen, at + 28);
  c.writeUInt16LE(extra, at + 30);
  c.fill(0, at + 32, at + 38); // comment length, disk number, internal attributes
  c.writeUInt32LE(EXTERNAL_ATTR, at + 38);
  c.writeUInt32LE(wideOffset ? MAX32 : r.offset, at + 42);
  c.write(r.name, at + 46, nameLen, 'utf8');
  if (extra) {
    let p = at + 46 + nameLen;
    p = c.writeUInt16LE(0x0001, p);
    p = c.writeUInt16LE(extraLen, p);
    if (wideSize) {
      p = c.writeBigUInt64LE(BigInt(r.size), p);
      p = c.writeBigUInt64LE(BigInt(r.size), p);
    }
    if (wideOffset) c.writeBigUInt64LE(BigInt(r.offset), p);
  }
}

/** One central directory record as its own buffer (tests). */
export function centralRecord(r: ZipRecord, dos: { time: number; date: number }): Buffer {
  const nameLen = Buffer.byteLength(r.name, 'utf8');
  const c = Buffer.allocUnsafe(centralLength(r, nameLen));
  writeCentralRecord(c, 0, r, nameLen, dos);
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
 * Writes ZIP records into `sink` (with its backpressure). Each entry's central directory record is written as the
 * entry is, into a scratch file (spill.ts) copied after the last entry: memory stays flat whatever the entry count
 * (kept in memory, even in columns, the records grew by about 80 bytes a file). Small pieces (headers, small files)
 * are copied into a staging buffer as they come, so a caller may reuse its buffer as soon as a call returns, and a
 * folder of tiny files costs one write per megabyte. A sink error fails every write from then on (fail).
 */
export class ZipOut {
  private offset = 0;
  private count = 0;
  private readonly central: Spill;
  private readonly dos: { time: number; date: number };
  private failed: Error | null = null;
  private waiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  private stage: Buffer = Buffer.allocUnsafe(STAGE);
  private used = 0;
  private readonly pool: Buffer[] = [];
  private pending: Promise<void> | null = null;

  /**
   * `scratchDir`: where the central records wait (a file unlinked at once; the archive's own folder is best).
   * `onWritten`: called each time the sink reports a write done (write-behind.ts).
   */
  constructor(
    private readonly sink: Writable,
    date: Date,
    scratchDir: string = os.tmpdir(),
    private readonly onWritten?: () => void,
  ) {
    this.dos = dosDateTime(date);
    this.central = new Spill(scratchDir);
    sink.on('drain', () => this.wake(null));
  }

  /** Bytes written so far (staged ones included). */
  get pointer(): number {
    return this.offset;
  }

  /** The sink (or what it writes to) failed: every pending and later write rejects with `err`. */
  fail(err: Error): void {
    if (!this.failed) this.failed = err;
    this.central.close();
    this.wake(this.failed);
  }

  /**
   * Set while the sink has asked to wait (its buffer is full): whoever adds with addKnownNow awaits it before adding
   * more. Rejects with the sink's failure.
   */
  get pressure(): Promise<void> | null {
    return this.pending;
  }

  /**
   * One entry whose content is at hand (pieces, e.g. sealed records): header with size and CRC, then the data.
   * `knownCrc`: the pieces' CRC-32, computed already where they were read.
   */
  async addKnown(name: string, pieces: readonly Buffer[], knownCrc?: number): Promise<void> {
    let crc = 0;
    let size = 0;
    for (const p of pieces) {
      if (knownCrc === undefined) crc = crc32(p, crc);
      size += p.length;
    }
    if (knownCrc !== undefined) crc = knownCrc;
    const offset = this.offset;
    const waiting = this.putHeader(name, { crc, size });
    if (waiting) await waiting;
    for (const p of pieces) {
      const w = this.put(p);
      if (w) await w;
    }
    this.record({ name, crc, size, offset, streamed: false });
  }

  /**
   * addKnown for one small piece, bytes [start, end) of `source` (under DIRECT, so copied before this returns), done
   * before it returns: no promise (and no Buffer) per entry for a folder of small files. When the sink is behind,
   * answers (and keeps as `pressure`) a promise to await before the next add.
   */
  addKnownNow(name: string, source: Buffer, start: number, end: number, crc: number): Promise<void> | null {
    if (this.failed) throw this.failed;
    const size = end - start;
    if (!(size >= 0 && size < DIRECT && end <= source.length)) throw new RangeError(`addKnownNow takes a range of under ${DIRECT} bytes`);
    const offset = this.offset;
    const first = this.putHeader(name, { crc, size });
    const second = this.copyIn(source, start, end);
    this.record({ name, crc, size, offset, streamed: false });
    return this.hold(second || first);
  }

  /**
   * Starts a streamed entry; `data` writes its pieces as they come, `end` writes the descriptor. A failure between
   * them leaves half an entry: the caller must give up on the whole archive.
   */
  async beginStreamed(name: string): Promise<{ data: (piece: Buffer) => Promise<void>; end: () => Promise<void> }> {
    const offset = this.offset;
    let crc = 0;
    let size = 0;
    const waiting = this.putHeader(name, null);
    if (waiting) await waiting;
    return {
      data: async (piece) => {
        crc = crc32(piece, crc);
        size += piece.length;
        await this.put(piece);
      },
      end: async () => {
        await this.put(dataDescriptor(crc, size));
        this.record({ name, crc, size, offset, streamed: true });
      },
    };
  }

  /** The central directory, copied from its scratch file (the event loop turns between reads), and the end records; then ends the sink. */
  async finish(): Promise<void> {
    if (this.failed) throw this.failed;
    const cdOffset = this.offset;
    try {
      // Each piece is under DIRECT: copied into the staging buffer, so the spill may reuse its read buffer.
      for await (const piece of this.central.read()) await this.put(piece);
    } finally {
      this.central.close();
    }
    await this.put(endRecords(this.count, cdOffset, this.offset - cdOffset));
    await this.flush();
    if (this.failed) throw this.failed;
    this.sink.end();
  }

  /** Writes the entry's central record into the scratch file, in place. */
  private record(r: ZipRecord): void {
    const nameLen = Buffer.byteLength(r.name, 'utf8');
    const { target, at } = this.central.reserve(centralLength(r, nameLen));
    writeCentralRecord(target, at, r, nameLen, this.dos);
    this.count++;
  }

  /** Writes a local header straight into the staging buffer; answers the sink's wait, if a flush made one. */
  private putHeader(name: string, known: { crc: number; size: number } | null): Promise<void> | void {
    if (this.failed) throw this.failed;
    const nameLen = Buffer.byteLength(name, 'utf8');
    const len = localLength(nameLen, !!known);
    const waiting = this.room(len);
    writeLocalHeader(this.stage, this.used, name, nameLen, this.dos, known);
    this.used += len;
    this.offset += len;
    return waiting;
  }

  /** Makes room for `len` bytes (at most STAGE) in the staging buffer: a full one is handed to the sink first. */
  private room(len: number): Promise<void> | void {
    if (this.used + len > STAGE) return this.flush();
  }

  /**
   * Copies a small piece into the staging buffer at once (the caller may reuse its buffer when this returns), or
   * writes a large one directly (after what is staged). Answers a promise when the sink asked to wait.
   */
  private put(piece: Buffer): Promise<void> | void {
    if (this.failed) throw this.failed;
    if (piece.length < DIRECT) return this.copyIn(piece, 0, piece.length);
    this.offset += piece.length;
    const flushing = this.flush();
    return flushing ? flushing.then(() => this.write(piece)) : this.write(piece);
  }

  /** Copies bytes [start, end) of `source` (under STAGE) into the staging buffer; answers the sink's wait, if any. */
  private copyIn(source: Buffer, start: number, end: number): Promise<void> | void {
    const len = end - start;
    const waiting = this.room(len);
    source.copy(this.stage, this.used, start, end);
    this.used += len;
    this.offset += len;
    return waiting;
  }

  /** Keeps a wait as `pressure` until it settles (a rejection is seen by whoever awaits it). */
  private hold(waiting: Promise<void> | void): Promise<void> | null {
    if (!waiting) return this.pending;
    const held: Promise<void> = waiting.finally(() => {
      if (this.pending === held) this.pending = null;
    });
    held.catch(() => undefined);
    this.pending = held;
    return held;
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
      if (err) return;
      written?.();
      this.onWritten?.();
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
