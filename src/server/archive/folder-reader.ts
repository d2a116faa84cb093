import { Worker } from 'worker_threads';
import { folderReaderWorker, type BatchReply, type FoundItem } from './folder-reader-worker';

// A folder of uploads is walked and read on a worker thread, small files hashed there too; the main thread only
// writes what comes back. With tens of thousands of files the per-file work was the backup's cost: in a CPU profile
// of 50,000 files of 2 KB packed on the main thread with reads on a worker, the main thread spent 0.5 s listing
// folders, 0.44 s hashing and as much again collecting the promises and objects of an asynchronous walk. Contents
// travel in a few buffers that go back and forth (transferred, never copied or allocated again: a backup's size
// churned through external memory sets off full garbage collections in a server's large heap).

const BUFFERS = 3;
const BUFFER_BYTES = 4 * 1024 * 1024;
/** Items per answer at most: bounds one message and how long the main thread works on it. */
const MAX_ITEMS = 2048;

const SOURCE = `
const { parentPort, workerData } = require('worker_threads');
(${folderReaderWorker.toString()})(parentPort, workerData, {
  fs: require('fs'), path: require('path'), crypto: require('crypto'), zlib: require('zlib'),
});
`;

/** A batch of walked items; `data` holds the contents of its 'data' items. Valid until `release()`. */
export interface Batch {
  items: FoundItem[];
  data: Buffer;
  release(): void;
}

/**
 * Answers the items under `root` in walk order, batch by batch; the worker reads the next batches meanwhile (one
 * request out at a time, so the order holds). `next()` answers null when the walk is over.
 */
export class FolderReader {
  private readonly worker: Worker;
  private readonly bytes: (ArrayBuffer | null)[] = [];
  private readonly free: number[] = [];
  private readonly ready: BatchReply[] = [];
  private inFlight = false;
  private over = false;
  private waiter: (() => void) | null = null;
  private failed: Error | null = null;
  private closing = false;

  constructor(root: string, inlineMax: number) {
    // Every file the worker inlines must fit an empty buffer, or an answer could come back with nothing taken.
    if (inlineMax > BUFFER_BYTES) throw new RangeError(`inlineMax ${inlineMax} exceeds the folder reader's buffer`);
    for (let i = 0; i < BUFFERS; i++) {
      this.bytes.push(new ArrayBuffer(BUFFER_BYTES));
      this.free.push(i);
    }
    this.worker = new Worker(SOURCE, { eval: true, workerData: { root, inlineMax, maxItems: MAX_ITEMS } });
    this.worker.unref();
    this.worker.on('message', (m: BatchReply) => this.received(m));
    this.worker.on('error', (err) => {
      this.failed = err;
      this.wake();
    });
    this.worker.on('exit', (code) => {
      if (this.closing) return;
      this.failed = this.failed ?? new Error(`folder reader thread exited with code ${code}`);
      this.wake();
    });
    this.send();
  }

  async next(): Promise<Batch | null> {
    while (!this.ready.length) {
      if (this.failed) throw this.failed;
      if (this.over && !this.inFlight) return null;
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
    const { buf, bytes, items } = this.ready.shift()!;
    let released = false;
    return {
      items,
      data: Buffer.from(bytes),
      release: () => {
        if (released) return;
        released = true;
        this.bytes[buf] = bytes;
        this.free.push(buf);
        this.send();
      },
    };
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.worker.terminate();
  }

  private send(): void {
    if (this.inFlight || this.over || !this.free.length) return;
    const buf = this.free.pop()!;
    const bytes = this.bytes[buf]!;
    this.bytes[buf] = null;
    this.inFlight = true;
    this.worker.postMessage({ buf, bytes }, [bytes]);
  }

  private received(reply: BatchReply): void {
    this.inFlight = false;
    if (reply.done) this.over = true;
    this.ready.push(reply);
    this.send();
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }
}
