import { filterEntries, someEntry, sumEntrySizes } from '../entry-scan';
import type { ManifestEntry } from '../manifest-types';
import { turnCounter } from './helpers';

// Passes over a restore's manifest entries hand the event loop back: each read of a packed entry makes an object, and
// one synchronous pass over 500,000 held the server 100-200 ms.

/** Entries whose size costs `costMs` to read, like a packed entry made on each read (slowed to make slices due). */
function slowEntries(n: number, costMs: number): ManifestEntry[] {
  return Array.from({ length: n }, (_, i) => {
    const e = { path: `storage/uploads/f${i}`, sha256: '0'.repeat(64) } as ManifestEntry;
    Object.defineProperty(e, 'size', {
      enumerable: true,
      get() {
        const until = performance.now() + costMs;
        while (performance.now() < until) {
          /* the cost of making the entry */
        }
        return i;
      },
    });
    return e;
  });
}

/** Event-loop turns while `work` runs. */
async function turnsDuring(work: () => Promise<unknown>): Promise<number> {
  const counter = turnCounter();
  await work();
  return counter.stop();
}

describe('entry scans', () => {
  const entries = slowEntries(2000, 0.01);
  const total = (2000 * 1999) / 2;

  it('sum, filter and test every entry as a synchronous pass would', async () => {
    expect(await sumEntrySizes(entries)).toBe(total);
    expect(await sumEntrySizes(entries, (e) => e.path.endsWith('7'))).toBe(
      Array.from({ length: 2000 }, (_, i) => i).filter((i) => String(i).endsWith('7')).reduce((a, b) => a + b, 0),
    );
    expect((await filterEntries(entries, (e) => e.path.endsWith('99'))).map((e) => e.path)).toEqual(
      entries.filter((e) => e.path.endsWith('99')).map((e) => e.path),
    );
    expect(await someEntry(entries, (e) => e.path === 'storage/uploads/f1500')).toBe(true);
    expect(await someEntry(entries, (e) => e.path === 'nowhere')).toBe(false);
    expect(await sumEntrySizes([])).toBe(0);
  });

  it('stop at the first entry that passes a test', async () => {
    let read = 0;
    const counted = Array.from({ length: 1000 }, (_, i) => ({ get path() { read++; return `p${i}`; }, size: 1, sha256: '' })) as ManifestEntry[];
    expect(await someEntry(counted, (e) => e.path === 'p10')).toBe(true);
    expect(read).toBe(11);
  });

  it('hand the event loop back during a long pass', async () => {
    // 2,000 entries at 10 µs: 20 ms, five slices of 4 ms.
    expect(await turnsDuring(() => sumEntrySizes(entries))).toBeGreaterThan(1);
    expect(await turnsDuring(() => filterEntries(entries, (e) => e.size > 10))).toBeGreaterThan(1);
    expect(await turnsDuring(() => someEntry(entries, (e) => e.size < 0))).toBeGreaterThan(1);
  });
});
