import type { KeyObject } from 'crypto';
import { Transform, TransformCallback } from 'stream';
import { ByteQueue } from './byte-queue';
import { sealChunk } from './chunk';

/**
 * Plaintext in, chunk records (ciphertext + tag) out. A full chunk is held back until more data or the end
 * arrives, because only then is it known whether it is the final one. Memory: at most one chunk plus one input
 * buffer.
 */
export class EncryptStream extends Transform {
  private readonly queue = new ByteQueue();
  private index = 0;

  constructor(
    private readonly key: KeyObject,
    private readonly entryId: string,
    private readonly chunkSize: number,
  ) {
    super();
  }

  _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      this.queue.push(chunk);
      while (this.queue.length > this.chunkSize) this.seal(this.queue.take(this.chunkSize), false);
      cb();
    } catch (err) {
      cb(err as Error);
    }
  }

  _flush(cb: TransformCallback): void {
    try {
      this.seal(this.queue.take(this.queue.length), true);
      cb();
    } catch (err) {
      cb(err as Error);
    }
  }

  private seal(plain: Buffer[], final: boolean): void {
    // Pushed as they come, not concatenated: a copy of every chunk was the largest source of garbage (and of RSS
    // growth between collections) in an encrypted backup; the ZIP writer's Coalesce gathers the 16-byte tags.
    for (const piece of sealChunk(this.key, this.entryId, this.index, final, plain)) {
      if (piece.length) this.push(piece);
    }
    this.index++;
  }
}
