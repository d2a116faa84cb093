import { Worker } from 'worker_threads';
import type { LoadedFile } from './file-loader';

// Small files read on the second core. Packing tens of thousands of uploads is bound by four system calls per file
// (open, fstat, read, close: about 27 µs of a 2 KB file's 37 µs in a profile of 50,000 files); a worker thread makes
// them while the main thread hashes and writes the files read before. Contents travel in a few megabyte buffers that
// go back and forth (transferred, never copied or allocated again): a backup's size churned through external memory
// sets off full garbage collections in a server's large heap.

const BUFFERS = 3;
const BUFFER_BYTES = 1024 * 1024;
/** Paths sent with one buffer; the worker stops early when the buffer is full. */
const BATCH = 512;

/** A file as the worker found it: contents in a buffer, too large to inline (the caller opens it), or an errno. */
type Found =
  | { kind: 'data'; buf: number; off: number; len: number; mode: number }
  | { kind: 'large'; mode: number }
  | { kind: 'error'; code: string; message: string };

interface Reply {
  buf: number;
  bytes: ArrayBuffer;
  found: Found[];
}

/**
 * The worker: reads the paths of a request into the buffer that came with it (never following a symlink, never
 * blocking on a FIFO) and sends both back; a file that no longer fits ends the request (the rest come again).
 */
const WORKER_SOURCE = `
const fs = require('fs');
const { parentPort, workerData } = require('worker_threads');
const FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW || 0) | (fs.constants.O_NONBLOCK || 0);
parentPort.on('message', ({ buf, bytes, paths }) => {
  const found = [];
  let off = 0;
  for (const p of paths) {
    let fd = -1;
    try {
      fd = fs.openSync(p, FLAGS);
      const st = fs.fstatSync(fd);
      const mode = st.mode & 0o7777;
      if (!st.isFile()) { found.push({ kind: 'error', code: 'NOT_REGULAR', message: p + ' is not a regular file' }); continue; }
      if (st.size > workerData.inlineMax) { found.push({ kind: 'large', mode }); continue; }
      if (off + st.size > bytes.byteLength) break;
      const view = new Uint8Array(bytes, off, st.size);
      let got = 0;
      while (got < st.size) {
        const n = fs.readSync(fd, view, got, st.size - got, got);
        if (n === 0) break;
        got += n;
      }
      found.push({ kind: 'data', buf, off, len: got, mode });
      off += got;
    } catch (err) {
      found.push({ kind: 'error', code: String(err && err.code), message: String(err && err.message) });
    } finally {
      if (fd >= 0) fs.closeSync(fd);
    }
  }
  parentPort.postMessage({ buf, bytes, found }, [bytes]);
});
`;

/**
 * Reads small files ahead on a worker thread, answering them in the order they were asked for. What `next` answers
 * for an inlined file is a view of a buffer: valid until its `done()` is called. One request is out at a time, so
 * the order holds; the main thread works through the buffers that came back meanwhile.
 */
export class ReadAhead {
  private readonly worker: Worker;
  private readonly bytes: (ArrayBuffer | null)[] = [];
  private readonly inUse: number[] = [];
  private readonly free: number[] = [];
  private readonly waiting: string[] = [];
  private waitingAt = 0;
  private readonly results: Found[] = [];
  private resultsAt = 0;
  private inFlight: string[] | null = null;
  private waiter: (() => void) | null = null;
  private failed: Error | null = null;

  private closing = false;

  constructor(inlineMax: number) {
    // Every file the worker inlines must fit an empty buffer, or a request could come back with nothing taken.
    if (inlineMax > BUFFER_BYTES) throw new RangeError(`inlineMax ${inlineMax} exceeds the read-ahead buffer`);
    for (let i = 0; i < BUFFERS; i++) {
      this.bytes.push(new ArrayBuffer(BUFFER_BYTES));
      this.inUse.push(0);
      this.free.push(i);
    }
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { inlineMax } });
    this.worker.unref();
    this.worker.on('message', (m: Reply) => this.received(m));
    this.worker.on('error', (err) => {
      this.failed = err;
      this.wake();
    });
    this.worker.on('exit', (code) => {
      if (this.closing) return;
      this.failed = this.failed ?? new Error(`file reader thread exited with code ${code}`);
      this.wake();
    });
  }

  /** Paths to read, in the order `next` will answer them. */
  ask(paths: readonly string[]): void {
    for (const p of paths) this.waiting.push(p);
    this.send();
  }

  /** The next file asked for; an errno failure is thrown as fs would have thrown it (with its code). */
  async next(): Promise<{ loaded: LoadedFile | null; done: () => void }> {
    while (this.resultsAt === this.results.length) {
      if (this.failed) throw this.failed;
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
    const f = this.results[this.resultsAt++];
    if (this.resultsAt > 4096 && this.resultsAt * 2 > this.results.length) {
      this.results.splice(0, this.resultsAt);
      this.resultsAt = 0;
    }
    if (f.kind === 'error') throw Object.assign(new Error(f.message), { code: f.code });
    if (f.kind === 'large') return { loaded: null, done: () => undefined };
    const data = Buffer.from(this.bytes[f.buf]!, f.off, f.len);
    return { loaded: { kind: 'data', data, mode: f.mode }, done: () => this.release(f.buf) };
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.worker.terminate();
  }

  private send(): void {
    if (this.inFlight || !this.free.length || this.waitingAt === this.waiting.length) return;
    const buf = this.free.pop()!;
    const paths = this.waiting.slice(this.waitingAt, this.waitingAt + BATCH);
    this.waitingAt += paths.length;
    if (this.waitingAt > 4096 && this.waitingAt * 2 > this.waiting.length) {
      this.waiting.splice(0, this.waitingAt);
      this.waitingAt = 0;
    }
    const bytes = this.bytes[buf]!;
    this.bytes[buf] = null;
    this.inFlight = paths;
    this.worker.postMessage({ buf, bytes, paths }, [bytes]);
  }

  private received({ buf, bytes, found }: Reply): void {
    const sent = this.inFlight!;
    this.inFlight = null;
    this.bytes[buf] = bytes;
    // Paths the full buffer did not take go first in the next request.
    if (found.length < sent.length) {
      const rest = sent.slice(found.length);
      this.waiting.splice(this.waitingAt, 0, ...rest);
    }
    let data = 0;
    for (const f of found) {
      this.results.push(f);
      if (f.kind === 'data') data += 1;
    }
    this.inUse[buf] = data;
    if (data === 0) this.free.push(buf);
    this.send();
    this.wake();
  }

  private release(buf: number): void {
    if (--this.inUse[buf] === 0) {
      this.free.push(buf);
      this.send();
    }
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }
}
