import type fsp from 'fs/promises';
import { ArchiveError } from './errors';
import { RESERVED_NAMES } from './layout';
import { MAX_MANIFEST_BYTES } from './manifest';
import { CENTRAL_MIN, notAnArchive, readAt } from './zip-basics';
import { SIG_EOCD, SIG_ZIP64_EOCD, SIG_ZIP64_LOCATOR } from './zip-format';

const EOCD_SIZE = 22;
const MAX_COMMENT = 0xffff;
/**
 * Most central directory records an archive may declare: every entry is listed in manifest.json, which is read up to
 * MAX_MANIFEST_BYTES and spends at least MIN_ENTRY_JSON bytes per entry, plus the metadata entries. Checked before
 * any record is read, so a forged directory of millions of tiny records cannot exhaust memory.
 */
const MIN_ENTRY_JSON = 98;
export const MAX_ZIP_RECORDS = Math.floor(MAX_MANIFEST_BYTES / MIN_ENTRY_JSON) + RESERVED_NAMES.length;

export interface EndRecord {
  eocdAt: number;
  records: number;
  cdOffset: number;
  cdSize: number;
  /** Where the central directory must end: the zip64 end record, or the end record. */
  cdLimit: number;
}

function u64(buf: Buffer, at: number): number {
  const v = buf.readBigUInt64LE(at);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw notAnArchive('64-bit field out of range');
  return Number(v);
}

/**
 * Finds and bounds-checks the end of central directory (and its zip64 variant), so that the record count and offsets
 * fit the file and the count stays under MAX_ZIP_RECORDS: no allocation or read driven by a forged number. Detection
 * of zip64 mirrors unzipper's.
 */
export async function readEndRecord(fh: fsp.FileHandle, size: number): Promise<EndRecord> {
  if (size < EOCD_SIZE) throw notAnArchive(size === 0 ? 'empty file' : 'file too small');
  const tailLen = Math.min(size, EOCD_SIZE + MAX_COMMENT);
  const tailStart = size - tailLen;
  const tail = await readAt(fh, tailStart, tailLen);
  let at = -1;
  for (let i = tailLen - EOCD_SIZE; i >= 0; i--) {
    if (tail.readUInt32LE(i) === SIG_EOCD && i + EOCD_SIZE + tail.readUInt16LE(i + 20) === tailLen) {
      at = i;
      break;
    }
  }
  if (at < 0) throw notAnArchive('no end of central directory record (not a zip, or truncated)');
  const eocdAt = tailStart + at;
  const diskNumber = tail.readUInt16LE(at + 4);
  const diskStart = tail.readUInt16LE(at + 6);
  let records = tail.readUInt16LE(at + 10);
  let cdSize = tail.readUInt32LE(at + 12);
  let cdOffset = tail.readUInt32LE(at + 16);
  let cdLimit = eocdAt;
  if (diskNumber === 0xffff || records === 0xffff || cdOffset === 0xffffffff) {
    if (eocdAt < 20 + 56) throw notAnArchive('zip64 records missing');
    const loc = await readAt(fh, eocdAt - 20, 20);
    if (loc.readUInt32LE(0) !== SIG_ZIP64_LOCATOR) throw notAnArchive('bad zip64 locator');
    const eocd64At = u64(loc, 8);
    if (eocd64At + 56 > eocdAt - 20) throw notAnArchive('zip64 end record out of range');
    const rec = await readAt(fh, eocd64At, 56);
    if (rec.readUInt32LE(0) !== SIG_ZIP64_EOCD) throw notAnArchive('bad zip64 end record');
    if (rec.readUInt32LE(16) !== 0 || rec.readUInt32LE(20) !== 0)
      throw notAnArchive('multi-disk archives are not supported');
    records = u64(rec, 32);
    cdSize = u64(rec, 40);
    cdOffset = u64(rec, 48);
    cdLimit = eocd64At;
  } else if (diskNumber !== 0 || diskStart !== 0) {
    throw notAnArchive('multi-disk archives are not supported');
  }
  if (records > MAX_ZIP_RECORDS) {
    throw new ArchiveError(
      'ARCHIVE_TOO_MANY_ENTRIES',
      `The archive declares ${records} entries, more than ${MAX_ZIP_RECORDS} (what a backup archive can hold)`,
      { count: records, max: MAX_ZIP_RECORDS },
    );
  }
  if (cdOffset + cdSize > cdLimit) throw notAnArchive('central directory out of range');
  if (records * CENTRAL_MIN > cdSize) throw notAnArchive('central directory too small for its record count');
  return { eocdAt, records, cdOffset, cdSize, cdLimit };
}
