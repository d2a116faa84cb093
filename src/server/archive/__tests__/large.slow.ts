// Slow checks (4 GiB+ entries, 65,600 entries), run on demand: npm run test:slow
// They write a > 4 GiB archive (zip64 sizes and offsets) and one with > 65535 entries (zip64 end record).
import { execFileSync } from 'child_process';
import { createHash } from 'crypto';
import fsp from 'fs/promises';
import path from 'path';
import { Readable } from 'stream';
import { ARCHIVE_EXT } from '../../../constants';
import { readManifest, verifyArchive } from '../reader';
import { ArchiveWriter } from '../writer';
import { draft, makeTmp } from './helpers';

const run = describe;
const MB = 1024 * 1024;

let tmp: string;
beforeEach(async () => {
  tmp = await makeTmp();
});
afterEach(async () => {
  await fsp.rm(tmp, { recursive: true, force: true });
});

/** `total` bytes made of one constant 1 MiB block (position-stamped so entries differ from pure zeros). */
function constant(total: number) {
  const block = Buffer.alloc(MB, 0x5a);
  let left = total;
  return new Readable({
    read() {
      if (left <= 0) return void this.push(null);
      const n = Math.min(MB, left);
      left -= n;
      this.push(n === MB ? block : block.subarray(0, n));
    },
  });
}

run('large archives', () => {
  it('an entry over 4 GiB and an entry after the 4 GiB offset (zip64)', async () => {
    const size = 4 * 1024 * MB + 123_457;
    const w = await ArchiveWriter.create(path.join(tmp, 'big' + ARCHIVE_EXT), { tmpDir: tmp });
    const big = await w.addStream('db/main.dump', constant(size));
    const small = await w.addBuffer('storage/uploads/after.txt', 'after the 4 GiB mark');
    const res = await w.finish(draft());
    expect(big.size).toBe(size);
    const expected = createHash('sha256');
    const block = Buffer.alloc(MB, 0x5a);
    for (let left = size; left > 0; left -= MB) expected.update(left >= MB ? block : block.subarray(0, left));
    expect(big.sha256).toBe(expected.digest('hex'));

    const m = await readManifest(res.path);
    expect(m.entries).toEqual([big, small]);
    await verifyArchive(res.path);
    execFileSync('unzip', ['-tq', res.path], { stdio: 'ignore' });
    expect(res.size / size).toBeLessThan(1.001);
  }, 900_000);

  it('more than 65535 entries', async () => {
    const w = await ArchiveWriter.create(path.join(tmp, 'many' + ARCHIVE_EXT), { tmpDir: tmp });
    await w.addBuffer('db/main.dump', 'dump');
    const n = 65_600;
    for (let i = 0; i < n; i++) await w.addBuffer(`storage/uploads/${i}`, String(i));
    const { path: p } = await w.finish(draft());
    const tail = (await fsp.readFile(p)).subarray(-22);
    expect(tail.readUInt16LE(10)).toBe(0xffff);
    const m = await readManifest(p);
    expect(m.entries).toHaveLength(n + 1);
    await verifyArchive(p);
  }, 300_000);
});
