import { ZipRecords } from '../zip-records';

describe('ZipRecords', () => {
  it('answers every record as pushed, across growths, with 64-bit sizes and offsets and a full 32-bit CRC', () => {
    const r = new ZipRecords();
    const n = 5000; // several doublings past the first 1,024
    for (let i = 0; i < n; i++) r.push(`f/${i}`, (0xffffffff - i) >>> 0, i * 2 ** 33 + 7, i * 2 ** 40 + 3, i % 3 === 0);
    expect(r.length).toBe(n);
    for (const i of [0, 1, 1023, 1024, 2047, 2048, 4999]) {
      expect(r.at(i)).toEqual({ name: `f/${i}`, crc: (0xffffffff - i) >>> 0, size: i * 2 ** 33 + 7, offset: i * 2 ** 40 + 3, streamed: i % 3 === 0 });
    }
    expect(() => r.at(n)).toThrow(RangeError);
    expect(() => r.at(-1)).toThrow(RangeError);
  });
});
