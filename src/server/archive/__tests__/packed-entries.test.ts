import crypto from 'crypto';
import fsp from 'fs/promises';
import path from 'path';
import { ARCHIVE_EXT } from '../../../constants';
import type { ManifestEntry } from '../manifest-types';
import { manifestJsonPieces } from '../manifest-pieces';
import { EntryCollector, packedEntryArray, PackedEntries } from '../packed-entries';
import { readHeaderAndManifest, readManifest } from '../reader';
import { ArchiveWriter } from '../writer';
import { draft, makeTmp } from './helpers';

// A restore's manifest holds its entries packed: every reader must see exactly the array JSON.parse gave.

const sha = (i: number) => crypto.createHash('sha256').update(String(i)).digest('hex');
const entries = (): ManifestEntry[] => [
  { path: 'db/main.dump', size: 12, sha256: sha(1) },
  { path: 'storage/uploads/a.png', size: 0, sha256: sha(2), mode: 0o644 },
  { path: 'storage/uploads/中文 ✓/{x}.bin', size: 2 ** 40, sha256: sha(3), mode: 0 },
  { path: 'e/x', size: 7, sha256: sha(4), stored: 'e/000004' },
  { path: 'storage/plugins/p.tgz', size: 5, sha256: sha(5), stored: 'e/1234567', mode: 0o7777 },
];

function packedOf(list: unknown[]): ManifestEntry[] {
  const c = new EntryCollector(true);
  for (const e of list) c.add(JSON.parse(JSON.stringify(e)));
  return c.result() as ManifestEntry[];
}

describe('packed manifest entries', () => {
  it('read back as the array they were: indexes, length, iteration, array methods, JSON, equality', () => {
    const plain = entries();
    const packed = packedOf(plain);
    expect(Array.isArray(packed)).toBe(true);
    expect(packed.length).toBe(5);
    expect(packed[2]).toEqual(plain[2]);
    expect(Object.keys(packed[4])).toEqual(['path', 'size', 'sha256', 'stored', 'mode']);
    expect(packed[5]).toBeUndefined();
    expect(2 in packed).toBe(true);
    expect(5 in packed).toBe(false);
    expect([...packed]).toEqual(plain);
    expect(packed).toEqual(plain);
    expect(JSON.stringify(packed)).toBe(JSON.stringify(plain));
    expect(packed.filter((e) => e.path.startsWith('storage/'))).toEqual(plain.filter((e) => e.path.startsWith('storage/')));
    expect(packed.reduce((n, e) => n + e.size, 0)).toBe(plain.reduce((n, e) => n + e.size, 0));
    expect(packed.find((e) => e.stored === 'e/000004')).toEqual(plain[3]);
    expect(packed.slice(1, 3)).toEqual(plain.slice(1, 3));
    expect(packed.map((e) => e.mode)).toEqual([undefined, 0o644, 0, undefined, 0o7777]);
    const { entries: _e, ...head } = { a: 1, entries: packed };
    expect([...manifestJsonPieces({ ...head, entries: packed } as never, 2)].join('')).toBe(JSON.stringify({ a: 1, entries: plain }));
  });

  it('is read-only', () => {
    const packed = packedOf(entries());
    expect(() => {
      'use strict';
      (packed as unknown[])[0] = 1;
    }).toThrow(TypeError);
    expect(() => packed.push(entries()[0])).toThrow(TypeError);
    expect(() => packed.sort()).toThrow(TypeError);
    expect(packed).toHaveLength(5);
  });

  it('keeps anything not of the writer shape as parsed, for validation to judge: then no entry is packed', () => {
    const odd: unknown[] = [
      { path: 'a', size: 1, sha256: sha(1).toUpperCase() }, // not lowercase: packing would change it
      { size: 1, path: 'a', sha256: sha(1) }, // another key order
      { path: 'a', size: 1, sha256: sha(1), extra: true }, // an unknown field
      { path: 'a', size: 1.5, sha256: sha(1) },
      { path: 'a', size: -1, sha256: sha(1) },
      { path: 'a', size: '1', sha256: sha(1) },
      { path: 'a\ud800', size: 1, sha256: sha(1) }, // a lone surrogate does not survive UTF-8
      { path: 'a', size: 1, sha256: sha(1), mode: 0x10000 },
      { path: 'a', size: 1, sha256: sha(1), mode: -1 },
      { path: 'a', size: 1, sha256: sha(1), stored: 'e/1' }, // not zero-padded the writer's way
      { path: 'a', size: 1, sha256: sha(1), stored: 'e/0000001' },
      { path: 'a', size: 1, sha256: sha(1), stored: 7 },
      ['a'],
      null,
      'entry',
    ];
    for (const bad of odd) {
      const list = [...entries(), bad, entries()[0]];
      const c = new EntryCollector(true);
      for (const e of list) c.add(e);
      const result = c.result();
      expect(result).toEqual(list);
      expect(result[5]).toBe(bad); // the very value, not a copy
      expect(new PackedEntries().add(bad)).toBe(false);
    }
  });

  it('holds under 100 bytes an entry (an object each was about 217)', () => {
    const packed = new PackedEntries({ entries: 100_000 });
    const digest = sha(7);
    let refused = 0;
    for (let i = 0; i < 100_000; i++) {
      if (!packed.add({ path: `storage/uploads/mf/d${i % 200}/file-${i}.bin`, size: 2048, sha256: digest, mode: 0o644 })) refused++;
    }
    packed.trim();
    expect(refused).toBe(0);
    expect(packed.bytes / 100_000).toBeLessThan(100);
    expect(packedEntryArray(packed)[99_999]).toEqual({ path: 'storage/uploads/mf/d199/file-99999.bin', size: 2048, sha256: digest, mode: 0o644 });
  });

  it("a restore's read of an archive gives the same manifest packed, plain and encrypted", async () => {
    const tmp = await makeTmp();
    try {
      const dir = path.join(tmp, 'src');
      await fsp.mkdir(path.join(dir, 'sub'), { recursive: true });
      for (let i = 0; i < 50; i++) await fsp.writeFile(path.join(dir, i % 2 ? 'sub' : '', `f${i}.txt`), `file ${i}`);
      for (const password of [undefined, 'pw']) {
        const file = path.join(tmp, `a${password ?? ''}${ARCHIVE_EXT}`);
        const w = await ArchiveWriter.create(file, { tmpDir: tmp, password });
        await w.addBuffer('db/main.dump', 'dump');
        await w.addDirectory('storage/uploads', dir);
        await w.finish(draft());
        const plain = await readManifest(file, { password });
        const { manifest } = await readHeaderAndManifest(file, { password, packEntries: true });
        expect(manifest).toEqual(plain);
        expect(JSON.stringify(manifest)).toBe(JSON.stringify(plain));
        // Packed: an entry read twice is two objects (a plain array gives the same one).
        expect(manifest.entries[3]).not.toBe(manifest.entries[3]);
        expect(plain.entries[3]).toBe(plain.entries[3]);
      }
    } finally {
      await fsp.rm(tmp, { recursive: true, force: true });
    }
  });
});
