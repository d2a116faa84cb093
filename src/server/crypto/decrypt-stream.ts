import type { KeyObject } from 'crypto';
import { Transform, TransformCallback } from 'stream';
import { ByteQueue } from './byte-queue';
import { ChunkAuthError, openChunk } from './chunk';
import { TAG_BYTES } from './constants';

/**
 * Chunk records in, authenticated plaintext out; fails with ChunkAuthError at the first chunk that does not
 * authenticate, before any of its plaintext is released. Like the encryptor, a full record is held back until it is
 * known whether it is the last: the last record must carry the final flag, so a stream cut at a chunk boundary,
 * or extended past its end, fails too.
 */
export class DecryptStream extends Transform {
  private readonly queue = new ByteQueue();
  private readonly recordSize: number;
  private index = 0;

  constructor(
    private readonly key: KeyObject,
    private readonly entryId: string,
    chunkSize: number,
  ) {
    super();
    this.recordSize = chunkSize + TAG_BYTES;
  }

  /** Chunks authenticated so far. */
  get chunks(): number {
    return this.index;
  }

  _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      this.queue.push(chunk);
      while (this.queue.length > this.recordSize) this.open(this.queue.takeContiguous(this.recordSize), false);
      cb();
    } catch (err) {
      cb(err as Error);
    }
  }

  _flush(cb: TransformCallback): void {
    try {
      if (this.queue.length < TAG_BYTES) throw new ChunkAuthError(this.entryId, this.index, 'truncated');
      this.open(this.queue.takeContiguous(this.queue.length), true);
      cb();
    } catch (err) {
      cb(err as Error);
    }
  }

  private open(record: Buffer, final: boolean): void {
    const plain = openChunk(this.key, this.entryId, this.index, final, record);
    this.index++;
    if (plain.length > 0) this.push(plain);
  }
}
