import fsp from 'fs/promises';
import path from 'path';
import { ARCHIVE_EXT } from '../../../constants';
import { extractVerified, verifyArchive } from '../reader';
import { ArchiveWriter } from '../writer';
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
