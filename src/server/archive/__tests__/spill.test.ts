import { randomBytes } from 'crypto';
import fs from 'fs';
import fsp from 'fs/promises';
import path from 'path';
import { Spill, SPILL_READ } from '../spill';
import { makeTmp } from './helpers';

let tmp: string;
beforeEach(async () => {
  tmp = await makeTmp();
});
afterEach(async () => {
  await fsp.rm(tmp, { recursive: true, force: true });
});

async function readAll(s: Spill): Promise<{ bytes: Buffer; pieces: number }> {
  const out: Buffer[] = [];
  for await (const piece of s.read()) {
    expect(piece.length).toBeLessThanOrEqual(SPILL_READ);
    out.push(Buffer.from(piece)); // a view of a reused buffer: copied before the next
  }
  return { bytes: Buffer.concat(out), pieces: out.length };
}

describe('Spill', () => {
  it('gives back, in order, bytes, strings and reserved regions appended across many buffer flushes', async () => {
    const s = new Spill(tmp);
    const expected: Buffer[] = [];
    for (let i = 0; i < 3000; i++) {
      const bytes = randomBytes(1 + ((i * 7919) % 1500));
      if (i % 3 === 0) s.append(bytes);
      else if (i % 3 === 1) {
        // Part of a larger buffer only.
        const wider = Buffer.concat([randomBytes(5), bytes, randomBytes(7)]);
        s.append(wider, 5, 5 + bytes.length);
      } else {
        const { target, at } = s.reserve(bytes.length);
        bytes.copy(target, at);
      }
      expected.push(bytes);
      const text = `,{"path":"storage/uploads/é-${i}","size":${i}}`;
      s.appendString(text);
      expected.push(Buffer.from(text, 'utf8'));
    }
    // One piece larger than the buffer itself.
    const big = randomBytes(2.5 * 1024 * 1024);
    s.append(big);
    expected.push(big);
    const all = Buffer.concat(expected);
    expect(s.size).toBe(all.length);
    const { bytes, pieces } = await readAll(s);
    expect(bytes.equals(all)).toBe(true);
    expect(pieces).toBe(Math.ceil(all.length / SPILL_READ));
    s.close();
    s.close(); // twice is fine
  });

  it('leaves no file behind, even before it is closed (a crash cannot leave one), and refuses use once closed', async () => {
    const s = new Spill(tmp);
    s.append(randomBytes(3 * 1024 * 1024));
    expect(fs.readdirSync(tmp)).toEqual([]);
    s.close();
    expect(() => s.append(randomBytes(2 * 1024 * 1024))).toThrow('closed');
    await expect(readAll(s)).rejects.toThrow('closed');
  });

  it('an empty spill reads back nothing', async () => {
    const s = new Spill(tmp);
    expect((await readAll(s)).bytes.length).toBe(0);
    s.close();
  });

  it('refuses a region over its buffer, and a folder it cannot write in', () => {
    const s = new Spill(tmp);
    expect(() => s.reserve(2 * 1024 * 1024)).toThrow(RangeError);
    s.close();
    expect(() => new Spill(path.join(tmp, 'missing'))).toThrow(/ENOENT/);
  });
});
