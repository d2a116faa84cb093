import type fsp from 'fs/promises';
import { ArchiveError } from './errors';

// What the files reading an archive's ZIP structure share (zip-directory.ts and the files it uses).

/** Fixed part of a central directory record. */
export const CENTRAL_MIN = 46;
/** Fixed part of a local file header. */
export const LOCAL_MIN = 30;

/** One entry of the central directory, checked (central-check.ts). */
export interface CentralEntry {
  path: string;
  size: number;
  compressedSize: number;
  method: number;
  flags: number;
  crc32: number;
  offset: number;
}

export function notAnArchive(reason: string): ArchiveError {
  return new ArchiveError('NOT_AN_ARCHIVE', `Not a backup archive: ${reason}`, { reason });
}

/** Exactly `length` bytes at `position`; NOT_AN_ARCHIVE when the file ends before. */
export async function readAt(fh: fsp.FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await fh.read(buf, 0, length, position);
  if (bytesRead !== length) throw notAnArchive('unexpected end of file');
  return buf;
}

/**
 * Whether bytes [start, start + length) of `buf` are `name` in UTF-8, without encoding it: compared byte by byte for an
 * ASCII name (every name this plugin writes), else encoded once. Names are compared once per entry (the directory's
 * lookups, each local header): a buffer per comparison was garbage per file.
 */
export function utf8NameAt(buf: Buffer, start: number, length: number, name: string): boolean {
  if (length === name.length) {
    let ascii = true;
    for (let k = 0; k < length; k++) {
      const c = name.charCodeAt(k);
      if (c >= 0x80) {
        ascii = false;
        break;
      }
      if (buf[start + k] !== c) return false;
    }
    if (ascii) return true;
  }
  const bytes = Buffer.from(name, 'utf8');
  return bytes.length === length && buf.compare(bytes, 0, length, start, start + length) === 0;
}
