import { Transform, TransformCallback } from 'stream';

/**
 * Gathers the many small writes archiver makes (each header field is its own chunk) into larger ones, so that
 * thousands of small files do not cost a syscall per field. Large chunks pass through untouched.
 *
 * Small chunks are copied into a staging buffer as they arrive rather than kept until it is full: with tens of
 * thousands of small files, holding on to every tiny header Buffer for a few hundred milliseconds got them promoted
 * to V8's old space, whose garbage made the server's RSS grow by hundreds of MB during a backup.
 */
export class Coalesce extends Transform {
  private buf: Buffer;
  private used = 0;

  constructor(
    private readonly passThrough: number,
    private readonly limit: number,
  ) {
    super();
    this.buf = Buffer.allocUnsafe(limit);
  }

  _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (chunk.length >= this.passThrough) {
      this.drainPending();
      cb(null, chunk);
      return;
    }
    if (this.used + chunk.length > this.limit) this.drainPending();
    chunk.copy(this.buf, this.used);
    this.used += chunk.length;
    if (this.used >= this.limit) this.drainPending();
    cb();
  }

  _flush(cb: TransformCallback): void {
    this.drainPending();
    cb();
  }

  private drainPending(): void {
    if (this.used === 0) return;
    if (this.used < this.limit / 4) {
      // A little: copy it out and keep the staging buffer.
      this.push(Buffer.from(this.buf.subarray(0, this.used)));
    } else {
      // Handed over (the consumer may hold it until written): start a new staging buffer.
      this.push(this.buf.subarray(0, this.used));
      this.buf = Buffer.allocUnsafe(this.limit);
    }
    this.used = 0;
  }
}
