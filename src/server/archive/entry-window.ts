import fs from 'fs';
import type { CentralEntry, OpenArchive } from './zip-directory';

const SIG_LOCAL = 0x04034b50;
const LOCAL_MIN = 30;
const WINDOW = 1024 * 1024;

/**
 * Small entries read straight out of a 1 MiB window of the archive, with synchronous positional reads: entries follow
 * each other on disk, so one read serves dozens of small files, where a stream per entry cost more than the file.
 * The local header is checked as rawEntryStream checks it. What read() answers is a view of the window, valid until
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
    const nameBytes = Buffer.from(entry.path, 'utf8');
    const header = this.span(entry.offset, LOCAL_MIN + nameBytes.length);
    if (header.readUInt32LE(0) !== SIG_LOCAL) throw new Error('bad local file header');
    if (header.readUInt16LE(26) !== nameBytes.length || !header.subarray(LOCAL_MIN).equals(nameBytes)) {
      throw new Error('local file header names another entry');
    }
    const dataAt = entry.offset + LOCAL_MIN + nameBytes.length + header.readUInt16LE(28);
    if (dataAt + entry.size > this.z.cdOffset) throw new Error('entry data runs into the central directory');
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
