import fs from 'fs';
import path from 'path';
import v8 from 'v8';
import vm from 'vm';
import fsp from 'fs/promises';
import { ARCHIVE_EXT } from '../../../constants';
import { CentralTable } from '../central-table';
import { openArchive } from '../zip-directory';
import { extractVerified, readManifest } from '../reader';
import { ArchiveWriter } from '../writer';
import { draft, makeTmp } from './helpers';

// The central directory as the reader keeps it: the same answers as a Map of its entries, in less memory.

const entryOf = (name: string, i: number) => ({ size: i * 3, crc32: (i * 2654435761) >>> 0, offset: i * 100, flags: i % 2 ? 0x800 : 0 });

describe('CentralTable', () => {
  it('answers every lookup as a Map does, ASCII or not, through growth and trimming', () => {
    const names = Array.from({ length: 5000 }, (_, i) => (i % 7 === 0 ? `storage/uploads/é${i}/文件-${i}.png` : `storage/uploads/d${i % 13}/f-${i}`));
    const table = new CentralTable();
    const map = new Map<string, ReturnType<typeof entryOf> & { path: string }>();
    names.forEach((n, i) => {
      table.add(n, Buffer.from(n, 'utf8'), entryOf(n, i));
      map.set(n, { path: n, ...entryOf(n, i) });
    });
    table.trim();
    expect(table.size).toBe(map.size);
    expect([...table.keys()]).toEqual([...map.keys()]);
    for (const [n, e] of map) expect(table.get(n)).toEqual({ ...e, compressedSize: e.size, method: 0 });
    expect([...table.values()].map((e) => e.path)).toEqual(names);
    // Near misses: a prefix, one more character, a different byte of the same length, another non-ASCII spelling.
    for (const n of ['storage/uploads/d0/f-1', 'storage/uploads/d1/f-1x', 'storage/uploads/d1/f-2', 'storage/uploads/e0/文件-0.png', 'storage/uploads/é0/文件-0.pn', '']) {
      expect(table.has(n)).toBe(map.has(n));
      expect(table.get(n)).toEqual(map.has(n) ? expect.anything() : undefined);
    }
  });

  it('lets go of its names and their index, answering records by index alone (an extraction holds the manifest\'s)', () => {
    const names = Array.from({ length: 20_000 }, (_, i) => `storage/uploads/d${i % 13}/file-${i}-é.png`);
    const table = new CentralTable();
    names.forEach((n, i) => table.add(n, Buffer.from(n, 'utf8'), entryOf(n, i)));
    table.trim();
    const at = names.map((n) => table.indexOf(n));
    expect(table.indexOf('storage/uploads/d0/file-1-é.png')).toBe(-1);
    const before = table.bytes;
    table.releaseNames();
    // Left: offsets, sizes, CRCs and flags (22 bytes an entry); the names (about 35 bytes each) and the index are gone.
    expect(table.bytes).toBeLessThan(25 * names.length);
    expect(before - table.bytes).toBeGreaterThan(50 * names.length);
    for (const i of [0, 7, 12_345, 19_999]) expect(table.recordAt(at[i], names[i])).toEqual({ path: names[i], ...entryOf(names[i], i), compressedSize: i * 3, method: 0 });
    expect(table.size).toBe(names.length);
    expect(() => table.get(names[0])).toThrow(/let go of its names/);
    expect(() => [...table.keys()]).toThrow(/let go of its names/);
  });

  it('is let go of by an extraction once each entry\'s record is found, before the first file is made', async () => {
    const tmp = await makeTmp();
    try {
      const src = path.join(tmp, 'src');
      await fsp.mkdir(path.join(src, 'a'), { recursive: true });
      for (let i = 0; i < 300; i++) await fsp.writeFile(path.join(src, 'a', `f${i}.txt`), `file ${i} `.repeat(i % 5));
      await fsp.writeFile(path.join(src, 'big.bin'), Buffer.alloc(600 * 1024, 7)); // streamed, not read in a window
      const file = path.join(tmp, 'x' + ARCHIVE_EXT);
      const w = await ArchiveWriter.create(file, { tmpDir: tmp });
      await w.addBuffer('db/main.dump', Buffer.from('dump'));
      await w.addDirectory('storage/uploads', src);
      await w.finish(draft());
      const manifest = await readManifest(file);
      const out = path.join(tmp, 'out');
      const original = CentralTable.prototype.releaseNames;
      const filesWhenReleased: number[] = [];
      const spy = jest.spyOn(CentralTable.prototype, 'releaseNames').mockImplementation(function (this: CentralTable) {
        filesWhenReleased.push(fs.existsSync(out) ? fs.readdirSync(out, { recursive: true }).length : 0);
        original.call(this);
      });
      try {
        await extractVerified(file, manifest, out);
      } finally {
        spy.mockRestore();
      }
      expect(filesWhenReleased).toEqual([0]);
      for (const e of manifest.entries) {
        const rel = e.path.startsWith('storage/uploads/') ? path.join(src, e.path.slice('storage/uploads/'.length)) : null;
        const got = fs.readFileSync(path.join(out, e.path));
        expect(rel ? got.equals(fs.readFileSync(rel)) : got.toString()).toBe(rel ? true : 'dump');
      }
    } finally {
      await fsp.rm(tmp, { recursive: true, force: true });
    }
  });

  it('frees its memory when disposed at the next young collection, not at the next full one', async () => {
    v8.setFlagsFromString('--expose_gc');
    const gc = vm.runInNewContext('gc') as (o?: { type: 'minor' | 'major' }) => void;
    const table = new CentralTable();
    for (let i = 0; i < 100_000; i++) {
      const n = `storage/uploads/d${i % 13}/file-${i}.png`;
      table.add(n, Buffer.from(n), entryOf(n, i));
    }
    table.trim();
    const held = table.bytes;
    // Two full collections: the table is in the old generation, as a restore's is by the time its archive closes.
    gc();
    gc();
    const before = process.memoryUsage().arrayBuffers;
    table.dispose();
    // Memory of young ArrayBuffers is released by V8's sweeper after the collection, on another thread: given up to
    // 3 s on a busy machine, young collections only (a dead column in the old generation waits for a full one).
    let freed = 0;
    for (let t = 0; t < 30 && freed < 0.9 * held; t++) {
      gc({ type: 'minor' });
      await new Promise((r) => setTimeout(r, 100));
      freed = before - process.memoryUsage().arrayBuffers;
    }
    expect(held).toBeGreaterThan(5_000_000);
    expect(freed).toBeGreaterThan(0.9 * held);
    expect(() => table.get('storage/uploads/d0/file-0.png')).toThrow(/let go of its names/);
  });

  it('holds a directory of 100,000 entries in under 100 bytes an entry (a Map of objects took about 180)', async () => {
    v8.setFlagsFromString('--expose_gc');
    const gc: () => void = vm.runInNewContext('gc');
    const tmp = await makeTmp();
    try {
      const file = path.join(tmp, 'many' + ARCHIVE_EXT);
      const w = await ArchiveWriter.create(file, { tmpDir: tmp });
      await w.addBuffer('db/main.dump', 'dump');
      const data = Buffer.from('x');
      for (let i = 0; i < 100_000; i++) await w.addBuffer(`storage/uploads/d${Math.floor(i / 500)}/file-${String(i).padStart(7, '0')}.bin`, data);
      await w.finish(draft());
      const heap = () => {
        gc();
        return process.memoryUsage().heapUsed;
      };
      // A first open loads and compiles what opening needs.
      await (await openArchive(file)).close();
      const before = heap();
      const z = await openArchive(file);
      const count = z.entries.size;
      // Objects per entry would show in the heap; the columns are buffers outside it, counted by their lengths.
      const heapPerEntry = (heap() - before) / count;
      const columns = z.entries instanceof CentralTable ? z.entries.bytes / count : Infinity;
      // eslint-disable-next-line no-console
      console.log(`central directory held: ${heapPerEntry.toFixed(1)} bytes of heap and ${columns.toFixed(1)} bytes of columns an entry`);
      expect(count).toBeGreaterThan(100_001);
      expect(z.entries.get('storage/uploads/d199/file-0099999.bin')?.size).toBe(1);
      await z.close();
      expect(heapPerEntry).toBeLessThan(8);
      expect(columns).toBeLessThan(100);
    } finally {
      await fsp.rm(tmp, { recursive: true, force: true });
    }
  }, 120_000);
});
