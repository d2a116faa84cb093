import fs from 'fs';
import fsp from 'fs/promises';
import path from 'path';
import { PassThrough, Readable } from 'stream';
import * as unzipper from 'unzipper';
import { crc32 } from './crc32';
import { ArchiveError, isArchiveError } from './errors';
import { metadataInvalid } from './manifest';
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

export interface CentralEntry {
  path: string;
  size: number;
  compressedSize: number;
  method: number;
  flags: number;
  crc32: number;
  offset: number;
  /** unzipper's record, only for archives holding deflated entries (ours are all stored). */
  file?: unzipper.File;
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
 * Finds and bounds-checks the end of central directory (and its zip64 variant) ourselves, so that unzipper only
 * ever sees an archive whose record count and offsets fit the file: no allocation or read driven by a forged
 * number. Detection of zip64 mirrors unzipper's.
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
  if (cdOffset + cdSize > cdLimit) throw notAnArchive('central directory out of range');
  if (records * CENTRAL_MIN > cdSize) throw notAnArchive('central directory too small for its record count');
  return { eocdAt, records, cdOffset, cdSize, cdLimit };
}

const sharedFdFs = {
  open: fs.open,
  read: fs.read,
  close: (_fd: number, cb: (err?: Error | null) => void) => cb(null),
};

/**
 * An unzipper source reading through one file descriptor (positional reads, no open/close per entry) that
 * remembers its live streams, so that close() can stop them all before the descriptor is closed.
 */
function trackedSource(fh: fsp.FileHandle, size: number) {
  const streams = new Set<Readable>();
  let closed = false;
  const source = {
    size: () => Promise.resolve(size),
    stream: (start: number, length?: number): Readable => {
      if (closed || !(start >= 0) || start >= size) {
        const empty = new PassThrough();
        empty.end();
        return empty;
      }
      let end = length ? start + length : undefined;
      if (end !== undefined && end > size - 1) end = undefined;
      // unzipper destroys its streams when an entry ends, and destroy() closes the fd even without autoClose:
      // the stream gets an fs whose close() leaves the shared descriptor alone.
      const s = fs.createReadStream('', {
        fd: fh.fd,
        fs: sharedFdFs,
        autoClose: false,
        start,
        end,
        highWaterMark: 256 * 1024,
      } as any);
      streams.add(s);
      const forget = () => streams.delete(s);
      s.once('end', forget);
      s.once('close', forget);
      return s;
    },
  };
  return {
    source,
    async close() {
      if (closed) return;
      closed = true;
      // A destroyed stream may still have an fs.read on the raw fd in flight: closing the fd under it fails that
      // read with EBADF (an uncaught 'error'), or worse reads another file that got the same fd number. So wait
      // for every stream's 'close', which comes after its pending read, and ignore its late errors.
      const closing = [...streams].map(
        (s) =>
          new Promise<void>((resolve) => {
            s.on('error', () => undefined);
            if (s.closed) return resolve();
            s.once('close', () => resolve());
            s.destroy();
          }),
      );
      streams.clear();
      await Promise.all(closing);
      await fh.close().catch(() => undefined);
    },
  };
}

/** Window for reading the central directory: larger than any record (46 + 3 * 65535 bytes). */
const CD_WINDOW = 1024 * 1024;

/**
 * The central directory's records, read by ourselves in 1 MiB windows: unzipper's reader (a stream pull and several
 * promises per record) took about a second for 50,000 entries, and much longer inside NocoBase's process. The
 * records carry the field names of unzipper's, for the checks in openArchive. Zip64 sizes and offsets come from
 * the 0x0001 extra field, as unzipper reads them.
 */
async function readCentralRecords(fh: fsp.FileHandle, end: EndRecord): Promise<any[]> {
  const records: any[] = [];
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
    const pathBuffer = Buffer.from(win.subarray(at + CENTRAL_MIN, at + CENTRAL_MIN + fileNameLength));
    const r: any = {
      signature: SIG_CENTRAL,
      flags: win.readUInt16LE(at + 8),
      compressionMethod: win.readUInt16LE(at + 10),
      crc32: win.readUInt32LE(at + 16),
      compressedSize: win.readUInt32LE(at + 20),
      uncompressedSize: win.readUInt32LE(at + 24),
      fileNameLength,
      extraFieldLength,
      fileCommentLength,
      offsetToLocalFileHeader: win.readUInt32LE(at + 42),
      pathBuffer,
      path: pathBuffer.toString('utf8'),
    };
    const wide = ['uncompressedSize', 'compressedSize', 'offsetToLocalFileHeader'].filter((k) => r[k] === 0xffffffff);
    if (wide.length) {
      // Values missing from the extra field stay null, and openArchive refuses them (bad sizes or offset).
      for (const k of wide) r[k] = null;
      let x = at + CENTRAL_MIN + fileNameLength;
      const xEnd = x + extraFieldLength;
      while (x + 4 <= xEnd) {
        const id = win.readUInt16LE(x);
        const partSize = win.readUInt16LE(x + 2);
        if (id === 0x0001) {
          let v = x + 4;
          for (const k of wide) {
            if (v + 8 <= xEnd) r[k] = Number(win.readBigUInt64LE(v));
            v += 8;
          }
          break;
        }
        x += 4 + partSize;
      }
    }
    records.push(r);
    pos += length;
  }
  return records;
}

const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;

/**
 * Opens the central directory and checks every record before anything is read from the entries:
 * structure (NOT_AN_ARCHIVE), names (ENTRY_UNSAFE, ENTRY_DUPLICATE), methods (ENTRY_UNSUPPORTED) and that every
 * declared size fits inside the file without overlapping another entry (ENTRY_SIZE_MISMATCH).
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
  const tracked = trackedSource(fh, size);
  let files: any[];
  let end: EndRecord;
  try {
    end = await readEndRecord(fh, size);
    files = await readCentralRecords(fh, end);
    if (files.some((f) => f.compressionMethod !== 0)) {
      // A foreign archive with deflated entries: unzipper reads those (see rawEntryStream). Open.custom is Open.file
      // with streams we can close; tailSize (missing from the typings) points unzipper at the end record found above.
      const open = unzipper.Open.custom as unknown as (
        src: unknown,
        o: { tailSize: number },
      ) => Promise<unzipper.CentralDirectory>;
      files = (await open(tracked.source, { tailSize: size - end.eocdAt })).files;
    }
  } catch (err: any) {
    await tracked.close();
    if (isArchiveError(err)) throw err;
    throw notAnArchive(`unreadable central directory (${err?.message ?? err})`);
  }

  try {
    if (files.length !== end.records) throw notAnArchive('central directory record count mismatch');
    const entries = new Map<string, CentralEntry>();
    let cdBytes = 0;
    for (const f of files) {
      if (f.signature !== SIG_CENTRAL) throw notAnArchive('bad central directory record');
      cdBytes += CENTRAL_MIN + f.fileNameLength + f.extraFieldLength + f.fileCommentLength;
      if (cdBytes > end.cdSize) throw notAnArchive('central directory overruns its declared size');
      const name: string = f.path;
      if (!Buffer.from(name, 'utf8').equals(f.pathBuffer)) {
        throw new ArchiveError('ENTRY_UNSAFE', `Entry name is not valid UTF-8`, {
          path: name,
          reason: 'invalid UTF-8',
        });
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
      if (f.flags & 0x41)
        throw new ArchiveError('ENTRY_UNSUPPORTED', `Entry "${name}" is encrypted`, {
          path: name,
          reason: 'encrypted',
        });
      if (f.compressionMethod !== 0 && f.compressionMethod !== 8) {
        throw new ArchiveError('ENTRY_UNSUPPORTED', `Entry "${name}" uses compression method ${f.compressionMethod}`, {
          path: name,
          reason: `method ${f.compressionMethod}`,
        });
      }
      if (!isCount(f.uncompressedSize) || !isCount(f.compressedSize) || !isCount(f.offsetToLocalFileHeader)) {
        throw notAnArchive(`bad sizes or offset for entry "${name}"`);
      }
      if (f.compressionMethod === 0 && f.compressedSize !== f.uncompressedSize) {
        throw new ArchiveError('ENTRY_SIZE_MISMATCH', `Stored entry "${name}" declares two different sizes`, {
          path: name,
          declared: f.uncompressedSize,
          actual: f.compressedSize,
        });
      }
      if (f.offsetToLocalFileHeader + LOCAL_MIN + f.fileNameLength + f.compressedSize > end.cdOffset) {
        throw new ArchiveError(
          'ENTRY_SIZE_MISMATCH',
          `Entry "${name}" declares ${f.compressedSize} bytes, more than the archive holds`,
          {
            path: name,
            declared: f.compressedSize,
            actual: Math.max(0, end.cdOffset - f.offsetToLocalFileHeader - LOCAL_MIN - f.fileNameLength),
          },
        );
      }
      entries.set(name, {
        path: name,
        size: f.uncompressedSize,
        compressedSize: f.compressedSize,
        method: f.compressionMethod,
        flags: f.flags,
        crc32: f.crc32 >>> 0,
        offset: f.offsetToLocalFileHeader,
        file: f.stream ? (f as unzipper.File) : undefined,
      });
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
    return { size, entries, fh, cdOffset: end.cdOffset, close: tracked.close };
  } catch (err) {
    await tracked.close();
    throw err;
  }
}

const SIG_LOCAL = 0x04034b50;
const READ_CHUNK = 256 * 1024;

/**
 * The raw (decompressed) data of one entry. Empty entries are never read. Stored entries (all of ours) are read
 * directly with positional reads after checking their local header: no copy, no per-entry file open. Deflated
 * entries (foreign archives) go through unzipper.
 */
export function rawEntryStream(z: OpenArchive, entry: CentralEntry): Readable {
  if (entry.size === 0) return Readable.from([]);
  if (entry.method !== 0) return entry.file!.stream() as unknown as Readable;
  return Readable.from(readStored(z, entry), { objectMode: false, highWaterMark: READ_CHUNK });
}

async function* readStored(z: OpenArchive, entry: CentralEntry): AsyncGenerator<Buffer> {
  const nameBytes = Buffer.from(entry.path, 'utf8');
  const header = Buffer.alloc(LOCAL_MIN + nameBytes.length);
  const { bytesRead } = await z.fh.read(header, 0, header.length, entry.offset);
  if (bytesRead !== header.length || header.readUInt32LE(0) !== SIG_LOCAL) throw new Error('bad local file header');
  if (header.readUInt16LE(26) !== nameBytes.length || !header.subarray(LOCAL_MIN).equals(nameBytes)) {
    throw new Error('local file header names another entry');
  }
  let pos = entry.offset + LOCAL_MIN + nameBytes.length + header.readUInt16LE(28);
  let left = entry.size;
  if (pos + left > z.cdOffset) throw new Error('entry data runs into the central directory');
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
