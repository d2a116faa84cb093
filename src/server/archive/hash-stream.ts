import { createHash, Hash } from 'crypto';
import { Transform, TransformCallback } from 'stream';

export interface HashStreamOptions {
  /** Fail with a HashLimitError as soon as more than this many bytes pass (never buffers to find out). */
  limit?: number;
  /** Called with the running byte count after every chunk. */
  onProgress?: (bytes: number) => void;
}

export class HashLimitError extends Error {
  readonly code = 'HASH_LIMIT_EXCEEDED';
  constructor(
    readonly limit: number,
    readonly seen: number,
  ) {
    super(`More than ${limit} bytes (at least ${seen})`);
    this.name = 'HashLimitError';
  }
}

/**
 * Pass-through Transform that counts bytes and computes SHA-256 of what flows through it.
 * `sha256` is available once the stream has flushed (after 'end' / 'finish' on the readable side).
 */
export class HashStream extends Transform {
  private readonly hash: Hash = createHash('sha256');
  private readonly limit?: number;
  private readonly onProgress?: (bytes: number) => void;
  private _bytes = 0;
  private _digest: string | null = null;

  constructor(opts: HashStreamOptions = {}) {
    super();
    this.limit = opts.limit;
    this.onProgress = opts.onProgress;
  }

  /** Bytes seen so far. */
  get bytes(): number {
    return this._bytes;
  }

  /** Hex SHA-256; throws before the stream has flushed. */
  get sha256(): string {
    if (this._digest === null) throw new Error('HashStream: digest read before the stream ended');
    return this._digest;
  }

  get done(): boolean {
    return this._digest !== null;
  }

  _transform(chunk: Buffer | string, encoding: BufferEncoding, cb: TransformCallback): void {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk;
    this._bytes += buf.length;
    if (this.limit !== undefined && this._bytes > this.limit) {
      cb(new HashLimitError(this.limit, this._bytes));
      return;
    }
    this.hash.update(buf);
    if (this.onProgress) this.onProgress(this._bytes);
    cb(null, buf);
  }

  _flush(cb: TransformCallback): void {
    this._digest = this.hash.digest('hex');
    cb();
  }
}

/** SHA-256 of an empty input. */
export const EMPTY_SHA256 = createHash('sha256').digest('hex');
