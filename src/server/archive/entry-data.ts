import { Readable } from 'stream';
import { crc32 } from './crc32';
import { metadataInvalid } from './manifest';
import { type CentralEntry, LOCAL_MIN } from './zip-basics';
import type { OpenArchive } from './zip-directory';
import { SIG_LOCAL } from './zip-format';

// Reading the data of one entry of an opened archive (zip-directory.ts).

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
