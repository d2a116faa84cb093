// Stands in for the `crc-32` package inside archiver's crc32-stream (wired by an esbuild alias and a jest
// moduleNameMapper): Node's native zlib.crc32 runs about 4x faster than the JavaScript table, which was the largest
// CPU cost of packing uploads (measured in docs/benchmarks.md). Same API and signed results as `crc-32`.
const zlib = require('zlib');

let table = null;
function tableCrc(data, seed) {
  if (!table) {
    table = new Int32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? -306674912 ^ (c >>> 1) : c >>> 1;
      table[n] = c;
    }
  }
  let crc = (seed || 0) ^ -1;
  for (let i = 0; i < data.length; i++) crc = (crc >>> 8) ^ table[(crc ^ data[i]) & 0xff];
  return crc ^ -1;
}

function buf(data, seed) {
  // zlib.crc32 exists from Node 20.15 / 22.2; older Node falls back to the table.
  if (typeof zlib.crc32 === 'function') return zlib.crc32(data, (seed || 0) >>> 0) | 0;
  return tableCrc(data, seed);
}

function str(text, seed) {
  return buf(Buffer.from(String(text), 'utf8'), seed);
}

module.exports = { buf, str, bstr: str, version: 'native' };
