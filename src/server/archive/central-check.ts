import * as bufferModule from 'buffer';
import { ArchiveError } from './errors';
import { isCanonicalEntryPath } from './safe-path';
import type { CentralIndex } from './central-table';
import { type CentralEntry, LOCAL_MIN, notAnArchive } from './zip-basics';
import { TimeSlice } from '../time-slice';

// The checks of the central directory's records, made before any entry data is read.

/** One central directory record as read (central-records.ts), before any check. */
export interface RawRecord {
  pathBuffer: Buffer;
  flags: number;
  method: number;
  crc32: number;
  /** Null: marked as zip64 but missing from the zip64 extra field. */
  compressedSize: number | null;
  uncompressedSize: number | null;
  offset: number | null;
}

// Checked without encoding the name again: a buffer per record was most of the garbage of opening a large archive.
const isUtf8 = (bufferModule as { isUtf8?: (b: Uint8Array) => boolean }).isUtf8;
const validUtf8 = (bytes: Buffer, decoded: string) => (isUtf8 ? isUtf8(bytes) : Buffer.from(decoded, 'utf8').equals(bytes));

const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;

/**
 * Checks one central directory record as soon as it is read, so that a hostile directory is refused at its first bad
 * record instead of after all of them were kept: names (ENTRY_UNSAFE, ENTRY_DUPLICATE), flags and methods
 * (ENTRY_UNSUPPORTED: this plugin writes every entry STORED, so deflate is refused too) and declared sizes.
 */
export function checkRecord(entries: Pick<CentralIndex, 'has'>, cdOffset: number, r: RawRecord): CentralEntry {
  const name = r.pathBuffer.toString('utf8');
  if (!validUtf8(r.pathBuffer, name)) {
    throw new ArchiveError('ENTRY_UNSAFE', `Entry name is not valid UTF-8`, { path: name, reason: 'invalid UTF-8' });
  }
  if (!isCanonicalEntryPath(name)) {
    const shown = name.replace(/\0/g, '\\0');
    throw new ArchiveError('ENTRY_UNSAFE', `Unsafe entry path "${shown}" in the archive`, {
      path: shown,
      reason: 'unsafe name',
    });
  }
  if (entries.has(name))
    throw new ArchiveError('ENTRY_DUPLICATE', `Entry "${name}" appears twice in the archive`, { path: name });
  if (r.flags & 0x41)
    throw new ArchiveError('ENTRY_UNSUPPORTED', `Entry "${name}" is encrypted`, { path: name, reason: 'encrypted' });
  if (r.method !== 0) {
    throw new ArchiveError(
      'ENTRY_UNSUPPORTED',
      `Entry "${name}" uses compression method ${r.method}; this plugin writes every entry stored`,
      { path: name, reason: `method ${r.method}` },
    );
  }
  const { compressedSize, uncompressedSize, offset } = r;
  if (!isCount(uncompressedSize) || !isCount(compressedSize) || !isCount(offset)) {
    throw notAnArchive(`bad sizes or offset for entry "${name}"`);
  }
  if (compressedSize !== uncompressedSize) {
    throw new ArchiveError('ENTRY_SIZE_MISMATCH', `Stored entry "${name}" declares two different sizes`, {
      path: name,
      declared: uncompressedSize,
      actual: compressedSize,
    });
  }
  const nameLength = r.pathBuffer.length;
  if (offset + LOCAL_MIN + nameLength + compressedSize > cdOffset) {
    throw new ArchiveError(
      'ENTRY_SIZE_MISMATCH',
      `Entry "${name}" declares ${compressedSize} bytes, more than the archive holds`,
      {
        path: name,
        declared: compressedSize,
        actual: Math.max(0, cdOffset - offset - LOCAL_MIN - nameLength),
      },
    );
  }
  return {
    path: name,
    size: uncompressedSize,
    compressedSize,
    method: r.method,
    flags: r.flags,
    crc32: r.crc32 >>> 0,
    offset,
  };
}

/**
 * Entries may not overlap: the archive can never yield more data than it holds (ENTRY_SIZE_MISMATCH). The directory
 * of an archive this plugin wrote lists entries in the order of their data: checked in that order, in slices, without
 * a sorted copy (a sort of 500,000 entries held the server for most of a second); any other order is sorted first.
 */
export async function checkNoOverlap(entries: CentralIndex): Promise<void> {
  const slice = new TimeSlice();
  let n = 0;
  let inOrder = true;
  let last = -1;
  // Each entry is made as it is read (central-table.ts): this pass too hands the thread back (55 ms at 500,000).
  for (const e of entries.values()) {
    if (e.offset < last) {
      inOrder = false;
      break;
    }
    last = e.offset;
    if ((++n & 1023) === 0 && slice.due()) await slice.pause();
  }
  const byOffset = inOrder ? entries.values() : [...entries.values()].sort((a, b) => a.offset - b.offset).values();
  let prev: CentralEntry | null = null;
  for (const e of byOffset) {
    if (prev) {
      const prevEnd = prev.offset + LOCAL_MIN + Buffer.byteLength(prev.path) + prev.compressedSize;
      if (prevEnd > e.offset) {
        throw new ArchiveError('ENTRY_SIZE_MISMATCH', `Entry "${prev.path}" overlaps "${e.path}"`, {
          path: prev.path,
          declared: prev.compressedSize,
          actual: Math.max(0, e.offset - prev.offset - LOCAL_MIN - Buffer.byteLength(prev.path)),
        });
      }
    }
    prev = e;
    if ((++n & 1023) === 0 && slice.due()) await slice.pause();
  }
}
