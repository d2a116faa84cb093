import crypto from 'crypto';

/** A power of two (lookups mask with it) at least twice the entries. */
export const slotCount = (entries: number) => 2 ** Math.ceil(Math.log2(Math.max(2, entries * 2)));

/** FNV-1a over the name's UTF-16 code units, from a seeded state. */
export function hashOf(name: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let k = 0; k < name.length; k++) {
    h ^= name.charCodeAt(k);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * A set of paths that keeps none of them: an open-addressing table of item numbers and hashes (8 bytes a slot, two
 * to four slots an item), the paths read back through `pathAt` only when two hashes are equal. Validating a manifest
 * of 200,000 entries with a Set of their paths held every path string and a 9 MB table through a pass that hands the
 * event loop back, so all of it was promoted to the old generation and stayed there as garbage (+25 MB of heap at
 * 200,000 entries, twice per restore).
 */
export class PathIndex {
  private count = 0;
  /** Item + 1 in each slot; 0 is empty. Never more than half full. */
  private items: Int32Array;
  private hashes: Uint32Array;
  /** Per index: paths crafted to share one hash (every lookup made slow) cannot be precomputed. */
  private readonly seed = crypto.randomInt(0x100000000);

  constructor(
    /** The path of an item added earlier: the caller keeps the paths (e.g. the manifest's entries). */
    private readonly pathAt: (item: number) => string,
    expected = 0,
  ) {
    const n = slotCount(Math.max(16, expected));
    this.items = new Int32Array(n);
    this.hashes = new Uint32Array(n);
  }

  get size(): number {
    return this.count;
  }

  /** Adds `path` as item `item` (pathAt(item) answers it from now on); false, adding nothing, when it is already in. */
  add(path: string, item: number): boolean {
    const h = hashOf(path, this.seed);
    if (this.find(path, h) >= 0) return false;
    if (2 * (this.count + 1) > this.items.length) this.grow();
    this.place(h, item);
    this.count++;
    return true;
  }

  has(path: string): boolean {
    return this.find(path, hashOf(path, this.seed)) >= 0;
  }

  private find(path: string, h: number): number {
    const mask = this.items.length - 1;
    for (let s = h & mask; ; s = (s + 1) & mask) {
      const at = this.items[s];
      if (at === 0) return -1;
      if (this.hashes[s] === h && this.pathAt(at - 1) === path) return at - 1;
    }
  }

  private place(h: number, item: number): void {
    const mask = this.items.length - 1;
    let s = h & mask;
    while (this.items[s] !== 0) s = (s + 1) & mask;
    this.items[s] = item + 1;
    this.hashes[s] = h;
  }

  private grow(): void {
    const { items, hashes } = this;
    this.items = new Int32Array(items.length * 2);
    this.hashes = new Uint32Array(items.length * 2);
    for (let s = 0; s < items.length; s++) if (items[s] !== 0) this.place(hashes[s], items[s] - 1);
  }
}
