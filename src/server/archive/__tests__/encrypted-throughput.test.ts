import fsp from 'fs/promises';
import path from 'path';
import { ARCHIVE_EXT } from '../../../constants';
import { verifyArchive } from '../reader';
import { ArchiveWriter } from '../writer';
import { PASSWORD } from './encrypted-helpers';
import { draft, makeTmp, ringGenerated } from './helpers';

const MB = 1024 * 1024;
const SIZE = 200 * MB;
const log = (msg: string) => console.log(msg); // eslint-disable-line no-console

let tmp: string;
beforeAll(async () => {
  tmp = await makeTmp();
});
afterAll(async () => {
  await fsp.rm(tmp, { recursive: true, force: true });
});

async function timed<T>(fn: () => Promise<T>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

/** Packs and verifies SIZE bytes; returns ms of each, excluding key derivation (done in create / measured apart). */
async function packAndVerify(name: string, password?: string): Promise<{ pack: number; verify: number; kdf: number }> {
  const file = path.join(tmp, name + ARCHIVE_EXT);
  let w: ArchiveWriter | undefined;
  const kdf = await timed(async () => (w = await ArchiveWriter.create(file, { tmpDir: tmp, password })));
  const pack = await timed(async () => {
    await w!.addStream('db/main.dump', ringGenerated(SIZE, 256 * 1024, 64).stream);
    await w!.finish(draft());
  });
  const verify = (await timed(() => verifyArchive(file, { password }))) - kdf; // verify derives the key once too
  await fsp.rm(file);
  return { pack, verify, kdf };
}

it('end-to-end cost of encryption: pack and verify 200 MB, plain and encrypted, same process and disk', async () => {
  await packAndVerify('warm'); // load modules, warm the page cache path
  const plain = await packAndVerify('plain');
  const enc = await packAndVerify('enc', PASSWORD);
  const rate = (ms: number) => (SIZE / MB / (ms / 1000)).toFixed(0);
  log(
    `200 MB end to end (incl. random source, SHA-256, disk):\n` +
      `  pack:   plain ${rate(plain.pack)} MB/s, encrypted ${rate(enc.pack)} MB/s\n` +
      `  verify: plain ${rate(plain.verify)} MB/s, encrypted ${rate(enc.verify)} MB/s\n` +
      `  key derivation (once per archive opened): ${enc.kdf.toFixed(0)} ms`,
  );
  // Loose floor: catches a pathological regression (e.g. per-byte work), not machine speed.
  expect(SIZE / MB / (enc.pack / 1000)).toBeGreaterThan(20);
  expect(SIZE / MB / (enc.verify / 1000)).toBeGreaterThan(20);
}, 300_000);
