import type { ManifestEntry } from './manifest-types';

// A restore holds its manifest's entries from the request until the files are staged: at 500,000 files, one object
// per entry (a path string, a 64-character hex digest, the object) was about 217 bytes an entry, 109 MB of heap, and
// the garbage collector let the heap grow in proportion. Packed, an entry is its path's UTF-8 bytes, 32 bytes of
// digest and a few numbers in typed arrays (about 95 bytes); it is made into an object again when it is read, and
// dropped by the reader. Only entries of the writer's exact shape are packed (the keys in its order, a lowercase hex
// digest, whole numbers): what is read back is then the very value JSON.parse gave, and anything else (another
// writer's manifest, a crafted one) stays as parsed, for validateManifest to judge.

const FIRST = 1024;
/** A hint is believed up to this many entries (an archive's central directory holds at most about 1.4 million). */
const MAX_HINTED = 2_000_000;
const NO_MODE = 0xffff;
const NO_STORED = 0xffffffff;
const HEX64 = /^[0-9a-f]{64}$/;
const STORED = /^e\/(\d{6,9})$/;

/** The keys of an entry the writer makes, in its order (archive/writer.ts, record). */
const SHAPES = ['path,size,sha256', 'path,size,sha256,mode', 'path,size,sha256,stored', 'path,size,sha256,stored,mode'];

/** How many entries and name bytes are likely (from the archive's central directory), so the columns rarely grow. */
export interface PackHint {
  entries: number;
  nameBytes?: number;
}

export class PackedEntries {
  private count = 0;
  private names: Buffer;
  private namesUsed = 0;
  private nameEnd: Float64Array;
  private sizes: Float64Array;
  private digests: Buffer;
  private modes: Uint16Array;
  private stored: Uint32Array;

  constructor(hint?: PackHint) {
    const n = Math.max(16, Math.min(hint?.entries ?? FIRST, MAX_HINTED));
    this.names = Buffer.allocUnsafe(Math.max(1024, Math.min(hint?.nameBytes ?? 64 * n, 64 * MAX_HINTED)));
    this.nameEnd = new Float64Array(n);
    this.sizes = new Float64Array(n);
    this.digests = Buffer.allocUnsafe(32 * n);
    this.modes = new Uint16Array(n);
    this.stored = new Uint32Array(n);
  }

  get length(): number {
    return this.count;
  }

  /** Packs `value` when it has the writer's shape exactly; false (nothing kept) otherwise. */
  add(value: unknown): boolean {
    if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
    const e = value as Record<string, unknown>;
    if (!SHAPES.includes(Object.keys(e).join(','))) return false;
    const { path, size, sha256, mode, stored } = e;
    if (typeof path !== 'string' || !wellFormed(path)) return false;
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) return false;
    if (typeof sha256 !== 'string' || !HEX64.test(sha256)) return false;
    if (mode !== undefined && !(typeof mode === 'number' && Number.isInteger(mode) && mode >= 0 && mode < NO_MODE)) return false;
    let storedNumber = NO_STORED;
    if (stored !== undefined) {
      const m = typeof stored === 'string' ? STORED.exec(stored) : null;
      // Only names that come back the same: 'e/' and at least six digits, zero-padded.
      if (!m || `e/${String(Number(m[1])).padStart(6, '0')}` !== stored) return false;
      storedNumber = Number(m[1]);
    }
    const i = this.count;
    if (i === this.sizes.length) this.grow();
    const bytes = Buffer.byteLength(path, 'utf8');
    if (this.namesUsed + bytes > this.names.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.names.length * 2, this.namesUsed + bytes));
      this.names.copy(bigger, 0, 0, this.namesUsed);
      this.names = bigger;
    }
    this.namesUsed += this.names.write(path, this.namesUsed, 'utf8');
    this.nameEnd[i] = this.namesUsed;
    this.sizes[i] = size;
    this.digests.write(sha256, 32 * i, 'hex');
    this.modes[i] = mode === undefined ? NO_MODE : (mode as number);
    this.stored[i] = storedNumber;
    this.count++;
    return true;
  }

  /** Entry `i` as JSON.parse gave it: a new object each time. */
  at(i: number): ManifestEntry {
    const start = i === 0 ? 0 : this.nameEnd[i - 1];
    const entry: ManifestEntry = {
      path: this.names.toString('utf8', start, this.nameEnd[i]),
      size: this.sizes[i],
      sha256: this.digests.toString('hex', 32 * i, 32 * i + 32),
    };
    if (this.stored[i] !== NO_STORED) entry.stored = `e/${String(this.stored[i]).padStart(6, '0')}`;
    if (this.modes[i] !== NO_MODE) entry.mode = this.modes[i];
    return entry;
  }

  /** Once every entry is in: the columns shrink to what they hold, when more than a quarter is unused (a copy). */
  trim(): void {
    const n = this.count;
    if (n >= this.sizes.length * 0.75 && this.namesUsed >= this.names.length * 0.75) return;
    this.names = Buffer.from(this.names.subarray(0, this.namesUsed));
    this.nameEnd = this.nameEnd.slice(0, n);
    this.sizes = this.sizes.slice(0, n);
    this.digests = Buffer.from(this.digests.subarray(0, 32 * n));
    this.modes = this.modes.slice(0, n);
    this.stored = this.stored.slice(0, n);
  }

  /** Bytes held. */
  get bytes(): number {
    return this.names.length + this.digests.length + [this.nameEnd, this.sizes, this.modes, this.stored].reduce((a, c) => a + c.byteLength, 0);
  }

  private grow(): void {
    const n = this.sizes.length * 2;
    const widen = <T extends Float64Array | Uint16Array | Uint32Array>(a: T, make: new (n: number) => T): T => {
      const b = new make(n);
      b.set(a);
      return b;
    };
    this.nameEnd = widen(this.nameEnd, Float64Array);
    this.sizes = widen(this.sizes, Float64Array);
    this.modes = widen(this.modes, Uint16Array);
    this.stored = widen(this.stored, Uint32Array);
    const digests = Buffer.allocUnsafe(32 * n);
    this.digests.copy(digests);
    this.digests = digests;
  }
}

/** Whether the text comes back the same from UTF-8 (no lone surrogate). */
function wellFormed(s: string): boolean {
  const check = (s as { isWellFormed?: () => boolean }).isWellFormed;
  return check ? check.call(s) : Buffer.from(s, 'utf8').toString('utf8') === s;
}

const INDEX = /^(?:0|[1-9]\d*)$/;
/** What the array of packedEntryArray answers with its entries' store. */
const PACKED = Symbol('packed entries');

/**
 * Entry i of a list, straight from its store when the list is packed. Reading a packed list by index goes through
 * the Proxy, which turns each index into a key string first: V8 keeps those in its number-to-string cache, so they
 * outlived the young generation and each pass over 200,000 entries left about 5 MB of them in the old one. Passes
 * over every entry read with this (or for...of, which the packed list answers the same way).
 */
export function entryAtOf(entries: readonly unknown[]): (i: number) => ManifestEntry {
  const packed = (entries as unknown as { [PACKED]?: PackedEntries })[PACKED];
  return packed ? (i) => packed.at(i) : (i) => entries[i] as ManifestEntry;
}

/**
 * The entries as an array to every reader (Array.isArray, length, indexes, iteration, the array methods, JSON):
 * each entry is made when it is read. Read-only: nothing on the restore path changes a manifest's entries in place
 * (it replaces the list), and a change to an entry read would be lost.
 */
export function packedEntryArray(packed: PackedEntries): ManifestEntry[] {
  const index = (key: string | symbol): number => {
    if (typeof key !== 'string' || !INDEX.test(key)) return -1;
    const i = Number(key);
    return i < packed.length ? i : -1;
  };
  // for...of without an index key per entry (see entryAtOf).
  function* each(): IterableIterator<ManifestEntry> {
    for (let i = 0; i < packed.length; i++) yield packed.at(i);
  }
  return new Proxy<ManifestEntry[]>([], {
    get(target, key, receiver) {
      if (key === 'length') return packed.length;
      if (key === PACKED) return packed;
      if (key === Symbol.iterator) return each;
      const i = index(key);
      return i >= 0 ? packed.at(i) : Reflect.get(target, key, receiver);
    },
    has(target, key) {
      return index(key) >= 0 || Reflect.has(target, key);
    },
    ownKeys() {
      return [...Array.from({ length: packed.length }, (_, i) => String(i)), 'length'];
    },
    getOwnPropertyDescriptor(target, key) {
      if (key === 'length') return { value: packed.length, writable: true, enumerable: false, configurable: false };
      const i = index(key);
      if (i >= 0) return { value: packed.at(i), writable: false, enumerable: true, configurable: true };
      return Reflect.getOwnPropertyDescriptor(target, key);
    },
    set() {
      return false;
    },
    defineProperty() {
      return false;
    },
    deleteProperty() {
      return false;
    },
  });
}

/**
 * Collects parsed entries: packed while each has the writer's shape; from the first that has not, as parsed (the
 * ones packed so far made into objects again).
 */
export class EntryCollector {
  private packed: PackedEntries | null;
  private plain: unknown[] = [];

  constructor(pack: boolean, hint?: PackHint) {
    this.packed = pack ? new PackedEntries(hint) : null;
  }

  get length(): number {
    return this.packed ? this.packed.length : this.plain.length;
  }

  add(value: unknown): void {
    if (this.packed) {
      if (this.packed.add(value)) return;
      for (let i = 0; i < this.packed.length; i++) this.plain.push(this.packed.at(i));
      this.packed = null;
    }
    this.plain.push(value);
  }

  result(): unknown[] {
    if (!this.packed) return this.plain;
    this.packed.trim();
    return packedEntryArray(this.packed);
  }
}
