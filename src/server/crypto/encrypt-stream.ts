import type { KeyObject } from 'crypto';
import { Transform, TransformCallback } from 'stream';
import { ChunkSealer } from './chunk-sealer';

/**
 * Plaintext in, chunk records (ciphertext + tag) out, through ChunkSealer. Memory: at most one chunk plus one input
 * buffer.
 */
export class EncryptStream extends Transform {
  private readonly sealer: ChunkSealer;

  constructor(key: KeyObject, entryId: string, chunkSize: number) {
    super();
    this.sealer = new ChunkSealer(key, entryId, chunkSize);
  }

  _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      for (const piece of this.sealer.push(chunk)) this.push(piece);
      cb();
    } catch (err) {
      cb(err as Error);
    }
  }

  _flush(cb: TransformCallback): void {
    try {
      for (const piece of this.sealer.end()) this.push(piece);
      cb();
    } catch (err) {
      cb(err as Error);
    }
  }
}
