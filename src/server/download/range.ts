/**
 * HTTP range requests (RFC 9110 §14) for archive downloads: pure, so every edge is unit-tested without a server.
 * One range is answered 206; several are answered with the whole file (200), which the RFC allows and which
 * no download manager or `curl -C -` needs otherwise.
 */
export type RangeAnswer =
  | { kind: 'full' }
  | { kind: 'partial'; start: number; end: number }
  | { kind: 'unsatisfiable' };

const SINGLE = /^bytes=(\d*)-(\d*)$/;

/** What to send for a `Range` header against a file of `size` bytes; a header we do not understand is ignored. */
export function parseRange(header: string | undefined, size: number): RangeAnswer {
  if (!header) return { kind: 'full' };
  const value = header.trim().replace(/\s+/g, '');
  if (value.includes(',')) return { kind: 'full' };
  const m = SINGLE.exec(value);
  if (!m || (m[1] === '' && m[2] === '')) return { kind: 'full' };
  if (m[1] === '') {
    // bytes=-n: the last n bytes (the whole file when n >= size); -0 asks for nothing.
    const n = Number(m[2]);
    if (!Number.isSafeInteger(n)) return { kind: 'full' };
    if (n === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const last = m[2] === '' ? size - 1 : Number(m[2]);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(last)) return { kind: 'full' };
  // An end before the start makes the header invalid (ignored), not unsatisfiable.
  if (m[2] !== '' && last < start) return { kind: 'full' };
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'partial', start, end: Math.min(last, size - 1) };
}

/** A strong validator for one archive: its task, size and modification time (a replaced file gets another). */
export function archiveEtag(taskId: string | number, size: number, mtimeMs: number): string {
  return `"${taskId}-${size.toString(16)}-${Math.floor(mtimeMs).toString(16)}"`;
}

/**
 * Whether a range may be honoured under `If-Range` (RFC 9110 §13.1.5): no header, the same strong ETag, or exactly
 * the Last-Modified date we send. Anything else (another or a weak ETag, another date) gets the whole file, so a
 * download resumed against a replaced archive starts again instead of splicing two files.
 */
export function ifRangeAllows(ifRange: string | undefined, etag: string, lastModified: Date): boolean {
  if (!ifRange) return true;
  const value = ifRange.trim();
  if (value.startsWith('"') || value.startsWith('W/')) return value === etag;
  const date = Date.parse(value);
  return !Number.isNaN(date) && date === Math.floor(lastModified.getTime() / 1000) * 1000;
}

export function contentRange(answer: RangeAnswer, size: number): string | undefined {
  if (answer.kind === 'partial') return `bytes ${answer.start}-${answer.end}/${size}`;
  if (answer.kind === 'unsatisfiable') return `bytes */${size}`;
  return undefined;
}
