import { Worker } from 'worker_threads';
import { LOWER_PRIORITY } from '../background-thread';
import { fileMakerWorker, type FileToMake, type MakeReply } from './file-maker-worker';

// Small files of a restore are created on a worker thread: opening a new file is the costliest system call of an
// extraction (45 µs each in a profile of 50,000 files, with fchmod, write and close about 80 µs), and on the main
// thread that time is the server not answering. The main thread checks each entry, copies its content into a batch
// buffer and goes on; buffers travel back and forth (transferred, never allocated again).

const BUFFERS = 3;
const BUFFER_BYTES = 4 * 1024 * 1024;
/** Files per batch at most. */
const MAX_FILES = 1024;

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

interface Pending {
  files: (FileToMake & { entryPath: string })[];
}

/**
 * Creates files from content handed over with `add` (copied at once: the caller may reuse its buffer), in order.
 * `onCreated` hears of every file made; `settle()` waits for all of them and throws the first failure.
 */
export class FileMaker {
  static readonly MAX_FILE = BUFFER_BYTES;

  private readonly worker: Worker;
  private readonly bytes: (ArrayBuffer | null)[] = [];
  private readonly free: number[] = [];
  private readonly sent = new Map<number, Pending>();
  private current: { buf: number; view: Buffer; used: number; files: Pending['files'] } | null = null;
  private failed: Error | null = null;
  private waiters: (() => void)[] = [];
  private closing = false;

  constructor(private readonly onCreated: (target: string) => void) {
    for (let i = 0; i < BUFFERS; i++) {
      this.bytes.push(new ArrayBuffer(BUFFER_BYTES));
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
   * Queues `data` as file `target` with `mode`. Answers a promise only when it must wait (every buffer is out), and
   * nothing otherwise: no promise per file, which was a good part of what a restore allocated per small file. Throws
   * an earlier failure.
   */
  add(target: string, entryPath: string, data: Buffer, mode: number): Promise<void> | undefined {
    if (data.length > BUFFER_BYTES) throw new RangeError(`${data.length} bytes exceed the file maker's buffer`);
    if (this.failed) throw this.failed;
    if (this.current && (this.current.used + data.length > BUFFER_BYTES || this.current.files.length >= MAX_FILES)) this.send();
    if (!this.current && this.free.length) this.take();
    if (!this.current) return this.addWhenFree(target, entryPath, data, mode);
    this.queue(target, entryPath, data, mode);
    return undefined;
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
    this.current = { buf, view: Buffer.from(this.bytes[buf]!), used: 0, files: [] };
  }

  private queue(target: string, entryPath: string, data: Buffer, mode: number): void {
    const c = this.current!;
    data.copy(c.view, c.used);
    c.files.push({ target, entryPath, off: c.used, len: data.length, mode });
    c.used += data.length;
  }

  /** Sends what is queued and waits until every file is made; throws the first failure. */
  async settle(): Promise<void> {
    if (this.current?.files.length) this.send();
    while (this.sent.size && !this.failed) await new Promise<void>((resolve) => this.waiters.push(resolve));
    if (this.failed) throw this.failed;
  }

  /** Waits for the batches out (so that everything made has been reported), then stops the thread. */
  async close(): Promise<void> {
    while (this.sent.size) await new Promise<void>((resolve) => this.waiters.push(resolve));
    this.closing = true;
    await this.worker.terminate();
  }

  private send(): void {
    const c = this.current!;
    this.current = null;
    const bytes = this.bytes[c.buf]!;
    this.bytes[c.buf] = null;
    this.sent.set(c.buf, { files: c.files });
    this.worker.postMessage({ buf: c.buf, bytes, files: c.files.map(({ target, off, len, mode }) => ({ target, off, len, mode })) }, [bytes]);
  }

  private received({ buf, bytes, created, error }: MakeReply): void {
    const { files } = this.sent.get(buf)!;
    this.sent.delete(buf);
    this.bytes[buf] = bytes;
    this.free.push(buf);
    for (let i = 0; i < created; i++) this.onCreated(files[i].target);
    if (error && !this.failed) {
      const f = files[created];
      this.failed = new MakeError(error.code, f.target, f.entryPath, error.message);
    }
    this.wake();
  }

  private fail(err: Error): void {
    if (!this.failed) this.failed = err;
    this.sent.clear();
    this.wake();
  }

  private wake(): void {
    const waiting = this.waiters;
    this.waiters = [];
    for (const w of waiting) w();
  }
}
