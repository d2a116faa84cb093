import type { KeyObject } from 'crypto';
import { ByteQueue } from './byte-queue';
import { sealChunk } from './chunk';

/**
 * The chunking of one encrypted entry, synchronous: plaintext pieces in, sealed records out. A full chunk is held
 * back until more data or the end arrives, because only then is it known whether it is the final one. Used by
 * EncryptStream and directly by the archive writer, which seals a small file in one call without a stream.
 */
export class ChunkSealer {
  private readonly queue = new ByteQueue();
  private index = 0;

  constructor(
    private readonly key: KeyObject,
    private readonly entryId: string,
    private readonly chunkSize: number,
  ) {}

  /** Records for every chunk now known not to be the last (ciphertext pieces and tags, in order). */
  push(plain: Buffer): Buffer[] {
    this.queue.push(plain);
    const out: Buffer[] = [];
    while (this.queue.length > this.chunkSize) this.seal(this.queue.take(this.chunkSize), false, out);
    return out;
  }

  /** The final chunk (empty for an empty entry: it still has one chunk, so cutting it off is detected). */
  end(): Buffer[] {
    const out: Buffer[] = [];
    this.seal(this.queue.take(this.queue.length), true, out);
    return out;
  }

  private seal(plain: Buffer[], final: boolean, out: Buffer[]): void {
    // Pieces, not concatenated: a copy of every chunk was the largest source of garbage in an encrypted backup.
    for (const piece of sealChunk(this.key, this.entryId, this.index, final, plain)) if (piece.length) out.push(piece);
    this.index++;
  }
}

/** A whole (small) plaintext sealed at once: the same records EncryptStream makes of it. */
export function sealAll(key: KeyObject, entryId: string, chunkSize: number, plain: Buffer): Buffer[] {
  const sealer = new ChunkSealer(key, entryId, chunkSize);
  return [...sealer.push(plain), ...sealer.end()];
}
