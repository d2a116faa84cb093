import { randomBytes } from 'crypto';
import { chunkAad, ChunkAuthError, encryptedSize, openChunk, sealChunk } from '../chunk';
import { TAG_BYTES } from '../constants';
import { DecryptStream } from '../decrypt-stream';
import { EncryptStream } from '../encrypt-stream';
import { key, records, rejection, run } from './helpers';

const CHUNK = 1024;
const ID = 'e/000001';

describe('EncryptStream / DecryptStream round trip', () => {
  it.each([0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 5000, 100_000])('%i bytes, in odd pieces', async (n) => {
    const k = key();
    const plain = randomBytes(n);
    // One-byte pieces only for small inputs: each costs a stream round trip, not a property of the cipher.
    for (const piece of n <= 5000 ? [1, 13, CHUNK, 65536] : [13, CHUNK, 65536]) {
      const sealed = await run(new EncryptStream(k, ID, CHUNK), plain, piece);
      expect(sealed.length).toBe(encryptedSize(n, CHUNK));
      expect((await run(new DecryptStream(k, ID, CHUNK), sealed, piece)).equals(plain)).toBe(true);
    }
  });

  it('an empty entry is one final, tag-only chunk', async () => {
    const sealed = await run(new EncryptStream(key(), ID, CHUNK), Buffer.alloc(0));
    expect(sealed.length).toBe(TAG_BYTES);
  });

  it('two encryptions of the same data under the same key and id are identical (deterministic nonces), other ids differ', async () => {
    // Safe only because every entry gets its own key: the writer never encrypts two plaintexts under one (key, id).
    const k = key();
    const plain = randomBytes(3000);
    const a = await run(new EncryptStream(k, ID, CHUNK), plain);
    expect((await run(new EncryptStream(k, ID, CHUNK), plain)).equals(a)).toBe(true);
    expect((await run(new EncryptStream(k, 'e/000002', CHUNK), plain)).equals(a)).toBe(false);
  });
});

describe('tampering at the chunk layer is detected, and no plaintext of the bad chunk is released', () => {
  const k = key();
  const plain = randomBytes(4 * CHUNK + 500); // 5 chunks: 4 full, 1 short final
  let sealed: Buffer;
  let recs: Buffer[];
  beforeAll(async () => {
    sealed = await run(new EncryptStream(k, ID, CHUNK), plain);
    recs = records(sealed, CHUNK);
    expect(recs).toHaveLength(5);
  });

  async function failsAt(data: Buffer, index: number, reason: 'tag' | 'truncated' = 'tag', id = ID): Promise<void> {
    const released: Buffer[] = [];
    const dec = new DecryptStream(k, id, CHUNK);
    dec.on('data', (c: Buffer) => released.push(c));
    const err = await rejection(
      new Promise((resolve, reject) => {
        dec.on('end', resolve);
        dec.on('error', reject);
        dec.end(data);
      }),
    );
    expect(err).toBeInstanceOf(ChunkAuthError);
    expect(err).toMatchObject({ index, reason, entryId: id });
    // Only the chunks before the bad one were released, and they are the genuine plaintext.
    expect(Buffer.concat(released).equals(plain.subarray(0, Math.min(index, 4) * CHUNK))).toBe(true);
  }

  it('a flipped bit in ciphertext or in a tag', async () => {
    for (const [at, index] of [
      [0, 0],
      [CHUNK + TAG_BYTES + 5, 1],
      [CHUNK + 3, 0], // inside the first tag
      [sealed.length - 1, 4], // last tag byte
    ]) {
      const bad = Buffer.from(sealed);
      bad[at] ^= 0x01;
      await failsAt(bad, index);
    }
  });

  it('two chunks swapped', async () => {
    await failsAt(Buffer.concat([recs[0], recs[2], recs[1], recs[3], recs[4]]), 1);
  });

  it('a chunk dropped from the middle', async () => {
    await failsAt(Buffer.concat([recs[0], recs[1], recs[3], recs[4]]), 2);
  });

  it('a chunk repeated', async () => {
    await failsAt(Buffer.concat([recs[0], recs[0], recs[1], recs[2], recs[3], recs[4]]), 1);
  });

  it('the final chunk dropped (truncated at a chunk boundary): the new last chunk is not flagged final', async () => {
    await failsAt(Buffer.concat(recs.slice(0, 4)), 3);
  });

  it('truncated inside a chunk, and inside a tag', async () => {
    await failsAt(sealed.subarray(0, sealed.length - 100), 4);
    await failsAt(sealed.subarray(0, 2 * (CHUNK + TAG_BYTES) + 10), 2, 'truncated');
    await failsAt(Buffer.alloc(0), 0, 'truncated');
  });

  it('data appended after the final chunk: the final chunk is no longer last', async () => {
    await failsAt(Buffer.concat([sealed, recs[1]]), 4);
    await failsAt(Buffer.concat([sealed, Buffer.alloc(TAG_BYTES)]), 4);
  });

  it('a chunk taken from another entry (same key, other id) at the same position', async () => {
    const other = records(await run(new EncryptStream(k, 'e/000002', CHUNK), randomBytes(4 * CHUNK + 500)), CHUNK);
    await failsAt(Buffer.concat([recs[0], other[1], recs[2], recs[3], recs[4]]), 1);
  });

  it('the whole stream read as another entry', async () => {
    await failsAt(sealed, 0, 'tag', 'e/000002');
  });

  it('a chunk re-sealed by hand with the final flag set early cannot be built without the key', async () => {
    // With the key it authenticates; this is the control showing the AAD carries the flag.
    const early = Buffer.concat(sealChunk(k, ID, 1, true, [plain.subarray(CHUNK, 2 * CHUNK)]));
    expect(openChunk(k, ID, 1, true, early).equals(plain.subarray(CHUNK, 2 * CHUNK))).toBe(true);
    expect(() => openChunk(k, ID, 1, false, early)).toThrow(ChunkAuthError);
    expect(() => openChunk(key(), ID, 1, true, early)).toThrow(ChunkAuthError);
    expect(chunkAad(ID, 1, true)).not.toEqual(chunkAad(ID, 1, false));
  });
});
