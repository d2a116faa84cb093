import crypto from 'crypto';
import { hashOf, slotCount } from './path-index';
import { type CentralEntry, utf8NameAt } from './zip-basics';

/** What the reader asks of a central directory: lookups by name, in the Map's shape (a Map of entries fits it). */
export interface CentralIndex {
  readonly size: number;
  get(name: string): CentralEntry | undefined;
  has(name: string): boolean;
  keys(): IterableIterator<string>;
  /** In the directory's order. */
  values(): IterableIterator<CentralEntry>;
}

const FIRST = 1024;

/**
 * The checked central directory, held column by column: names as UTF-8 in one buffer, numbers in typed arrays, and an
 * open-addressing index of name hashes. A Map of one object per entry took about 185 bytes of heap an entry (87 MB at
 * 500,000 files, held for a whole staging); this takes about 80 once trimmed. Entries are handed out as fresh objects.
 *
 * Only stored, unencrypted entries pass the record check, so method is always 0 and the two sizes are equal.
 */
export class CentralTable implements CentralIndex {
  private count = 0;
  private released = false;
  private names: Buffer;
  private namesUsed = 0;
  private nameStart: Float64Array;
  private offsets: Float64Array;
  private sizes: Float64Array;
  private crcs: Uint32Array;
  private flagBits: Uint16Array;
  private hashes: Uint32Array;
  /** Index + 1 of the entry in each slot; 0 is empty. Never more than half full. */
  private slots: Int32Array;
  /** Per table: names crafted to share one hash (a directory built to make every lookup slow) cannot be precomputed. */
  private readonly seed = crypto.randomInt(0x100000000);

  /** `expected`: how many entries and name bytes are coming (a directory's end record says), so nothing grows. */
  constructor(expected?: { records: number; nameBytes: number }) {
    const n = Math.max(1, expected?.records ?? FIRST);
    this.names = Buffer.allocUnsafe(Math.max(1, expected ? expected.nameBytes : 64 * 1024));
    this.nameStart = new Float64Array(n + 1);
    this.offsets = new Float64Array(n);
    this.sizes = new Float64Array(n);
    this.crcs = new Uint32Array(n);
    this.flagBits = new Uint16Array(n);
    this.hashes = new Uint32Array(n);
    this.slots = new Int32Array(slotCount(n));
  }

  get size(): number {
    return this.count;
  }

  /** `name` is `nameBytes` decoded (the record check compared both ways). Duplicates are refused before. */
  add(name: string, nameBytes: Buffer, e: Pick<CentralEntry, 'size' | 'crc32' | 'offset' | 'flags'>): void {
    const i = this.count;
    if (i === this.offsets.length) this.grow();
    if (this.namesUsed + nameBytes.length > this.names.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.names.length * 2, this.namesUsed + nameBytes.length));
      this.names.copy(bigger, 0, 0, this.namesUsed);
      this.names = bigger;
    }
    nameBytes.copy(this.names, this.namesUsed);
    this.nameStart[i] = this.namesUsed;
    this.namesUsed += nameBytes.length;
    this.nameStart[i + 1] = this.namesUsed;
    this.offsets[i] = e.offset;
    this.sizes[i] = e.size;
    this.crcs[i] = e.crc32 >>> 0;
    this.flagBits[i] = e.flags;
    const h = hashOf(name, this.seed);
    this.hashes[i] = h;
    this.place(h, i);
    this.count += 1;
  }

  /** Bytes of all the names (UTF-8). */
  get nameBytes(): number {
    return this.namesUsed;
  }

  /** Bytes of the columns and the index: all the table holds outside its few fields. */
  get bytes(): number {
    const columns = [this.nameStart, this.offsets, this.sizes, this.crcs, this.flagBits, this.hashes, this.slots];
    return this.names.length + columns.reduce((n, c) => n + c.byteLength, 0);
  }

  /** Once every record is in: the columns shrink to what they hold (growth by doubling leaves up to half unused). */
  trim(): void {
    const n = this.count;
    if (n === this.offsets.length && this.namesUsed === this.names.length) return;
    this.names = Buffer.from(this.names.subarray(0, this.namesUsed));
    this.nameStart = this.nameStart.slice(0, n + 1);
    this.offsets = this.offsets.slice(0, n);
    this.sizes = this.sizes.slice(0, n);
    this.crcs = this.crcs.slice(0, n);
    this.flagBits = this.flagBits.slice(0, n);
    this.hashes = this.hashes.slice(0, n);
  }

  get(name: string): CentralEntry | undefined {
    const i = this.find(name);
    return i < 0 ? undefined : this.entryAt(i, name);
  }

  /** Where `name`'s record is (for recordAt), or -1. */
  indexOf(name: string): number {
    return this.find(name);
  }

  /** Record `i` (from indexOf), named `name`: after releaseNames the table no longer knows it. */
  recordAt(i: number, name: string): CentralEntry {
    return this.entryAt(i, name);
  }

  /**
   * Lets go of the names and of their index, the larger half of the table (37 MB at 500,000 entries), once the
   * caller holds each record's index and its name elsewhere (an extraction: the manifest's entries). Only recordAt
   * and size answer after this.
   */
  releaseNames(): void {
    this.dropNames();
  }

  /** Lets go of everything (the archive is closed): nothing answers after this but size. */
  dispose(): void {
    this.dropNames();
    for (const a of [this.offsets, this.sizes, this.crcs, this.flagBits]) freeNow(a);
    this.offsets = new Float64Array(0);
    this.sizes = new Float64Array(0);
    this.crcs = new Uint32Array(0);
    this.flagBits = new Uint16Array(0);
  }

  private dropNames(): void {
    this.released = true;
    for (const a of [this.names, this.nameStart, this.hashes, this.slots]) freeNow(a);
    this.names = Buffer.alloc(0);
    this.nameStart = new Float64Array(0);
    this.hashes = new Uint32Array(0);
    this.slots = new Int32Array(0);
  }

  has(name: string): boolean {
    return this.find(name) >= 0;
  }

  *keys(): IterableIterator<string> {
    for (let i = 0; i < this.count; i++) yield this.nameAt(i);
  }

  *values(): IterableIterator<CentralEntry> {
    for (let i = 0; i < this.count; i++) yield this.entryAt(i, this.nameAt(i));
  }

  private nameAt(i: number): string {
    if (this.released) throw new Error('the central directory table let go of its names');
    return this.names.toString('utf8', this.nameStart[i], this.nameStart[i + 1]);
  }

  private entryAt(i: number, name: string): CentralEntry {
    const size = this.sizes[i];
    return { path: name, size, compressedSize: size, method: 0, flags: this.flagBits[i], crc32: this.crcs[i], offset: this.offsets[i] };
  }

  private find(name: string): number {
    if (this.released) throw new Error('the central directory table let go of its names');
    const mask = this.slots.length - 1;
    const h = hashOf(name, this.seed);
    for (let s = h & mask; ; s = (s + 1) & mask) {
      const at = this.slots[s];
      if (at === 0) return -1;
      if (this.hashes[at - 1] === h && this.nameIs(at - 1, name)) return at - 1;
    }
  }

  /** Compares without decoding (utf8NameAt). */
  private nameIs(i: number, name: string): boolean {
    const start = this.nameStart[i];
    return utf8NameAt(this.names, start, this.nameStart[i + 1] - start, name);
  }

  private place(h: number, i: number): void {
    const mask = this.slots.length - 1;
    let s = h & mask;
    while (this.slots[s] !== 0) s = (s + 1) & mask;
    this.slots[s] = i + 1;
  }

  private grow(): void {
    const n = Math.max(FIRST, this.offsets.length * 2);
    const widen = <T extends Float64Array | Uint32Array | Uint16Array>(a: T, make: new (n: number) => T, length = n): T => {
      const b = new make(length);
      b.set(a);
      return b;
    };
    this.nameStart = widen(this.nameStart, Float64Array, n + 1);
    this.offsets = widen(this.offsets, Float64Array);
    this.sizes = widen(this.sizes, Float64Array);
    this.crcs = widen(this.crcs, Uint32Array);
    this.flagBits = widen(this.flagBits, Uint16Array);
    this.hashes = widen(this.hashes, Uint32Array);
    this.slots = new Int32Array(slotCount(n));
    for (let i = 0; i < this.count; i++) this.place(this.hashes[i], i);
  }
}

/**
 * Frees a column's memory at the next young collection instead of the next full one. The table lives long enough to
 * reach the old generation, where a dead ArrayBuffer's memory waits for a full collection, which V8 runs only once
 * about 64 MB more of such memory is held: a restore opened its archive twice (the request's check, then the
 * extraction), so the first table (48 MB at 500,000 entries) was still resident while the second was read. Moving the
 * memory to a new, unreferenced ArrayBuffer (a transfer, no copy) detaches the column. Only a buffer the view owns
 * whole is moved (a small Buffer may share Node's pool with others).
 */
function freeNow(view: ArrayBufferView): void {
  const buffer = view.buffer as ArrayBuffer;
  if (view.byteOffset !== 0 || view.byteLength !== buffer.byteLength || buffer.byteLength < 64 * 1024) return;
  structuredClone(buffer, { transfer: [buffer] });
}
