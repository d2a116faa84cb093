import fs from 'fs';
import fsp from 'fs/promises';
import path from 'path';
import { checkNoOverlap } from './central-check';
import { readCentralEntries } from './central-records';
import type { CentralIndex, CentralTable } from './central-table';
import { ArchiveError, isArchiveError } from './errors';
import { notAnArchive } from './zip-basics';
import { readEndRecord, type EndRecord } from './zip-end-record';
import { errnoOf, messageOf } from '../errno';

// Opening an archive: its end record (zip-end-record.ts), then its central directory read (central-records.ts) and
// checked record by record (central-check.ts) before any entry data is read (entry-data.ts).

export interface OpenArchive {
  size: number;
  entries: CentralIndex;
  fh: fsp.FileHandle;
  /** Where entry data must end. */
  cdOffset: number;
  /** Destroys every stream opened for this archive, then closes its file descriptor. */
  close(): Promise<void>;
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
  } catch (err) {
    if (errnoOf(err) === 'ENOENT')
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
    let entries: CentralTable;
    try {
      end = await readEndRecord(fh, size);
      entries = await readCentralEntries(fh, end);
    } catch (err) {
      if (isArchiveError(err)) throw err;
      throw notAnArchive(`unreadable central directory (${messageOf(err)})`);
    }
    await checkNoOverlap(entries);
    const closeAll = async () => {
      await close();
      // Its memory goes now, not at the next full collection (central-table.ts, freeNow).
      entries.dispose();
    };
    return { size, entries, fh, cdOffset: end.cdOffset, close: closeAll };
  } catch (err) {
    await close();
    throw err;
  }
}

export async function withArchive<T>(archivePath: string, fn: (z: OpenArchive) => Promise<T>): Promise<T> {
  const z = await openArchive(archivePath);
  try {
    return await fn(z);
  } finally {
    await z.close();
  }
}
