import fsp from 'fs/promises';
import path from 'path';
import v8 from 'v8';
import vm from 'vm';
import { ARCHIVE_EXT } from '../../../constants';
import { extractVerified, readManifest, verifyArchive } from '../reader';
import { ArchiveWriter } from '../writer';
import { openArchive } from '../zip-directory';
import type { CentralTable } from '../central-table';
import { MANIFEST_NAME } from '../layout';
import { draft, generated, makeTmp, ringGenerated, rssProbe } from './helpers';

const MB = 1024 * 1024;
const LIMIT = 64 * MB;


let tmp: string;
beforeAll(async () => {
  tmp = await makeTmp();
});
afterAll(async () => {
  await fsp.rm(tmp, { recursive: true, force: true });
});

describe('memory', () => {
  const file = () => path.join(tmp, 'big' + ARCHIVE_EXT);

  it('packing a 200 MB stream keeps RSS growth under 64 MB', async () => {
    // Warm up: load every module and let the first allocations settle.
    const warm = await ArchiveWriter.create(path.join(tmp, 'warm' + ARCHIVE_EXT), { tmpDir: tmp });
    await warm.addStream('db/main.dump', generated(8 * MB));
    await warm.finish(draft());
    (global as any).gc?.();

    const base = process.memoryUsage.rss();
    const probe = rssProbe();
    const w = await ArchiveWriter.create(file(), { tmpDir: tmp });
    // pg_dump's stdout arrives in 64 KiB pipe chunks. The source reuses a 16 MiB ring, so that RSS measures what
    // the writer holds rather than how long V8 leaves the source's dead buffers uncollected.
    let inFlight = 0;
    const src = ringGenerated(200 * MB, 64 * 1024, 256, (produced) => {
      inFlight = Math.max(inFlight, produced - w.bytesWritten);
      probe.poke();
    });
    const entry = await w.addStream('db/main.dump', src.stream);
    const { size } = await w.finish(draft());
    probe.stop();
    const growth = probe.peak() - base;
    // eslint-disable-next-line no-console
    console.log(`pack 200 MB: RSS growth ${(growth / MB).toFixed(1)} MB, at most ${(inFlight / MB).toFixed(1)} MB between source and archive`);
    expect(entry).toEqual({ path: 'db/main.dump', size: 200 * MB, sha256: src.digest() });
    expect(size).toBeLessThan(200 * MB + 4096);
    expect(inFlight).toBeLessThan(16 * MB);
    expect(growth).toBeLessThan(LIMIT);
  }, 120_000);

  it('verifying and extracting it keeps RSS growth under 64 MB too', async () => {
    (global as any).gc?.();
    const base = process.memoryUsage.rss();
    const probe = rssProbe();
    const manifest = await verifyArchive(file(), { onProgress: probe.poke });
    const staging = path.join(tmp, 'staging');
    await extractVerified(file(), manifest, staging, { onProgress: probe.poke });
    probe.stop();
    const growth = probe.peak() - base;
    // eslint-disable-next-line no-console
    console.log(`verify + extract 200 MB: RSS growth ${(growth / MB).toFixed(1)} MB`);
    expect((await fsp.stat(path.join(staging, 'db', 'main.dump'))).size).toBe(200 * MB);
    expect(growth).toBeLessThan(LIMIT);
  }, 120_000);
});

describe('memory per file', () => {
  // A full collection on demand, so that what the writer keeps (and only that) is measured.
  v8.setFlagsFromString('--expose_gc');
  const gc: () => void = vm.runInNewContext('gc');
  const heapAfterGc = () => {
    gc();
    return process.memoryUsage().heapUsed;
  };

  it('packing a folder keeps nothing per file until the archive is finished (30,000 files: the heap stays level)', async () => {
    const FILES = 30_000;
    const src = path.join(tmp, 'many');
    for (let d = 0; d < FILES / 500; d++) {
      const dir = path.join(src, `d${String(d).padStart(3, '0')}`);
      await fsp.mkdir(dir, { recursive: true });
      for (let i = 0; i < 500; i++) await fsp.writeFile(path.join(dir, `file-number-${i}.bin`), String(i % 10));
    }
    const w = await ArchiveWriter.create(path.join(tmp, 'many' + ARCHIVE_EXT), { tmpDir: tmp });
    await w.addBuffer('db/main.dump', 'dump');
    let early = 0;
    let late = 0;
    await w.addDirectory('storage/uploads', src, {
      // Each file is one byte: the byte count is the file count.
      onProgress: (n) => {
        if (n === 3_000) early = heapAfterGc();
        if (n === FILES) late = heapAfterGc();
      },
    });
    const perFile = (late - early) / (FILES - 3_000);
    // eslint-disable-next-line no-console
    console.log(`heap from file 3,000 to ${FILES}: ${((late - early) / MB).toFixed(2)} MB (${perFile.toFixed(1)} bytes a file)`);
    // An entry and a ZIP record kept per file were about 250 bytes each (6.7 MB here).
    expect(late - early).toBeLessThan(1.5 * MB);
    const { manifest } = await w.finish(draft());
    expect(manifest.entryCount).toBe(FILES + 1);
    const m = await readManifest(path.join(tmp, 'many' + ARCHIVE_EXT));
    expect(m.entries).toHaveLength(FILES + 1);
    expect(m.entries[FILES].path).toBe('storage/uploads/d059/file-number-99.bin');
  }, 120_000);

  it('what an extraction answers keeps nothing per file (its pathOf lives as long as the restore)', async () => {
    // The archive of the test above: 30,001 entries.
    const archive = path.join(tmp, 'many' + ARCHIVE_EXT);
    const manifest = await readManifest(archive);
    const before = heapAfterGc();
    const result = await extractVerified(archive, manifest, path.join(tmp, 'many-out'));
    const held = heapAfterGc() - before;
    // eslint-disable-next-line no-console
    console.log(`heap held by the extraction's answer: ${(held / MB).toFixed(2)} MB`);
    expect(result.pathOf('storage/uploads/d000/file-number-1.bin')).toBe(path.join(tmp, 'many-out', 'storage/uploads/d000/file-number-1.bin'));
    // The staging folder's list of every file it made (an absolute path each, 3 MB here) was kept through
    // pathOf's closure.
    expect(held).toBeLessThan(1 * MB);
  }, 120_000);

  it("reading the manifest never holds its text whole: beyond the central directory, a few chunks of it", async () => {
    // The archive of the tests above: 30,001 entries, a manifest of about 4 MB.
    const archive = path.join(tmp, 'many' + ARCHIVE_EXT);
    const z = await openArchive(archive);
    const tableBytes = (z.entries as CentralTable).bytes;
    const textBytes = z.entries.get(MANIFEST_NAME)!.size;
    await z.close();
    const live = () => {
      gc();
      return process.memoryUsage().arrayBuffers;
    };
    const base = live();
    let peak = base;
    // What is allocated now, live or not yet collected, is at least what is live: a sample under 1 MB beyond the
    // directory needs no collection. Only above it does a full collection (tens of ms with this file's heap, seconds
    // on a loaded machine: a collection at every sample took 91 s of a CI run) say what is really held.
    let collected = 0;
    const sampler = setInterval(() => {
      const now = process.memoryUsage().arrayBuffers;
      if (now - base - tableBytes < 1 * MB) peak = Math.max(peak, now);
      else {
        collected++;
        peak = Math.max(peak, live());
      }
    }, 2);
    const m = await readManifest(archive);
    clearInterval(sampler);
    const held = peak - base - tableBytes;
    // eslint-disable-next-line no-console
    console.log(`manifest of ${(textBytes / MB).toFixed(1)} MB: at most ${(held / MB).toFixed(2)} MB of it held beside the central directory (${collected} collections)`);
    expect(m.entries).toHaveLength(30_001);
    // At most the directory's read window (1 MB) and a few 256 KB chunks of the text. It was read whole (and copied
    // once more to join its pieces): at least its size.
    expect(textBytes).toBeGreaterThan(3 * MB);
    expect(held).toBeLessThan(2 * MB);
  }, 120_000);
});
