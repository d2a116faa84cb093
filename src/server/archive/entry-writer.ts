import { createHash } from 'crypto';
import type { Readable } from 'stream';
import { ChunkSealer, sealAll, type CipherParams, type Keyring } from '../crypto';
import { consume } from './consume';
import { storedEntryName } from './layout';
import { sourceFailed } from './source-error';
import type { ZipOut } from './zip-out';

export interface Sealer {
  params: CipherParams;
  keyring: Keyring;
}

/** What was written for one entry: its opaque ZIP name when encrypted, and the size and SHA-256 of its content. */
export interface WrittenEntry {
  stored: string | null;
  size: number;
  sha256: string;
}

const sha256Of = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/**
 * Writes the content of one entry into the ZIP: hashed as it passes and, with a sealer, encrypted under an opaque
 * name (e/000001...). The archive writer calls it for one entry at a time and runs each call as a guarded ZIP write.
 */
export class EntryWriter {
  private storedCount = 0;
  /** Stops the streamed entry in flight (abort, or the output failing under it). */
  private cancelCurrent: ((err: Error) => void) | null = null;

  constructor(
    private readonly zip: ZipOut,
    readonly sealer: Sealer | null,
  ) {}

  /** Makes the streamed entry in flight, if any, fail with `err`. */
  cancel(err: Error): void {
    const cancel = this.cancelCurrent;
    this.cancelCurrent = null;
    cancel?.(err);
  }

  /**
   * An entry whose whole content is at hand: hashed, sealed if need be, and written with its size and CRC. `digest`,
   * when the content was hashed where it was read, saves hashing it again (its CRC only serves a plain entry).
   */
  async known(name: string, data: Buffer, digest?: { crc: number; sha256: string }): Promise<WrittenEntry> {
    const stored = this.sealer ? storedEntryName(++this.storedCount) : null;
    const sha256 = digest ? digest.sha256 : sha256Of(data);
    if (stored && this.sealer) {
      await this.zip.addKnown(stored, sealAll(this.sealer.keyring.entryKey(stored), stored, this.sealer.params.chunkSize, data));
    } else {
      await this.zip.addKnown(name, [data], digest?.crc);
    }
    return { stored, size: data.length, sha256 };
  }

  /** An entry streamed from `readable` (hashed as it passes, sealed chunk by chunk when encrypting). */
  async streamed(name: string, readable: Readable, onProgress?: (bytes: number) => void): Promise<WrittenEntry> {
    const stored = this.sealer ? storedEntryName(++this.storedCount) : null;
    const zipName = stored ?? name;
    const hash = createHash('sha256');
    let size = 0;
    const sealer = this.sealer
      ? new ChunkSealer(this.sealer.keyring.entryKey(zipName), zipName, this.sealer.params.chunkSize)
      : null;
    const entry = await this.zip.beginStreamed(zipName);
    try {
      await consume(
        readable,
        async (chunk) => {
          hash.update(chunk);
          size += chunk.length;
          onProgress?.(size);
          if (!sealer) return entry.data(chunk);
          for (const piece of sealer.push(chunk)) await entry.data(piece);
        },
        (err) => sourceFailed(name, err),
        (cancel) => (this.cancelCurrent = cancel),
      );
    } finally {
      this.cancelCurrent = null;
    }
    if (sealer) for (const piece of sealer.end()) await entry.data(piece);
    await entry.end();
    return { stored, size, sha256: hash.digest('hex') };
  }
}
