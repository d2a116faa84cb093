import { Transform, TransformCallback } from 'stream';

/**
 * Gathers the many small writes archiver makes (each header field is its own chunk) into larger ones, so that
 * thousands of small files do not cost a syscall per field. Large chunks pass through untouched.
 */
export class Coalesce extends Transform {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(
    private readonly passThrough: number,
    private readonly limit: number,
  ) {
    super();
  }

  _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (chunk.length >= this.passThrough) {
      this.drainPending();
      cb(null, chunk);
      return;
    }
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes >= this.limit) this.drainPending();
    cb();
  }

  _flush(cb: TransformCallback): void {
    this.drainPending();
    cb();
  }

  private drainPending(): void {
    if (this.pendingBytes === 0 && this.pending.length === 0) return;
    const buf = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    this.push(buf);
  }
}
