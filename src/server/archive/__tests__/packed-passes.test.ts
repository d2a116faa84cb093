import crypto from 'crypto';
import v8 from 'v8';
import vm from 'vm';
import { sumEntrySizes } from '../entry-scan';
import { validateManifestAsync } from '../manifest';
import type { ManifestEntry } from '../manifest-types';
import { EntryCollector } from '../packed-entries';
import { manifestFor } from './helpers';

// Alone in its file, on purpose: V8 decides per allocation site whether to allocate straight into the old
// generation ("pretenuring"), from how many of the site's objects survived a young collection. A test that holds
// thousands of entries read from a packed list at once (a spread, a filter that keeps them) makes that site
// pretenured for the rest of its module's life, and every later pass then fills the old space by design of V8, not
// of the pass. The restore never holds many entries at once.

const sha = (i: number) => crypto.createHash('sha256').update(String(i)).digest('hex');

function packedManifest(n: number) {
  const c = new EntryCollector(true);
  c.add({ path: 'db/main.dump', size: 1, sha256: sha(-1) });
  for (let i = 0; i < n; i++) c.add({ path: `storage/uploads/d${i % 50}/p-${i}.bin`, size: i, sha256: sha(i), mode: 0o644 });
  return manifestFor(c.result() as ManifestEntry[]);
}

describe('passes over a packed manifest', () => {
  it('promotes nothing to the old generation in a pass over a packed list (its index keys did: 9 MB a pass)', async () => {
    const manifest = packedManifest(200_000);
    const oldUsed = () => v8.getHeapSpaceStatistics().find((x) => x.space_name === 'old_space')!.space_used_size;
    // A full collection before each pass: what the old space holds after it is what the pass promoted.
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const growth: number[] = [];
    let seen = 0;
    for (let k = 0; k < 2; k++) {
      gc();
      const before = oldUsed();
      await validateManifestAsync(manifest);
      await sumEntrySizes(manifest.entries);
      for (const e of manifest.entries) seen += e.size > 0 ? 1 : 0;
      growth.push(oldUsed() - before);
    }
    expect(seen).toBe(2 * 200_000); // all but entry 0 (size 0), and the dump
    // Before: about +9 MB a pass (the index key strings, kept by V8's number-to-string cache, then promoted).
    expect(Math.max(...growth)).toBeLessThan(3 * 1024 * 1024);
  });
});
