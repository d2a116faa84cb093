// What the central directory needs of each entry written, kept in columns until the archive is finished. One object
// per entry was what every small file of a folder left behind: in NocoBase's process each surviving object is copied
// by the young-generation collector (pauses of 8–22 ms were measured while a backup of 50,000 files ran, each one a
// delay for every request waiting), and at 500,000 files the objects alone weighed tens of MB.

/** One entry's central directory facts. */
export interface ZipRecord {
  /** Kept as the string (often the manifest entry's own). */
  name: string;
  crc: number;
  size: number;
  offset: number;
  /** Streamed: zip64 local header and data descriptor. */
  streamed: boolean;
}

const FIRST_CAPACITY = 1024;

/** An append-only list of ZipRecords: a string per entry, its numbers in typed arrays (21 bytes). */
export class ZipRecords {
  private readonly names: string[] = [];
  private crc = new Uint32Array(FIRST_CAPACITY);
  private size = new Float64Array(FIRST_CAPACITY);
  private offset = new Float64Array(FIRST_CAPACITY);
  private streamed = new Uint8Array(FIRST_CAPACITY);

  get length(): number {
    return this.names.length;
  }

  push(name: string, crc: number, size: number, offset: number, streamed: boolean): void {
    const i = this.names.length;
    if (i === this.crc.length) this.grow();
    this.names.push(name);
    this.crc[i] = crc;
    this.size[i] = size;
    this.offset[i] = offset;
    this.streamed[i] = streamed ? 1 : 0;
  }

  /** Record `i` as an object (made on demand: it dies young). */
  at(i: number): ZipRecord {
    if (!(i >= 0 && i < this.names.length)) throw new RangeError(`no ZIP record ${i}`);
    return { name: this.names[i], crc: this.crc[i], size: this.size[i], offset: this.offset[i], streamed: this.streamed[i] === 1 };
  }

  private grow(): void {
    const n = this.crc.length * 2;
    const crc = new Uint32Array(n);
    crc.set(this.crc);
    const size = new Float64Array(n);
    size.set(this.size);
    const offset = new Float64Array(n);
    offset.set(this.offset);
    const streamed = new Uint8Array(n);
    streamed.set(this.streamed);
    Object.assign(this, { crc, size, offset, streamed });
  }
}
