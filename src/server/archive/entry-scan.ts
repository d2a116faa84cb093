import { TimeSlice } from '../time-slice';
import type { ManifestEntry } from './manifest-types';
import { entryAtOf } from './packed-entries';

// Passes over every entry of a manifest, in time slices. A restore's manifest hands each entry out as a new object
// (packed-entries.ts): one synchronous reduce, filter or some over 500,000 of them held the event loop 100-200 ms,
// and a restore made several.

/** Entries between two looks at the clock. */
const STEP = 256;

async function scan(entries: readonly ManifestEntry[], each: (e: ManifestEntry) => boolean | void): Promise<void> {
  const slice = new TimeSlice();
  const at = entryAtOf(entries);
  for (let i = 0; i < entries.length; i++) {
    if (each(at(i)) === false) return;
    if ((i & (STEP - 1)) === STEP - 1 && slice.due()) await slice.pause();
  }
}

/** The bytes of the entries (of those `select` keeps). */
export async function sumEntrySizes(entries: readonly ManifestEntry[], select?: (e: ManifestEntry) => boolean): Promise<number> {
  let total = 0;
  await scan(entries, (e) => {
    if (!select || select(e)) total += e.size;
  });
  return total;
}

/** The entries `keep` keeps, as a plain array. */
export async function filterEntries(entries: readonly ManifestEntry[], keep: (e: ManifestEntry) => boolean): Promise<ManifestEntry[]> {
  const out: ManifestEntry[] = [];
  await scan(entries, (e) => {
    if (keep(e)) out.push(e);
  });
  return out;
}

/** Whether any entry passes `test` (stops at the first). */
export async function someEntry(entries: readonly ManifestEntry[], test: (e: ManifestEntry) => boolean): Promise<boolean> {
  let found = false;
  await scan(entries, (e) => {
    if (test(e)) found = true;
    return !found;
  });
  return found;
}
