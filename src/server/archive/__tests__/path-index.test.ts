import crypto from 'crypto';
import v8 from 'v8';
import { EntryCollector } from '../packed-entries';
import { validateManifest, validateManifestAsync } from '../manifest';
import type { ManifestEntry } from '../manifest-types';
import { PathIndex } from '../path-index';
import { manifestFor, occurrencesInHeap } from './helpers';

const sha = (i: number) => crypto.createHash('sha256').update(String(i)).digest('hex');

describe('PathIndex', () => {
  it('answers exactly which paths were added, growing past what was expected, reading a path only when hashes meet', () => {
    const paths: string[] = [];
    let reads = 0;
    const index = new PathIndex((i) => {
      reads++;
      return paths[i];
    }, 10);
    let refused = 0;
    for (let i = 0; i < 50_000; i++) {
      paths.push(`storage/uploads/${i % 97}/file-${i}-ü.png`);
      if (!index.add(paths[i], i)) refused++;
    }
    expect(refused).toBe(0);
    expect(index.size).toBe(50_000);
    expect(index.add('storage/uploads/3/file-3-ü.png', 50_000)).toBe(false); // already in: nothing added
    expect(index.size).toBe(50_000);
    let missing = 0;
    for (let i = 0; i < 50_000; i += 7) if (!index.has(paths[i])) missing++;
    expect(missing).toBe(0);
    for (const absent of ['storage/uploads/3', 'storage/uploads/3/file-3-u.png', '', 'storage/uploads/96/file-50000-ü.png']) {
      expect(index.has(absent)).toBe(false);
    }
    // 32-bit hashes of 50,000 paths: a few meet by chance; every hit read its one path.
    expect(reads).toBeLessThan(50_000 / 7 + 1 + 100);
  });
});

describe('manifest validation of many entries', () => {
  function packedManifest(marker: string, n: number) {
    const c = new EntryCollector(true);
    c.add({ path: 'db/main.dump', size: 1, sha256: sha(-1) });
    for (let i = 0; i < n; i++) c.add({ path: `storage/uploads/d${i % 50}/${marker}${i}.bin`, size: i, sha256: sha(i), mode: 0o644 });
    return manifestFor(c.result() as ManifestEntry[]);
  }

  it('still refuses a path listed twice, a file that is also a folder, and a stored name listed twice', async () => {
    const base = packedManifest('f-', 2000);
    const entries = [...base.entries];
    const twice = manifestFor([...entries, { ...entries[1500] }]);
    await expect(validateManifestAsync(twice)).rejects.toMatchObject({ code: 'ENTRY_DUPLICATE' });
    expect(() => validateManifest(twice)).toThrow(expect.objectContaining({ code: 'ENTRY_DUPLICATE' }));
    const clash = manifestFor([...entries, { path: 'storage/uploads/d7', size: 0, sha256: sha(1) }]);
    await expect(validateManifestAsync(clash)).rejects.toMatchObject({ code: 'ENTRY_UNSAFE' });
    const stored = entries.map((e, i) => ({ ...e, stored: `e/${String(i === 9 ? 3 : i).padStart(6, '0')}` }));
    await expect(validateManifestAsync(manifestFor(stored))).rejects.toMatchObject({ code: 'ENTRY_DUPLICATE' });
    await expect(validateManifestAsync(base)).resolves.toBe(base);
  });

  it('keeps no entry path while it runs (a Set of them was promoted to the old generation)', async () => {
    const marker = ['validated', 'path', String(process.pid), ''].join('-');
    const manifest = packedManifest(marker, 100_000);
    // The snapshot is taken when the 20,000th path is added (synchronously, inside the validation), whatever the
    // machine's speed; it is read once the validation is over.
    // Not a jest spy: a spy keeps every call's arguments, 20,000 paths.
    const original = PathIndex.prototype.add;
    let snapshot: AsyncIterable<unknown> | null = null;
    let added = 0;
    PathIndex.prototype.add = function (this: PathIndex, path: string, item: number) {
      if (++added === 20_000) snapshot = v8.getHeapSnapshot();
      return original.call(this, path, item);
    };
    try {
      await validateManifestAsync(manifest);
    } finally {
      PathIndex.prototype.add = original;
    }
    expect(snapshot).not.toBeNull();
    // The path at hand (and perhaps a slice of it), not the 20,000 gone through (before: a Set of them).
    expect(await occurrencesInHeap(marker, snapshot!)).toBeLessThanOrEqual(4);
  });
});
