import fs from 'fs';
import { entryDataOffset, localHeaderLength } from './entry-data';
import type { CentralEntry } from './zip-basics';
import type { OpenArchive } from './zip-directory';

const WINDOW = 1024 * 1024;

/**
 * Small entries read straight out of a 1 MiB window of the archive, with synchronous positional reads: entries follow
 * each other on disk, so one read serves dozens of small files, where a stream per entry cost more than the file.
 * The local header is checked as rawEntryStream checks it (entryDataOffset). What read() answers is a view of the window, valid until
 * the next call.
 */
export class EntryWindow {
  private buf = Buffer.allocUnsafe(WINDOW);
  private start = 0;
  private length = 0;

  constructor(private readonly z: OpenArchive) {}

  /** Entries up to this many stored bytes may be read here. */
  static readonly MAX_ENTRY = 256 * 1024;

  read(entry: CentralEntry): Buffer {
    const dataAt = entryDataOffset(this.span(entry.offset, localHeaderLength(entry)), entry, this.z.cdOffset);
    return this.span(dataAt, entry.size);
  }

  /** `len` bytes at `pos`, re-reading the window from `pos` when they are not all in it. */
  private span(pos: number, len: number): Buffer {
    if (pos < this.start || pos + len > this.start + this.length) {
      if (len > this.buf.length) this.buf = Buffer.allocUnsafe(len);
      const want = Math.min(this.buf.length, Math.max(len, this.z.cdOffset - pos));
      let got = 0;
      while (got < want) {
        const n = fs.readSync(this.z.fh.fd, this.buf, got, want - got, pos + got);
        if (n === 0) break;
        got += n;
      }
      if (got < len) throw new Error('unexpected end of file');
      this.start = pos;
      this.length = got;
    }
    return this.buf.subarray(pos - this.start, pos - this.start + len);
  }
}
