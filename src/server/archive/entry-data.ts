import { Readable } from 'stream';
import { crc32 } from './crc32';
import { metadataInvalid } from './manifest';
import { type CentralEntry, LOCAL_MIN, utf8NameAt } from './zip-basics';
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
  const nameLength = Buffer.byteLength(entry.path, 'utf8');
  if (header.length < LOCAL_MIN + nameLength || header.readUInt32LE(0) !== SIG_LOCAL) {
    throw new Error('bad local file header');
  }
  if (header.readUInt16LE(26) !== nameLength || !utf8NameAt(header, LOCAL_MIN, nameLength, entry.path)) {
    throw new Error('local file header names another entry');
  }
  const dataAt = entry.offset + LOCAL_MIN + nameLength + header.readUInt16LE(28);
  if (dataAt + entry.size > cdOffset) throw new Error('entry data runs into the central directory');
  return dataAt;
}

/** The data of a stored entry, in chunks of a new buffer each, or all read into `into` (each valid until the next). */
async function* readStored(z: OpenArchive, entry: CentralEntry, into?: Buffer): AsyncGenerator<Buffer> {
  const header = Buffer.alloc(localHeaderLength(entry));
  const { bytesRead } = await z.fh.read(header, 0, header.length, entry.offset);
  let pos = entryDataOffset(header.subarray(0, bytesRead), entry, z.cdOffset);
  let left = entry.size;
  while (left > 0) {
    const n = Math.min(READ_CHUNK, left);
    const buf = into ?? Buffer.allocUnsafe(n);
    const r = await z.fh.read(buf, 0, n, pos);
    if (r.bytesRead === 0) throw new Error('unexpected end of file');
    pos += r.bytesRead;
    left -= r.bytesRead;
    yield r.bytesRead === buf.length ? buf : buf.subarray(0, r.bytesRead);
  }
}

/**
 * The whole content of a small metadata entry (encryption.json, manifest.sig; a manifest that is not of the writer's
 * shape), read with the declared size as a hard limit: metadataEntryChunks, held whole.
 */
export async function readMetadataEntry(
  z: OpenArchive,
  entry: CentralEntry,
  limit: number,
  crc: boolean,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of metadataEntryChunks(z, entry, limit, crc)) chunks.push(chunk);
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
}

/**
 * The content of a metadata entry chunk by chunk, so that a large one (manifest.json of many files) is never held
 * whole. Refuses MANIFEST_INVALID (naming the entry) when it is too large (before anything is read), unreadable,
 * truncated or, with `crc`, fails its CRC-32 (the ZIP's CRC is all that protects a plain metadata file from damage):
 * those two only after the last chunk, so a reader must use nothing before the end.
 */
export async function* metadataEntryChunks(
  z: OpenArchive,
  entry: CentralEntry,
  limit: number,
  crc: boolean,
  opts: { reuse?: boolean } = {},
): AsyncGenerator<Buffer> {
  if (entry.size > limit) throw metadataInvalid(entry.path, `too large (${entry.size} bytes)`, { size: entry.size });
  let total = 0;
  let sum = 0;
  // reuse: every chunk is read into one buffer, for a reader done with each chunk before it asks for the next (no
  // read-ahead then: a stream would read into it early).
  const source =
    opts.reuse && entry.size > 0
      ? readStored(z, entry, Buffer.allocUnsafe(Math.min(READ_CHUNK, entry.size)))
      : rawEntryStream(z, entry)[Symbol.asyncIterator]();
  try {
    for (;;) {
      let next: IteratorResult<Buffer>;
      try {
        next = await source.next();
        if (!next.done && total + next.value.length > entry.size) throw new Error('more data than declared');
      } catch (err) {
        throw metadataInvalid(entry.path, `cannot be read (${(err as Error)?.message ?? err})`);
      }
      if (next.done) break;
      total += next.value.length;
      if (crc) sum = crc32(next.value, sum);
      yield next.value;
    }
  } finally {
    await source.return?.();
  }
  if (total !== entry.size) throw metadataInvalid(entry.path, 'truncated');
  if (crc && sum !== entry.crc32) throw metadataInvalid(entry.path, 'damaged (CRC mismatch)');
}
