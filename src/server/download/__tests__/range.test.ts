import { archiveEtag, contentRange, ifRangeAllows, parseRange } from '../range';

describe('parseRange', () => {
  const size = 1000;
  it.each([
    ['bytes=0-499', { kind: 'partial', start: 0, end: 499 }],
    ['bytes=500-', { kind: 'partial', start: 500, end: 999 }],
    ['bytes=500-5000', { kind: 'partial', start: 500, end: 999 }],
    ['bytes=999-999', { kind: 'partial', start: 999, end: 999 }],
    ['bytes=-100', { kind: 'partial', start: 900, end: 999 }],
    ['bytes=-5000', { kind: 'partial', start: 0, end: 999 }],
    [' bytes = 10 - 20 ', { kind: 'partial', start: 10, end: 20 }],
  ])('%s -> one range', (header, answer) => {
    expect(parseRange(header, size)).toEqual(answer);
  });

  it.each(['bytes=1000-', 'bytes=1000-2000', 'bytes=-0', 'bytes=5000-'])('%s -> 416', (header) => {
    expect(parseRange(header, size)).toEqual({ kind: 'unsatisfiable' });
  });

  it('an empty file satisfies no range', () => {
    expect(parseRange('bytes=0-', 0)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=-1', 0)).toEqual({ kind: 'unsatisfiable' });
  });

  it.each([undefined, '', 'bytes=', 'bytes=-', 'bytes=abc', 'items=0-1', 'bytes=20-10', 'bytes=0-1,5-6', 'bytes=99999999999999999999-'])(
    '%s -> the whole file (ignored, or several ranges)',
    (header) => {
      expect(parseRange(header, size)).toEqual({ kind: 'full' });
    },
  );

  it('Content-Range for 206 and 416', () => {
    expect(contentRange({ kind: 'partial', start: 0, end: 9 }, 1000)).toBe('bytes 0-9/1000');
    expect(contentRange({ kind: 'unsatisfiable' }, 1000)).toBe('bytes */1000');
    expect(contentRange({ kind: 'full' }, 1000)).toBeUndefined();
  });
});

describe('If-Range', () => {
  const mtime = new Date('2026-12-05T10:00:00.250Z');
  const etag = archiveEtag(7, 1000, mtime.getTime());
  it('the ETag changes with the size, the time and the task', () => {
    expect(etag).toBe(`"7-3e8-${mtime.getTime().toString(16)}"`);
    expect(archiveEtag(7, 1001, mtime.getTime())).not.toBe(etag);
    expect(archiveEtag(7, 1000, mtime.getTime() + 1)).not.toBe(etag);
    expect(archiveEtag(8, 1000, mtime.getTime())).not.toBe(etag);
  });
  it('honours the range only for the same strong ETag or the exact Last-Modified', () => {
    expect(ifRangeAllows(undefined, etag, mtime)).toBe(true);
    expect(ifRangeAllows(etag, etag, mtime)).toBe(true);
    expect(ifRangeAllows(`W/${etag}`, etag, mtime)).toBe(false);
    expect(ifRangeAllows('"7-3e8-0"', etag, mtime)).toBe(false);
    expect(ifRangeAllows(mtime.toUTCString(), etag, mtime)).toBe(true);
    expect(ifRangeAllows(new Date(mtime.getTime() + 2000).toUTCString(), etag, mtime)).toBe(false);
    expect(ifRangeAllows('not a date', etag, mtime)).toBe(false);
  });
});
