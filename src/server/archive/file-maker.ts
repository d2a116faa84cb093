import { Worker } from 'worker_threads';
import { LOWER_PRIORITY } from '../background-thread';
import { fileMakerWorker, META_FIELDS, type MakeReply, type MakeRequest } from './file-maker-worker';

// Small files of a restore are created on a worker thread: opening a new file is the costliest system call of an
// extraction (45 µs each in a profile of 50,000 files, with fchmod, write and close about 80 µs), and on the main
// thread that time is the server not answering. The main thread checks each entry, copies its content, its path and
// its numbers into a batch's buffers and goes on; buffers travel back and forth (transferred, never allocated again).
// A batch holds no object or string per file: the main thread waits on the worker with up to three batches out, and
// per-file objects alive through those waits were promoted to the old generation, about 400 bytes of garbage a file
// that the heap grew by until its next full collection (+80 MB during a 200,000-file staging).

const BUFFERS = 3;
const BUFFER_BYTES = 4 * 1024 * 1024;
/** Files per batch at most. */
const MAX_FILES = 1024;
/** Path bytes per batch (targets and entry paths): 1,024 files of up to 512 bytes each. */
const NAME_BYTES = MAX_FILES * 512;

const SOURCE = `
${LOWER_PRIORITY}
const { parentPort, workerData } = require('worker_threads');
(${fileMakerWorker.toString()})(parentPort, workerData, { fs: require('fs') });
`;

/** A file the worker could not create: its errno code, for the caller to translate. */
export class MakeError extends Error {
  constructor(
    readonly code: string,
    readonly target: string,
    readonly entryPath: string,
    message: string,
  ) {
    super(message);
  }
}

/** One batch's buffers (null while the worker has them). */
interface Batch {
  bytes: ArrayBuffer | null;
  meta: ArrayBuffer | null;
  names: ArrayBuffer | null;
}

/** The batch being filled. */
interface Filling {
  buf: number;
  view: Buffer;
  used: number;
  meta: Uint32Array;
  names: Buffer;
  namesUsed: number;
  count: number;
}

/**
 * Creates files from content handed over with `add` (copied at once: the caller may reuse its buffer), in order.
 * `onCreated`, when given, hears of every file made; `settle()` waits for all of them and throws the first failure.
 */
export class FileMaker {
  static readonly MAX_FILE = BUFFER_BYTES;
  /** A target and entry path longer than this together (UTF-8 bytes) cannot be queued: see fits(). */
  static readonly MAX_NAMES = NAME_BYTES;

  private readonly worker: Worker;
  private readonly batches: Batch[] = [];
  private readonly free: number[] = [];
  /** Batches the worker has. */
  private out = 0;
  private current: Filling | null = null;
  private failed: Error | null = null;
  private waiters: (() => void)[] = [];
  private closing = false;

  constructor(private readonly onCreated: ((target: string) => void) | null = null) {
    for (let i = 0; i < BUFFERS; i++) {
      this.batches.push({
        bytes: new ArrayBuffer(BUFFER_BYTES),
        meta: new ArrayBuffer(MAX_FILES * META_FIELDS * 4),
        names: new ArrayBuffer(NAME_BYTES),
      });
      this.free.push(i);
    }
    this.worker = new Worker(SOURCE, { eval: true });
    this.worker.unref();
    this.worker.on('message', (m: MakeReply) => this.received(m));
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => {
      if (!this.closing) this.fail(new Error(`file maker thread exited with code ${code}`));
    });
  }

  /**
   * Whether add() takes this file: its content and its names fit a batch, and neither name holds a NUL (refused on
   * the synchronous path, where Node rejects such a path before any system call; entry paths with one never get
   * here, safe-path.ts).
   */
  static fits(target: string, entryPath: string, data: Buffer): boolean {
    return (
      data.length <= BUFFER_BYTES &&
      Buffer.byteLength(target) + Buffer.byteLength(entryPath) <= FileMaker.MAX_NAMES &&
      !target.includes('\0') &&
      !entryPath.includes('\0')
    );
  }

  /**
   * Queues `data` as file `target` with `mode`. Answers a promise only when it must wait (every buffer is out), and
   * nothing otherwise: no promise per file, which was a good part of what a restore allocated per small file. Throws
   * an earlier failure.
   */
  add(target: string, entryPath: string, data: Buffer, mode: number): Promise<void> | undefined {
    if (!FileMaker.fits(target, entryPath, data)) throw new RangeError(`"${entryPath}" exceeds the file maker's buffers`);
    if (this.failed) throw this.failed;
    if (this.current && !this.room(this.current, target, entryPath, data)) this.send();
    if (!this.current && this.free.length) this.take();
    if (!this.current) return this.addWhenFree(target, entryPath, data, mode);
    this.queue(target, entryPath, data, mode);
    return undefined;
  }

  private room(c: Filling, target: string, entryPath: string, data: Buffer): boolean {
    if (c.count >= MAX_FILES || c.used + data.length > BUFFER_BYTES) return false;
    // Worst case of UTF-8 (3 bytes a UTF-16 unit) first: the exact count only near the end of the buffer.
    const roomLeft = c.names.length - c.namesUsed;
    return 3 * (target.length + entryPath.length) <= roomLeft || Buffer.byteLength(target) + Buffer.byteLength(entryPath) <= roomLeft;
  }

  private async addWhenFree(target: string, entryPath: string, data: Buffer, mode: number): Promise<void> {
    while (!this.current) {
      if (this.failed) throw this.failed;
      if (this.free.length) {
        this.take();
        break;
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    this.queue(target, entryPath, data, mode);
  }

  private take(): void {
    const buf = this.free.pop()!;
    const b = this.batches[buf];
    this.current = {
      buf,
      view: Buffer.from(b.bytes!),
      used: 0,
      meta: new Uint32Array(b.meta!),
      names: Buffer.from(b.names!),
      namesUsed: 0,
      count: 0,
    };
  }

  private queue(target: string, entryPath: string, data: Buffer, mode: number): void {
    const c = this.current!;
    data.copy(c.view, c.used);
    const at = META_FIELDS * c.count++;
    c.meta[at] = c.used;
    c.meta[at + 1] = data.length;
    c.meta[at + 2] = mode;
    c.namesUsed += c.names.write(target, c.namesUsed, 'utf8');
    c.meta[at + 3] = c.namesUsed;
    c.namesUsed += c.names.write(entryPath, c.namesUsed, 'utf8');
    c.meta[at + 4] = c.namesUsed;
    c.used += data.length;
  }

  /** Sends what is queued and waits until every file is made; throws the first failure. */
  async settle(): Promise<void> {
    if (this.current?.count) this.send();
    while (this.out && !this.failed) await new Promise<void>((resolve) => this.waiters.push(resolve));
    if (this.failed) throw this.failed;
  }

  /** Waits for the batches out (so that everything made has been reported), then stops the thread. */
  async close(): Promise<void> {
    while (this.out) await new Promise<void>((resolve) => this.waiters.push(resolve));
    this.closing = true;
    await this.worker.terminate();
  }

  private send(): void {
    const c = this.current!;
    this.current = null;
    const b = this.batches[c.buf];
    const request: MakeRequest = { buf: c.buf, bytes: b.bytes!, meta: b.meta!, names: b.names!, count: c.count };
    b.bytes = b.meta = b.names = null;
    this.out++;
    this.worker.postMessage(request, [request.bytes, request.meta, request.names]);
  }

  private received({ buf, bytes, meta, names, created, error }: MakeReply): void {
    this.out--;
    this.batches[buf] = { bytes, meta, names };
    this.free.push(buf);
    if (this.onCreated || error) {
      const m = new Uint32Array(meta);
      const n = Buffer.from(names);
      // File i's names start where file i-1's end: its target, then its entry path.
      const namesOf = (i: number) => {
        const at = META_FIELDS * i;
        const start = i ? m[at - 1] : 0;
        return { target: n.toString('utf8', start, m[at + 3]), entryPath: n.toString('utf8', m[at + 3], m[at + 4]) };
      };
      if (this.onCreated) for (let i = 0; i < created; i++) this.onCreated(namesOf(i).target);
      if (error && !this.failed) {
        const f = namesOf(created);
        this.failed = new MakeError(error.code, f.target, f.entryPath, error.message);
      }
    }
    this.wake();
  }

  private fail(err: Error): void {
    if (!this.failed) this.failed = err;
    this.out = 0;
    this.wake();
  }

  private wake(): void {
    const waiting = this.waiters;
    this.waiters = [];
    for (const w of waiting) w();
  }
}
