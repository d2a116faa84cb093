// Bytes the MySQL dump lexer (mysql-dump-lexer.ts) tells apart, and its cached searches.

export const SEMI = 0x3b;
export const NL = 0x0a;
export const BACKSLASH = 0x5c;
export const SQ = 0x27;
export const DQ = 0x22;
export const BQ = 0x60;

export const isWordByte = (c: number) =>
  (c >= 0x30 && c <= 0x39) ||
  (c >= 0x41 && c <= 0x5a) ||
  (c >= 0x61 && c <= 0x7a) ||
  c === 0x5f ||
  c === 0x24 ||
  c >= 0x80;
export const isSpace = (c: number) => c <= 0x20;

/**
 * Finds newlines and backslashes in a chunk with native searches, each occurrence searched once rather than once per
 * quoted string: most of a dump's bytes are quoted data with few of either.
 */
export class ByteFinder {
  private nlCache: { data: Buffer | null; at: number } = { data: null, at: 0 };
  private bsCache: { data: Buffer | null; at: number } = { data: null, at: 0 };

  /** Forgets what was found: a caller may push the same buffer object again with other bytes. */
  reset(): void {
    this.nlCache.data = null;
    this.bsCache.data = null;
  }

  /** Where the next `byte` (NL or BACKSLASH) is at or after `from` in data; data.length when there is none. */
  next(data: Buffer, from: number, byte: number): number {
    const cache = byte === NL ? this.nlCache : this.bsCache;
    if (cache.data !== data || cache.at < from) {
      const at = data.indexOf(byte, from);
      cache.data = data;
      cache.at = at < 0 ? data.length : at;
    }
    return cache.at;
  }

  /** Newlines in data from `from` up to `to`. */
  newlines(data: Buffer, from: number, to: number): number {
    let count = 0;
    for (let at = this.next(data, from, NL); at < to; at = this.next(data, at + 1, NL)) count++;
    return count;
  }
}
