import fs from 'fs';
import fsp from 'fs/promises';
import path from 'path';
import { Readable } from 'stream';
import { crc32 } from './crc32';
import { ArchiveError, isArchiveError } from './errors';
import { MAX_MANIFEST_BYTES, metadataInvalid, RESERVED_NAMES } from './manifest';
import { isCanonicalEntryPath } from './safe-path';

// ---------------------------------------------------------------------------------------------------------
// Central directory

const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_CENTRAL = 0x02014b50;
const EOCD_SIZE = 22;
const CENTRAL_MIN = 46;
const LOCAL_MIN = 30;
const MAX_COMMENT = 0xffff;
/**
 * Most central directory records an archive may declare: every entry is listed in manifest.json, which is read up to
 * MAX_MANIFEST_BYTES and spends at least MIN_ENTRY_JSON bytes per entry, plus the metadata entries. Checked before
 * any record is read, so a forged directory of millions of tiny records cannot exhaust memory.
 */
const MIN_ENTRY_JSON = 98;
export const MAX_ZIP_RECORDS = Math.floor(MAX_MANIFEST_BYTES / MIN_ENTRY_JSON) + RESERVED_NAMES.length;

export interface CentralEntry {
  path: string;
  size: number;
  compressedSize: number;
  method: number;
  flags: number;
  crc32: number;
  offset: number;
}

export interface OpenArchive {
  size: number;
  entries: Map<string, CentralEntry>;
  fh: fsp.FileHandle;
  /** Where entry data must end. */
  cdOffset: number;
  /** Destroys every stream opened for this archive, then closes its file descriptor. */
  close(): Promise<void>;
}

export function notAnArchive(reason: string): ArchiveError {
  return new ArchiveError('NOT_AN_ARCHIVE', `Not a backup archive: ${reason}`, { reason });
}

async function readAt(fh: fsp.FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await fh.read(buf, 0, length, position);
  if (bytesRead !== length) throw notAnArchive('unexpected end of file');
  return buf;
}

function u64(buf: Buffer, at: number): number {
  const v = buf.readBigUInt64LE(at);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw notAnArchive('64-bit field out of range');
  return Number(v);
}

interface EndRecord {
  eocdAt: number;
  records: number;
  cdOffset: number;
  cdSize: number;
  /** Where the central directory must end: the zip64 end record, or the end record. */
  cdLimit: number;
}

/**
 * Finds and bounds-checks the end of central directory (and its zip64 variant), so that the record count and offsets
 * fit the file and the count stays under MAX_ZIP_RECORDS: no allocation or read driven by a forged number. Detection
 * of zip64 mirrors unzipper's.
 */
async function readEndRecord(fh: fsp.FileHandle, size: number): Promise<EndRecord> {
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

/** Closes the descriptor once (FileHandle.close waits for reads in flight on it). */
function closerOf(fh: fsp.FileHandle): () => Promise<void> {
  let closed = false;
  return async () => {
    if (closed) return;
    closed = true;
    await fh.close().catch(() => undefined);
  };
}

/** Window for reading the central directory: larger than any record (46 + 3 * 65535 bytes). */
const CD_WINDOW = 1024 * 1024;

const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;

/**
 * Checks one central directory record as soon as it is read, so that a hostile directory is refused at its first bad
 * record instead of after all of them were kept: names (ENTRY_UNSAFE, ENTRY_DUPLICATE), flags and methods
 * (ENTRY_UNSUPPORTED: this plugin writes every entry STORED, so deflate is refused too) and declared sizes.
 */
function checkRecord(
  entries: Map<string, CentralEntry>,
  end: EndRecord,
  r: {
    pathBuffer: Buffer;
    flags: number;
    method: number;
    crc32: number;
    compressedSize: number | null;
    uncompressedSize: number | null;
    offset: number | null;
  },
): CentralEntry {
  const name = r.pathBuffer.toString('utf8');
  if (!Buffer.from(name, 'utf8').equals(r.pathBuffer)) {
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
  if (offset + LOCAL_MIN + nameLength + compressedSize > end.cdOffset) {
    throw new ArchiveError(
      'ENTRY_SIZE_MISMATCH',
      `Entry "${name}" declares ${compressedSize} bytes, more than the archive holds`,
      {
        path: name,
        declared: compressedSize,
        actual: Math.max(0, end.cdOffset - offset - LOCAL_MIN - nameLength),
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
 * The central directory's entries, read by ourselves in 1 MiB windows and checked record by record (checkRecord).
 * Zip64 sizes and offsets come from the 0x0001 extra field. Only the checked entries are kept: the record count was
 * capped by readEndRecord, so memory stays bounded whatever the directory declares.
 */
async function readCentralEntries(fh: fsp.FileHandle, end: EndRecord): Promise<Map<string, CentralEntry>> {
  const entries = new Map<string, CentralEntry>();
  const limit = end.cdOffset + end.cdSize;
  let winStart = end.cdOffset;
  let win: Buffer = Buffer.alloc(0);
  let pos = end.cdOffset;
  const ensure = async (from: number, length: number) => {
    if (from + length > limit) throw notAnArchive('central directory overruns its declared size');
    if (from >= winStart && from + length <= winStart + win.length) return;
    winStart = from;
    win = await readAt(fh, from, Math.min(limit - from, Math.max(CD_WINDOW, length)));
  };
  for (let i = 0; i < end.records; i++) {
    await ensure(pos, CENTRAL_MIN);
    let at = pos - winStart;
    if (win.readUInt32LE(at) !== SIG_CENTRAL) throw notAnArchive('bad central directory record');
    const fileNameLength = win.readUInt16LE(at + 28);
    const extraFieldLength = win.readUInt16LE(at + 30);
    const fileCommentLength = win.readUInt16LE(at + 32);
    const length = CENTRAL_MIN + fileNameLength + extraFieldLength + fileCommentLength;
    await ensure(pos, length);
    at = pos - winStart;
    const sizes: Record<'uncompressedSize' | 'compressedSize' | 'offset', number | null> = {
      compressedSize: win.readUInt32LE(at + 20),
      uncompressedSize: win.readUInt32LE(at + 24),
      offset: win.readUInt32LE(at + 42),
    };
    const wide = (['uncompressedSize', 'compressedSize', 'offset'] as const).filter((k) => sizes[k] === 0xffffffff);
    if (wide.length) {
      // Values missing from the extra field stay null, and checkRecord refuses them (bad sizes or offset).
      for (const k of wide) sizes[k] = null;
      let x = at + CENTRAL_MIN + fileNameLength;
      const xEnd = x + extraFieldLength;
      while (x + 4 <= xEnd) {
        const id = win.readUInt16LE(x);
        const partSize = win.readUInt16LE(x + 2);
        if (id === 0x0001) {
          let v = x + 4;
          for (const k of wide) {
            if (v + 8 <= xEnd) sizes[k] = Number(win.readBigUInt64LE(v));
            v += 8;
          }
          break;
        }
        x += 4 + partSize;
      }
    }
    const entry = checkRecord(entries, end, {
      pathBuffer: win.subarray(at + CENTRAL_MIN, at + CENTRAL_MIN + fileNameLength),
      flags: win.readUInt16LE(at + 8),
      method: win.readUInt16LE(at + 10),
      crc32: win.readUInt32LE(at + 16),
      ...sizes,
    });
    entries.set(entry.path, entry);
    pos += length;
  }
  return entries;
}

/**
 * Opens the central directory and checks every record before anything is read from the entries:
 * structure and record count (NOT_AN_ARCHIVE, ARCHIVE_TOO_MANY_ENTRIES), names (ENTRY_UNSAFE, ENTRY_DUPLICATE),
 * flags and methods (ENTRY_UNSUPPORTED) and that every declared size fits inside the file without overlapping another
 * entry (ENTRY_SIZE_MISMATCH).
 */
export async function openArchive(archivePath: string): Promise<OpenArchive> {
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(archivePath, 'r');
  } catch (err: any) {
    if (err?.code === 'ENOENT')
      throw new ArchiveError(
        'NOT_AN_ARCHIVE',
        `Archive not found: ${path.basename(archivePath)}`,
        { reason: 'not found' },
        { status: 404 },
      );
    throw err;
  }
  let st: fs.Stats;
  try {
    st = await fh.stat();
  } catch (err) {
    await fh.close().catch(() => undefined);
    throw err;
  }
  if (!st.isFile()) {
    await fh.close().catch(() => undefined);
    throw notAnArchive('not a regular file');
  }
  const size = st.size;
  const close = closerOf(fh);
  try {
    let end: EndRecord;
    let entries: Map<string, CentralEntry>;
    try {
      end = await readEndRecord(fh, size);
      entries = await readCentralEntries(fh, end);
    } catch (err: any) {
      if (isArchiveError(err)) throw err;
      throw notAnArchive(`unreadable central directory (${err?.message ?? err})`);
    }
    // Entries may not overlap: the archive can never yield more data than it holds.
    const byOffset = [...entries.values()].sort((a, b) => a.offset - b.offset);
    for (let i = 1; i < byOffset.length; i++) {
      const prev = byOffset[i - 1];
      const prevEnd = prev.offset + LOCAL_MIN + Buffer.byteLength(prev.path) + prev.compressedSize;
      if (prevEnd > byOffset[i].offset) {
        throw new ArchiveError('ENTRY_SIZE_MISMATCH', `Entry "${prev.path}" overlaps "${byOffset[i].path}"`, {
          path: prev.path,
          declared: prev.compressedSize,
          actual: Math.max(0, byOffset[i].offset - prev.offset - LOCAL_MIN - Buffer.byteLength(prev.path)),
        });
      }
    }
    return { size, entries, fh, cdOffset: end.cdOffset, close };
  } catch (err) {
    await close();
    throw err;
  }
}

const SIG_LOCAL = 0x04034b50;
const READ_CHUNK = 256 * 1024;

/**
 * The raw data of one entry (openArchive admits stored entries only). Empty entries are never read. Entries are read
 * directly with positional reads after checking their local header: no copy, no per-entry file open.
 */
export function rawEntryStream(z: OpenArchive, entry: CentralEntry): Readable {
  if (entry.size === 0) return Readable.from([]);
  return Readable.from(readStored(z, entry), { objectMode: false, highWaterMark: READ_CHUNK });
}

/** Bytes to read at an entry's offset to check its local header: the fixed part and the name. */
export const localHeaderLength = (entry: CentralEntry): number => LOCAL_MIN + Buffer.byteLength(entry.path, 'utf8');

/**
 * Where an entry's data starts, from its local header (localHeaderLength bytes read at entry.offset). The header
 * must carry the central directory's name, and the data must end before the central directory.
 */
export function entryDataOffset(header: Buffer, entry: CentralEntry, cdOffset: number): number {
  const nameBytes = Buffer.from(entry.path, 'utf8');
  if (header.length < LOCAL_MIN + nameBytes.length || header.readUInt32LE(0) !== SIG_LOCAL) {
    throw new Error('bad local file header');
  }
  if (header.readUInt16LE(26) !== nameBytes.length || !header.subarray(LOCAL_MIN, LOCAL_MIN + nameBytes.length).equals(nameBytes)) {
    throw new Error('local file header names another entry');
  }
  const dataAt = entry.offset + LOCAL_MIN + nameBytes.length + header.readUInt16LE(28);
  if (dataAt + entry.size > cdOffset) throw new Error('entry data runs into the central directory');
  return dataAt;
}

async function* readStored(z: OpenArchive, entry: CentralEntry): AsyncGenerator<Buffer> {
  const header = Buffer.alloc(localHeaderLength(entry));
  const { bytesRead } = await z.fh.read(header, 0, header.length, entry.offset);
  let pos = entryDataOffset(header.subarray(0, bytesRead), entry, z.cdOffset);
  let left = entry.size;
  while (left > 0) {
    const n = Math.min(READ_CHUNK, left);
    const buf = Buffer.allocUnsafe(n);
    const r = await z.fh.read(buf, 0, n, pos);
    if (r.bytesRead === 0) throw new Error('unexpected end of file');
    pos += r.bytesRead;
    left -= r.bytesRead;
    yield r.bytesRead === n ? buf : buf.subarray(0, r.bytesRead);
  }
}

/**
 * The whole content of a small metadata entry (manifest.json, encryption.json, manifest.json.enc), read with the
 * declared size as a hard limit. Refuses MANIFEST_INVALID (naming the entry) when it is too large, unreadable,
 * truncated or, with `crc`, fails its CRC-32: the ZIP's CRC is all that protects a plain metadata file from damage.
 */
export async function readMetadataEntry(
  z: OpenArchive,
  entry: CentralEntry,
  limit: number,
  crc: boolean,
): Promise<Buffer> {
  if (entry.size > limit) throw metadataInvalid(entry.path, `too large (${entry.size} bytes)`, { size: entry.size });
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of rawEntryStream(z, entry)) {
      total += (chunk as Buffer).length;
      if (total > entry.size) throw new Error('more data than declared');
      chunks.push(chunk as Buffer);
    }
  } catch (err) {
    throw metadataInvalid(entry.path, `cannot be read (${(err as Error)?.message ?? err})`);
  }
  const buf = Buffer.concat(chunks);
  if (buf.length !== entry.size) throw metadataInvalid(entry.path, 'truncated');
  if (crc && crc32(buf) !== entry.crc32) throw metadataInvalid(entry.path, 'damaged (CRC mismatch)');
  return buf;
}

export async function withArchive<T>(archivePath: string, fn: (z: OpenArchive) => Promise<T>): Promise<T> {
  const z = await openArchive(archivePath);
  try {
    return await fn(z);
  } finally {
    await z.close();
  }
}
