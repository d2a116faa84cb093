import type fsp from 'fs/promises';
import { checkRecord, type RawRecord } from './central-check';
import { CentralTable } from './central-table';
import { CENTRAL_MIN, notAnArchive } from './zip-basics';
import type { EndRecord } from './zip-end-record';
import { SIG_CENTRAL } from './zip-format';
import { TimeSlice } from '../time-slice';

/** Window for reading the central directory: larger than any record (46 + 3 * 65535 bytes). */
const CD_WINDOW = 1024 * 1024;

/**
 * The central directory's entries, read by ourselves in 1 MiB windows and checked record by record (checkRecord).
 * Zip64 sizes and offsets come from the 0x0001 extra field. Only the checked entries are kept, column by column
 * (central-table.ts): the record count was capped by readEndRecord, so memory stays bounded whatever the directory
 * declares.
 */
export async function readCentralEntries(fh: fsp.FileHandle, end: EndRecord): Promise<CentralTable> {
  // Sized once from the end record (its record count is capped and each record takes at least CENTRAL_MIN bytes of
  // cdSize): growing by doubling allocated about twice what the table finally held.
  const entries = new CentralTable({ records: end.records, nameBytes: Math.max(0, end.cdSize - end.records * CENTRAL_MIN) });
  const limit = end.cdOffset + end.cdSize;
  let winStart = end.cdOffset;
  // One window, read into again and again: a new megabyte for each was garbage the size of the directory.
  const buffer = Buffer.allocUnsafe(Math.min(CD_WINDOW, end.cdSize));
  let win: Buffer = buffer.subarray(0, 0);
  let pos = end.cdOffset;
  const slice = new TimeSlice();
  const ensure = async (from: number, length: number) => {
    if (from + length > limit) throw notAnArchive('central directory overruns its declared size');
    if (from >= winStart && from + length <= winStart + win.length) return;
    const wanted = Math.min(limit - from, CD_WINDOW);
    const { bytesRead } = await fh.read(buffer, 0, wanted, from);
    if (bytesRead !== wanted) throw notAnArchive('unexpected end of file');
    winStart = from;
    win = buffer.subarray(0, wanted);
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
    const sizes: Pick<RawRecord, 'uncompressedSize' | 'compressedSize' | 'offset'> = {
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
    const pathBuffer = win.subarray(at + CENTRAL_MIN, at + CENTRAL_MIN + fileNameLength);
    const entry = checkRecord(entries, end.cdOffset, {
      pathBuffer,
      flags: win.readUInt16LE(at + 8),
      method: win.readUInt16LE(at + 10),
      crc32: win.readUInt32LE(at + 16),
      ...sizes,
    });
    entries.add(entry.path, pathBuffer, entry);
    pos += length;
    // A megabyte window holds about 15,000 records: checked in slices, not in one hold of the event loop.
    if ((i & 255) === 255 && slice.due()) await slice.pause();
  }
  entries.trim();
  return entries;
}
