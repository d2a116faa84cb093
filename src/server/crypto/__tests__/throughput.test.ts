import { randomBytes } from 'crypto';
import { Readable, Writable } from 'stream';
import { pipeline } from 'stream/promises';
import { DEFAULT_CHUNK_SIZE } from '../constants';
import { DecryptStream } from '../decrypt-stream';
import { EncryptStream } from '../encrypt-stream';
import { key } from './helpers';

const MB = 1024 * 1024;
const log = (msg: string) => console.log(msg); // eslint-disable-line no-console

/** `total` bytes as repeated 256 KiB pieces of `block` (the reader's and fs streams' piece size). */
function source(blocks: Buffer[], total: number): Readable {
  let sent = 0;
  let i = 0;
  return new Readable({
    read() {
      if (sent >= total) return void this.push(null);
      const b = blocks[i++ % blocks.length];
      sent += b.length;
      this.push(b);
    },
  });
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

it('cipher layer throughput (64 KiB chunks, 256 KiB input pieces)', async () => {
  const k = key();
  const TOTAL = 256 * MB;
  const plainBlocks = [randomBytes(256 * 1024)];
  // Ciphertext to decrypt: 32 MiB encrypted once, decrypted repeatedly with fresh streams.
  const sealedParts: Buffer[] = [];
  await pipeline(
    source(plainBlocks, 32 * MB),
    new EncryptStream(k, 'e/000001', DEFAULT_CHUNK_SIZE),
    new Writable({ write: (c, _e, cb) => (sealedParts.push(c), cb()) }),
  );
  const sealed = Buffer.concat(sealedParts);
  const sealedBlocks: Buffer[] = [];
  for (let i = 0; i < sealed.length; i += 256 * 1024) sealedBlocks.push(sealed.subarray(i, i + 256 * 1024));

  const sink = () => new Writable({ write: (_c, _e, cb) => cb() });
  const encMs = await timed(() =>
    pipeline(source(plainBlocks, TOTAL), new EncryptStream(k, 'e/000001', DEFAULT_CHUNK_SIZE), sink()),
  );
  let decMs = 0;
  for (let i = 0; i < TOTAL / (32 * MB); i++) {
    decMs += await timed(() =>
      pipeline(source(sealedBlocks, sealed.length), new DecryptStream(k, 'e/000001', DEFAULT_CHUNK_SIZE), sink()),
    );
  }
  const copyMs = await timed(() => pipeline(source(plainBlocks, TOTAL), sink()));
  const rate = (ms: number) => (TOTAL / MB / (ms / 1000)).toFixed(0);
  log(`cipher layer: encrypt ${rate(encMs)} MB/s, decrypt ${rate(decMs)} MB/s (bare stream copy ${rate(copyMs)} MB/s)`);
  expect(TOTAL / MB / (encMs / 1000)).toBeGreaterThan(50);
  expect(TOTAL / MB / (decMs / 1000)).toBeGreaterThan(50);
}, 120_000);
