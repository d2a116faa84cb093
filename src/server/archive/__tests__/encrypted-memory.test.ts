import fsp from 'fs/promises';
import path from 'path';
import { ARCHIVE_EXT } from '../../../constants';
import { extractVerified, readManifest, verifyArchive } from '../reader';
import { ArchiveWriter } from '../writer';
import { PASSWORD } from './encrypted-helpers';
import { draft, generated, makeTmp, ringGenerated, rssProbe } from './helpers';

const MB = 1024 * 1024;
const LIMIT = 64 * MB;
/**
 * Packing encrypted: AES-GCM gives a new 64 KiB output buffer per chunk, and V8 frees such buffers when their
 * external memory has grown by about 64 MB since the last collection, so the peak sits between 35 and 75 MB here
 * whatever the size. Bounded well below the data (200 MB): the test fails if memory grew with the stream.
 */
const PACK_LIMIT = 96 * MB;
const SIZE = 200 * MB;


const gc = () => (global as unknown as { gc?: () => void }).gc?.();
const mbps = (bytes: number, ms: number) => (bytes / MB / (ms / 1000)).toFixed(0);
const log = (msg: string) => console.log(msg); // eslint-disable-line no-console

let tmp: string;
beforeAll(async () => {
  tmp = await makeTmp();
});
afterAll(async () => {
  await fsp.rm(tmp, { recursive: true, force: true });
});

describe('encrypted archives: memory stays flat (default scrypt cost, 64 KiB chunks)', () => {
  const file = () => path.join(tmp, 'big' + ARCHIVE_EXT);

  it('packing a 200 MB stream: RSS growth bounded well below the data (< 96 MB) while streaming; the key derivation is a separate, released spike', async () => {
    const warm = await ArchiveWriter.create(path.join(tmp, 'warm' + ARCHIVE_EXT), { tmpDir: tmp, password: PASSWORD });
    await warm.addStream('db/main.dump', generated(8 * MB));
    await warm.finish(draft());
    gc();

    const base = process.memoryUsage.rss();
    const probe = rssProbe();
    const w = await ArchiveWriter.create(file(), { tmpDir: tmp, password: PASSWORD });
    const kdfPeak = probe.peak() - base;
    // The test's own source buffers (16 MiB ring) are allocated before the baseline: they are not the writer's.
    const src = ringGenerated(SIZE, 64 * 1024, 256, probe.poke);
    const streamBase = probe.restart();
    const t = Date.now();
    const entry = await w.addStream('db/main.dump', src.stream);
    const ms = Date.now() - t;
    const { size } = await w.finish(draft());
    probe.stop();
    const growth = probe.peak() - streamBase;
    log(
      `encrypted pack 200 MB: ${mbps(SIZE, ms)} MB/s, RSS growth while streaming ${(growth / MB).toFixed(1)} MB; key derivation spike ${(kdfPeak / MB).toFixed(1)} MB (released)`,
    );
    expect(entry).toMatchObject({ size: SIZE, sha256: src.digest(), stored: 'e/000001' });
    expect(size).toBeLessThan(SIZE * 1.001 + 4096);
    expect(growth).toBeLessThan(PACK_LIMIT);
  }, 120_000);

  it('verifying and extracting it: RSS growth under 64 MB while streaming', async () => {
    const manifest = await readManifest(file(), { password: PASSWORD });
    gc();
    const base = process.memoryUsage.rss();
    const probe = rssProbe();
    let streamBase = 0;
    // The stream phase starts at the first progress report: the key has been derived (and its memory freed) by then.
    const onProgress = () => {
      if (!streamBase) streamBase = probe.restart();
      probe.poke();
    };
    let t = Date.now();
    await verifyArchive(file(), { password: PASSWORD, onProgress });
    const verifyMs = Date.now() - t;
    const verifyGrowth = probe.peak() - streamBase;
    const staging = path.join(tmp, 'staging');
    streamBase = 0;
    t = Date.now();
    await extractVerified(file(), manifest, staging, { password: PASSWORD, onProgress });
    const extractMs = Date.now() - t;
    const extractGrowth = probe.peak() - streamBase;
    probe.stop();
    log(
      `encrypted verify 200 MB: ${mbps(SIZE, verifyMs)} MB/s (incl. key derivation), RSS growth ${(verifyGrowth / MB).toFixed(1)} MB; ` +
        `extract: ${mbps(SIZE, extractMs)} MB/s, RSS growth ${(extractGrowth / MB).toFixed(1)} MB; overall peak incl. key derivation ${((probe.peak() - base) / MB).toFixed(1)} MB`,
    );
    expect((await fsp.stat(path.join(staging, 'db', 'main.dump'))).size).toBe(SIZE);
    expect(verifyGrowth).toBeLessThan(LIMIT);
    expect(extractGrowth).toBeLessThan(LIMIT);
  }, 120_000);
});
