import { checkNoOverlap } from '../central-check';
import { isArchiveError } from '../errors';
import { type CentralEntry, LOCAL_MIN } from '../zip-basics';
import { turnCounter } from './helpers';

// Entries may not overlap, whatever order the central directory lists them in: an archive this plugin wrote lists
// them in the order of their data (checked as listed), any other order is sorted first.

const entry = (path: string, offset: number, size: number): CentralEntry => ({
  path,
  size,
  compressedSize: size,
  method: 0,
  flags: 0,
  crc32: 0,
  offset,
});

/** Entries back to back: each local header (LOCAL_MIN + name) then its data. */
function packed(names: string[], size = 10): CentralEntry[] {
  let at = 0;
  return names.map((n) => {
    const e = entry(n, at, size);
    at += LOCAL_MIN + Buffer.byteLength(n) + size;
    return e;
  });
}

const mapOf = (list: CentralEntry[]) => new Map(list.map((e) => [e.path, e]));

async function overlapOf(list: CentralEntry[]): Promise<Record<string, unknown> | null> {
  try {
    await checkNoOverlap(mapOf(list));
    return null;
  } catch (err) {
    if (!isArchiveError(err) || err.code !== 'ENTRY_SIZE_MISMATCH') throw err;
    return err.params;
  }
}

describe('checkNoOverlap', () => {
  it('accepts entries back to back, listed in data order or not', async () => {
    const list = packed(['a', 'bb', 'ccc', 'dddd']);
    expect(await overlapOf(list)).toBeNull();
    expect(await overlapOf([list[2], list[0], list[3], list[1]])).toBeNull();
  });

  it('refuses an entry whose data runs into the next, listed in data order', async () => {
    const list = packed(['a', 'bb', 'ccc']);
    list[1] = { ...list[1], compressedSize: list[1].compressedSize + 1 };
    expect(await overlapOf(list)).toMatchObject({ path: 'bb', declared: 11, actual: 10 });
  });

  it('refuses the same overlap listed in another order, and two entries at one offset', async () => {
    const list = packed(['a', 'bb', 'ccc']);
    list[1] = { ...list[1], compressedSize: list[1].compressedSize + 1 };
    expect(await overlapOf([list[2], list[1], list[0]])).toMatchObject({ path: 'bb', declared: 11, actual: 10 });
    const twin = { ...list[0], path: 'z' };
    expect(await overlapOf([list[0], twin])).toMatchObject({ path: 'a' });
  });

  it('checks 200,000 entries in order without a sorted copy, in slices', async () => {
    const list = packed(Array.from({ length: 200_000 }, (_, i) => `storage/uploads/f${i}`));
    const sort = jest.spyOn(Array.prototype, 'sort');
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    try {
      expect(await overlapOf(list)).toBeNull();
      expect(sort).not.toHaveBeenCalled();
    } finally {
      clearInterval(timer);
      sort.mockRestore();
    }
    expect(ticks).toBeGreaterThan(0); // the event loop ran while it checked
  });
});

describe('checkNoOverlap on a large directory', () => {
  it('hands the event loop back while it checks the order, not only while it compares neighbours', async () => {
    // 3,000 entries, each made as it is read (as the central table does) at 10 µs: the order pass alone takes 30 ms.
    const list = packed(Array.from({ length: 3000 }, (_, i) => `storage/uploads/f${i}`));
    const counter = turnCounter();
    let turnsAtSecondPass = -1;
    let passes = 0;
    const index = {
      size: list.length,
      get: (name: string) => list.find((e) => e.path === name),
      has: (name: string) => list.some((e) => e.path === name),
      keys: () => list.map((e) => e.path).values(),
      values: function* () {
        if (++passes === 2) turnsAtSecondPass = counter.turns;
        for (const e of list) {
          const until = performance.now() + 0.01;
          while (performance.now() < until) {
            /* making the entry */
          }
          yield e;
        }
      },
    };
    await checkNoOverlap(index);
    counter.stop();
    expect(passes).toBe(2);
    expect(turnsAtSecondPass).toBeGreaterThan(0);
  });
});
