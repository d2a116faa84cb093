/**
 * A FIFO of buffers that hands out exact byte counts. Chunk boundaries of the cipher never line up with the
 * boundaries of the incoming stream; this keeps references to the incoming buffers instead of copying them.
 */
export class ByteQueue {
  private parts: Buffer[] = [];
  private _length = 0;

  get length(): number {
    return this._length;
  }

  push(buf: Buffer): void {
    if (buf.length === 0) return;
    this.parts.push(buf);
    this._length += buf.length;
  }

  /** The first n bytes (n ≤ length) as slices of the queued buffers: no copy. */
  take(n: number): Buffer[] {
    if (n > this._length) throw new RangeError(`ByteQueue: ${n} bytes asked, ${this._length} queued`);
    const out: Buffer[] = [];
    let left = n;
    while (left > 0) {
      const head = this.parts[0];
      if (head.length <= left) {
        out.push(head);
        this.parts.shift();
        left -= head.length;
      } else {
        out.push(head.subarray(0, left));
        this.parts[0] = head.subarray(left);
        left = 0;
      }
    }
    this._length -= n;
    return out;
  }

  /** The first n bytes as one buffer (copied only when they span several queued buffers). */
  takeContiguous(n: number): Buffer {
    const parts = this.take(n);
    return parts.length === 1 ? parts[0] : Buffer.concat(parts, n);
  }
}
