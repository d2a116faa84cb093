import { TimeSlice } from '../time-slice';
import { EntryCollector, type PackHint } from './packed-entries';

// manifest.json as JSON.parse reads it, without holding the event loop: the manifest of 500,000 files is about 70 MB,
// and turning it into a string then parsing it held the server for 1.6 s. The writer puts `entries` last, each entry
// a flat object (manifest-pieces.ts): the head is parsed alone, then the entries one by one, in time slices. Any
// text of another shape (entries not last, nested values in an entry, a second `entries` key...) is parsed whole by
// JSON.parse: the answer is always JSON.parse's, only the time it holds the thread differs.

const MARKER = Buffer.from(',"entries":[');
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN = 0x7b; // {
const CLOSE = 0x7d; // }
const OPEN_ARRAY = 0x5b; // [
const CLOSE_ARRAY = 0x5d; // ]
const COMMA = 0x2c;

const isSpace = (b: number) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;

/** Thrown inside the fast path when the text is not of the writer's shape: JSON.parse decides instead. */
const NOT_THE_SHAPE = Symbol('not the writer shape');

/** JSON.parse(buf.toString('utf8')), with a manifest's entries parsed in slices. Throws what JSON.parse throws. */
export function parseManifestJson(buf: Buffer): Promise<unknown> {
  // In views of the buffer: the parser copies what it reads into a buffer of its own, a piece at a time.
  const pieces = function* () {
    for (let at = 0; at < buf.length; at += 256 * 1024) yield buf.subarray(at, at + 256 * 1024);
  };
  return parseManifestJsonChunks(pieces(), async () => buf);
}

/**
 * parseManifestJson of the bytes `chunks` yields, without ever holding them whole: bytes are let go as their entries
 * are parsed (a manifest of 500,000 files is about 80 MB of text beside the entries made of it). Any other shape is
 * parsed by JSON.parse of `whole()` (the same bytes, read again). Errors of the source (a read, a CRC, a decryption)
 * are thrown as they come: a source checks its bytes at its end, and the chunks are always read to their end.
 */
export async function parseManifestJsonChunks(
  chunks: AsyncIterable<Buffer> | Iterable<Buffer>,
  whole: () => Promise<Buffer>,
  opts: ParseOptions = {},
): Promise<unknown> {
  try {
    return await parseStreamed(chunks, opts.packEntries === true, opts.packHint);
  } catch (err) {
    if (err !== NOT_THE_SHAPE) throw err;
    return JSON.parse((await whole()).toString('utf8'));
  }
}

export interface ParseOptions {
  /** Entries of the writer's shape held packed (packed-entries.ts): a restore's manifest, held for its whole run. */
  packEntries?: boolean;
  /** What the archive's central directory says of the entries to come. */
  packHint?: PackHint;
}

async function parseStreamed(chunks: AsyncIterable<Buffer> | Iterable<Buffer>, pack: boolean, hint?: PackHint): Promise<unknown> {
  const source = Symbol.asyncIterator in chunks ? chunks[Symbol.asyncIterator]() : toAsync(chunks[Symbol.iterator]());
  // `buf` is the bytes not yet parsed (with at most one entry's worth before `i`), in the parser's own buffer: every
  // chunk is copied in after what is left, so a source may hand the same buffer back refilled, and nothing is
  // allocated per chunk (a new buffer per chunk was garbage the manifest's size).
  let work = Buffer.allocUnsafe(64 * 1024);
  let buf = work.subarray(0, 0);
  let i = 0;
  let ended = false;
  const more = async (): Promise<boolean> => {
    if (ended) return false;
    const kept = buf.length - i;
    work.copy(work, 0, i, buf.length);
    buf = work.subarray(0, kept);
    i = 0;
    const next = await source.next();
    if (next.done) {
      ended = true;
      return false;
    }
    const chunk = next.value;
    if (kept + chunk.length > work.length) {
      const bigger = Buffer.allocUnsafe(Math.max(work.length * 2, kept + chunk.length));
      work.copy(bigger, 0, 0, kept);
      work = bigger;
    }
    chunk.copy(work, kept);
    buf = work.subarray(0, kept + chunk.length);
    return true;
  };
  const space = async () => {
    for (;;) {
      i = skipSpace(buf, i);
      if (i < buf.length || !(await more())) return;
    }
  };
  try {
    // A raw `"` never occurs inside a JSON string (it is escaped there), so this is a key named entries holding an
    // array; that it is a key of the outer object is proved by the head parsing as an object on its own.
    let at = buf.indexOf(MARKER);
    while (at < 0) {
      const from = Math.max(0, buf.length - MARKER.length);
      if (!(await more())) throw NOT_THE_SHAPE;
      at = buf.indexOf(MARKER, from);
    }
    const head = parseOrGiveUp(`${buf.toString('utf8', 0, at)}}`);
    if (!head || typeof head !== 'object' || Array.isArray(head) || Object.prototype.hasOwnProperty.call(head, 'entries')) {
      throw NOT_THE_SHAPE;
    }
    const entries = new EntryCollector(pack, hint);
    const slice = new TimeSlice();
    i = at + MARKER.length;
    await space();
    if (buf[i] === CLOSE_ARRAY) i++;
    else {
      for (;;) {
        await space();
        let end = flatObjectEnd(buf, i);
        while (end < 0) {
          if (!(await more())) throw NOT_THE_SHAPE;
          end = flatObjectEnd(buf, i);
        }
        entries.add(parseOrGiveUp(buf.toString('utf8', i, end)));
        i = end;
        await space();
        if (buf[i] === CLOSE_ARRAY) {
          i++;
          break;
        }
        if (buf[i] !== COMMA) throw NOT_THE_SHAPE;
        i++;
        if ((entries.length & 255) === 0 && slice.due()) await slice.pause();
      }
    }
    await space();
    if (buf[i] !== CLOSE) throw NOT_THE_SHAPE;
    i++;
    await space();
    if (i < buf.length) throw NOT_THE_SHAPE;
    (head as Record<string, unknown>).entries = entries.result();
    return head;
  } finally {
    if (!ended) await source.return?.();
  }
}

async function* toAsync(it: Iterator<Buffer>): AsyncGenerator<Buffer> {
  for (let r = it.next(); !r.done; r = it.next()) yield r.value;
}

/** A piece that is not valid JSON: JSON.parse of the whole text says so, with its own message. */
function parseOrGiveUp(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw NOT_THE_SHAPE;
  }
}

function skipSpace(buf: Buffer, i: number): number {
  while (i < buf.length && isSpace(buf[i])) i++;
  return i;
}

/**
 * The end (exclusive) of a `{...}` starting at `i` that holds no object or array: strings are skipped whole. -1 when
 * the bytes end before it does (the next chunk may hold the rest).
 */
function flatObjectEnd(buf: Buffer, i: number): number {
  if (buf[i] !== OPEN) throw NOT_THE_SHAPE;
  for (i++; i < buf.length; i++) {
    const b = buf[i];
    if (b === QUOTE) {
      for (i++; i < buf.length && buf[i] !== QUOTE; i++) if (buf[i] === BACKSLASH) i++;
      if (i >= buf.length) return -1;
    } else if (b === CLOSE) return i + 1;
    else if (b === OPEN || b === OPEN_ARRAY) throw NOT_THE_SHAPE;
  }
  return -1;
}
