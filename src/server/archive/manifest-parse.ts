import { TimeSlice } from '../time-slice';

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
export async function parseManifestJson(buf: Buffer): Promise<unknown> {
  try {
    return await parseInSlices(buf);
  } catch (err) {
    if (err !== NOT_THE_SHAPE) throw err;
    return JSON.parse(buf.toString('utf8'));
  }
}

async function parseInSlices(buf: Buffer): Promise<unknown> {
  // A raw `"` never occurs inside a JSON string (it is escaped there), so this is a key named entries holding an
  // array; that it is a key of the outer object is proved by the head parsing as an object on its own.
  const at = buf.indexOf(MARKER);
  if (at < 0) throw NOT_THE_SHAPE;
  const head = parseOrGiveUp(`${buf.toString('utf8', 0, at)}}`);
  if (!head || typeof head !== 'object' || Array.isArray(head) || Object.prototype.hasOwnProperty.call(head, 'entries')) {
    throw NOT_THE_SHAPE;
  }
  const entries: unknown[] = [];
  const slice = new TimeSlice();
  let i = skipSpace(buf, at + MARKER.length);
  if (buf[i] === CLOSE_ARRAY) i++;
  else {
    for (;;) {
      const start = skipSpace(buf, i);
      const end = flatObjectEnd(buf, start);
      entries.push(parseOrGiveUp(buf.toString('utf8', start, end)));
      i = skipSpace(buf, end);
      if (buf[i] === CLOSE_ARRAY) {
        i++;
        break;
      }
      if (buf[i] !== COMMA) throw NOT_THE_SHAPE;
      i++;
      if ((entries.length & 255) === 0 && slice.due()) await slice.pause();
    }
  }
  i = skipSpace(buf, i);
  if (buf[i] !== CLOSE || skipSpace(buf, i + 1) !== buf.length) throw NOT_THE_SHAPE;
  (head as Record<string, unknown>).entries = entries;
  return head;
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

/** The end (exclusive) of a `{...}` starting at `i` that holds no object or array: strings are skipped whole. */
function flatObjectEnd(buf: Buffer, i: number): number {
  if (buf[i] !== OPEN) throw NOT_THE_SHAPE;
  for (i++; i < buf.length; i++) {
    const b = buf[i];
    if (b === QUOTE) {
      for (i++; i < buf.length && buf[i] !== QUOTE; i++) if (buf[i] === BACKSLASH) i++;
      if (i >= buf.length) throw NOT_THE_SHAPE;
    } else if (b === CLOSE) return i + 1;
    else if (b === OPEN || b === OPEN_ARRAY) throw NOT_THE_SHAPE;
  }
  throw NOT_THE_SHAPE;
}
