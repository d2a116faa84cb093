import fsp from 'fs/promises';
import path from 'path';
import { ARCHIVE_EXT } from '../../../constants';
import { extractVerified, verifyArchive } from '../reader';
import { ArchiveWriter } from '../writer';
import { draft, generated, makeTmp } from './helpers';

const MB = 1024 * 1024;
const LIMIT = 64 * MB;

/** Samples RSS on a timer and whenever poke() is called; peak() is the highest value seen. */
function rssProbe() {
  let peak = process.memoryUsage.rss();
  const poke = () => {
    const m = process.memoryUsage();
    const r = m.rss;
    if (r > peak) { peak = r; (global as any).__peak = m; }
  };
  const timer = setInterval(poke, 5);
  return {
    poke,
    peak: () => (poke(), peak),
    stop: () => clearInterval(timer),
  };
}

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
    const entry = await w.addStream('db/main.dump', generated(200 * MB, 64 * 1024, probe.poke));
    const { size } = await w.finish(draft());
    probe.stop();
    const growth = probe.peak() - base;
    // eslint-disable-next-line no-console
    console.log(JSON.stringify((global as any).__peak), JSON.stringify(process.memoryUsage()));
    console.log(`pack 200 MB: RSS growth ${(growth / MB).toFixed(1)} MB, archive ${(size / MB).toFixed(1)} MB`);
    expect(entry.size).toBe(200 * MB);
    expect(size).toBeLessThan(200 * MB + 4096);
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
