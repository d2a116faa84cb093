import os from 'os';
import { Worker } from 'worker_threads';
import { LOWER_PRIORITY } from '../background-thread';
import { fileReaderWorker, type ReadReply, type ReadRequest } from './file-reader-worker';
import { folderWalkerWorker, type WalkItem, type WalkReply } from './folder-walker-worker';

// A folder of uploads is walked on one worker thread and its small files read and hashed on others (two on a machine
// with two cores); the main thread only writes what comes back, in walk order. With tens of thousands of files the
// per-file work is the backup's cost: in a CPU profile of 50,000 files of 2 KB, one thread doing the walk, the reads
// and both hashes was busy 1.87 s while the main thread was idle two thirds of the time. Contents travel in a few
// buffers that go back and forth (transferred, never copied or allocated again: a backup's size churned through
// external memory sets off full garbage collections in a server's large heap).

/** An item of the walk that is not a file: entering or leaving a folder, an item left out, an error. */
export type FoundItem = WalkItem;

/** What the readers found of a run of listed files: for each of its `count` files, FIELDS numbers in meta. */
export interface FileRun {
  /** File i's path relative to the root (a new string each call: the run keeps bytes, not strings). */
  rel(i: number): string;
  count: number;
  meta: Uint32Array;
  /** The SHA-256 (64 hex characters) of each FILE_DATA file, in order. */
  sha: string;
  /** Each FILE_ERROR file's errno and message, in order. */
  errors: { code: string; message: string }[];
}

/**
 * A batch of the walk: its items that are not files, then its files (they always come in that order); `data` holds
 * the contents of its FILE_DATA files. Valid until `release()`.
 */
export interface Batch {
  items: FoundItem[];
  files: FileRun | null;
  data: Buffer;
  release(): void;
}

const BUFFER_BYTES = 4 * 1024 * 1024;
/** Items per walk answer at most: bounds one message and how far the walk runs ahead. */
const WALK_ITEMS = 2048;
/** Files per read request at most: small enough that two readers share a folder, large enough to pay the message. */
const JOB_FILES = 256;
/** Segments waiting to be delivered before the walk is asked for more. */
const AHEAD = 16;

const WALKER = `
${LOWER_PRIORITY}
const { parentPort, workerData } = require('worker_threads');
(${folderWalkerWorker.toString()})(parentPort, workerData, { fs: require('fs'), path: require('path') });
`;
const READER = `
${LOWER_PRIORITY}
const { parentPort, workerData } = require('worker_threads');
(${fileReaderWorker.toString()})(parentPort, workerData, { fs: require('fs'), crypto: require('crypto'), zlib: require('zlib') });
`;

/** Reader threads: one per core, two at most (the main thread and the database dump need the rest). */
export function readerCount(): number {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(2, cores));
}

/** The files of one answer of the walk, as it sent them: paths as UTF-8 bytes and their ends. */
interface Listed {
  names: Buffer;
  ends: Uint32Array;
}

/**
 * A run of the walk: items that are not files, then up to JOB_FILES files (files [first, first + files) of `listed`),
 * which one reader reads. A request whose buffer filled up answers part of the files: the rest becomes the next
 * segment (the same files, from `from` on).
 */
interface Segment {
  id: number;
  lead: FoundItem[];
  listed: Listed | null;
  first: number;
  files: number;
  from: number;
  state: 'waiting' | 'reading' | 'ready';
  reply: ReadReply | null;
}

/**
 * Answers the items under `root` in walk order, batch by batch, while the walk and the reads go on ahead. Requests are
 * sent in walk order, so the first segment waiting always gets the next free reader and buffer: the one the caller
 * waits for is never starved by those after it. `next()` answers null when the walk is over.
 */
export class FolderReader {
  private readonly walker: Worker;
  private readonly readers: Worker[] = [];
  private readonly idle: number[] = [];
  private readonly bytes: (ArrayBuffer | null)[] = [];
  private readonly free: number[] = [];
  private readonly segments: Segment[] = [];
  private readonly reading = new Map<number, Segment>();
  private nextId = 0;
  private walking = false;
  private walked = false;
  private waiter: (() => void) | null = null;
  private failed: Error | null = null;
  private closing = false;

  constructor(root: string, inlineMax: number, readers = readerCount()) {
    // Every file a reader inlines must fit an empty buffer, or an answer could come back with nothing taken.
    if (inlineMax > BUFFER_BYTES) throw new RangeError(`inlineMax ${inlineMax} exceeds the folder reader's buffer`);
    // Two buffers more than readers: the caller holds one and the next waits ready while every reader fills one.
    for (let i = 0; i < readers + 2; i++) {
      this.bytes.push(new ArrayBuffer(BUFFER_BYTES));
      this.free.push(i);
    }
    this.walker = this.start(WALKER, { root, maxItems: WALK_ITEMS }, (m: WalkReply) => this.walkedSome(m));
    for (let i = 0; i < readers; i++) {
      this.readers.push(this.start(READER, { root, inlineMax }, (m: ReadReply) => this.read(i, m)));
      this.idle.push(i);
    }
    this.pump();
  }

  async next(): Promise<Batch | null> {
    for (;;) {
      if (this.failed) throw this.failed;
      const head = this.segments[0];
      if (head?.state === 'ready') {
        this.segments.shift();
        return this.batchOf(head);
      }
      if (!head && this.walked) return null;
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all([this.walker, ...this.readers].map((w) => w.terminate()));
  }

  private start<T>(source: string, workerData: unknown, onMessage: (m: T) => void): Worker {
    const worker = new Worker(source, { eval: true, workerData });
    worker.unref();
    worker.on('message', onMessage);
    worker.on('error', (err) => this.fail(err));
    worker.on('exit', (code) => {
      if (!this.closing) this.fail(new Error(`folder reader thread exited with code ${code}`));
    });
    return worker;
  }

  private batchOf(seg: Segment): Batch {
    const reply = seg.reply;
    let released = false;
    const { listed, first, from } = seg;
    return {
      items: seg.lead,
      files:
        reply && listed
          ? {
              rel: (i: number) => {
                const k = first + from + i;
                return listed.names.toString('utf8', k ? listed.ends[k - 1] : 0, listed.ends[k]);
              },
              count: reply.to - from,
              meta: reply.meta,
              sha: reply.sha,
              errors: reply.errors,
            }
          : null,
      data: reply ? Buffer.from(reply.bytes) : Buffer.alloc(0),
      release: () => {
        if (released || !reply) return;
        released = true;
        this.bytes[reply.buf] = reply.bytes;
        this.free.push(reply.buf);
        this.pump();
      },
    };
  }

  /** Asks the walk for more while few segments wait, and sends the first waiting segments to free readers. */
  private pump(): void {
    if (this.failed || this.closing) return;
    if (!this.walking && !this.walked && this.segments.length < AHEAD) {
      this.walking = true;
      this.walker.postMessage(null);
    }
    for (const seg of this.segments) {
      if (!this.idle.length || !this.free.length) break;
      if (seg.state !== 'waiting') continue;
      const reader = this.idle.shift()!;
      const buf = this.free.pop()!;
      const bytes = this.bytes[buf]!;
      this.bytes[buf] = null;
      seg.state = 'reading';
      this.reading.set(seg.id, seg);
      const { names, ends } = runNames(seg);
      const request: ReadRequest = { id: seg.id, buf, bytes, names, ends, from: seg.from };
      this.readers[reader].postMessage(request, [bytes, names.buffer as ArrayBuffer, ends.buffer as ArrayBuffer]);
    }
  }

  private walkedSome(reply: WalkReply): void {
    this.walking = false;
    if (reply.done) this.walked = true;
    const listed: Listed = { names: Buffer.from(reply.names.buffer, reply.names.byteOffset, reply.names.length), ends: reply.ends };
    // Assigned in segment() too: typed so that the checks below are not narrowed to its first value.
    let cur = null as Segment | null;
    const segment = (): Segment => {
      const seg: Segment = { id: this.nextId++, lead: [], listed: null, first: 0, files: 0, from: 0, state: 'ready', reply: null };
      this.segments.push(seg);
      return (cur = seg);
    };
    // Files [f, end) of the answer, in segments of up to JOB_FILES (a segment's files are consecutive).
    let f = 0;
    const filesUpTo = (end: number) => {
      while (f < end) {
        const seg = cur && cur.files < JOB_FILES ? cur : segment();
        if (!seg.files) Object.assign(seg, { listed, first: f, state: 'waiting' });
        const take = Math.min(end - f, JOB_FILES - seg.files);
        seg.files += take;
        f += take;
      }
    };
    for (const item of reply.items) {
      filesUpTo(item.at);
      // An item after files comes after them: it leads a new segment.
      const seg = cur && !cur.files ? cur : segment();
      seg.lead.push(item);
    }
    filesUpTo(reply.ends.length);
    this.pump();
    this.wake();
  }

  private read(reader: number, reply: ReadReply): void {
    this.idle.push(reader);
    const seg = this.reading.get(reply.id);
    this.reading.delete(reply.id);
    if (!seg) return;
    seg.state = 'ready';
    seg.reply = reply;
    if (reply.to < seg.files) {
      // The buffer filled up: the rest of the files is read next, before any later segment is answered.
      const rest: Segment = { ...seg, id: this.nextId++, lead: [], from: reply.to, state: 'waiting', reply: null };
      this.segments.splice(this.segments.indexOf(seg) + 1, 0, rest);
    }
    this.pump();
    this.wake();
  }

  private fail(err: Error): void {
    this.failed = this.failed ?? err;
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }
}

/** A segment's paths for a reader: a copy of their bytes, and their ends counted from the first. */
function runNames(seg: Segment): { names: Uint8Array; ends: Uint32Array } {
  const { names, ends } = seg.listed!;
  const base = seg.first ? ends[seg.first - 1] : 0;
  const own = ends.slice(seg.first, seg.first + seg.files);
  for (let i = 0; i < own.length; i++) own[i] -= base;
  return { names: new Uint8Array(names.subarray(base, base + own[own.length - 1])), ends: own };
}
