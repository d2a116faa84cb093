import crypto from 'crypto';
// eslint-disable-next-line @typescript-eslint/no-var-requires
const fast = require('../fast-crc32.js');
// The real package, past the jest mapping that points `crc-32` at our shim.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const reference = jest.requireActual('crc-32/crc32.js');

describe('native CRC-32 stand-in for crc-32', () => {
  it('gives the same signed values as the crc-32 package, whole and chained', () => {
    for (const size of [0, 1, 7, 1000, 1 << 20]) {
      const data = crypto.randomBytes(size);
      expect(fast.buf(data)).toBe(reference.buf(data));
      const cut = Math.floor(size / 3);
      expect(fast.buf(data.subarray(cut), fast.buf(data.subarray(0, cut)))).toBe(reference.buf(data));
    }
    expect(fast.str('manifest.json')).toBe(reference.str('manifest.json'));
  });
});
