import zlib from 'zlib';

/** CRC-32 (IEEE, as used by ZIP): Node's native zlib.crc32 (Node ≥ 20.15), else a small table version. */
const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function tableCrc32(buf: Uint8Array, previous = 0): number {
  let c = (previous ^ 0xffffffff) >>> 0;
  for (let i = 0; i < buf.length; i++) c = TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const native = (zlib as unknown as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

/** `previous` continues a CRC over several pieces. */
export const crc32: (buf: Uint8Array, previous?: number) => number = native
  ? (buf, previous = 0) => native(buf, previous) >>> 0
  : tableCrc32;
