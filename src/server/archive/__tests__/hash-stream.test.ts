import { createHash, randomBytes } from 'crypto';
import { Readable, Writable } from 'stream';
import { pipeline } from 'stream/promises';
import { EMPTY_SHA256, HashLimitError, HashStream } from '../hash-stream';

const sink = (chunks: Buffer[]) => new Writable({ write: (c, _e, cb) => (chunks.push(c), cb()) });

describe('HashStream', () => {
  it('passes data through unchanged while counting and hashing', async () => {
    const parts = [randomBytes(10), randomBytes(70_000), Buffer.alloc(0), randomBytes(3)];
    const all = Buffer.concat(parts);
    const seen: number[] = [];
    const h = new HashStream({ onProgress: (n) => seen.push(n) });
    const out: Buffer[] = [];
    await pipeline(Readable.from(parts), h, sink(out));
    expect(Buffer.concat(out).equals(all)).toBe(true);
    expect(h.bytes).toBe(all.length);
    expect(h.sha256).toBe(createHash('sha256').update(all).digest('hex'));
    expect(seen[seen.length - 1]).toBe(all.length);
  });

  it('hashes empty input', async () => {
    const h = new HashStream();
    await pipeline(Readable.from([]), h, sink([]));
    expect(h.sha256).toBe(EMPTY_SHA256);
    expect(h.bytes).toBe(0);
  });

  it('refuses the digest before the end', () => {
    expect(() => new HashStream().sha256).toThrow(/before the stream ended/);
  });

  it('fails as soon as the limit is exceeded', async () => {
    const h = new HashStream({ limit: 5 });
    await expect(pipeline(Readable.from([Buffer.from('abc'), Buffer.from('def')]), h, sink([]))).rejects.toBeInstanceOf(HashLimitError);
    expect(h.bytes).toBe(6);
  });
});
