import { execFileSync } from 'child_process';
import { randomBytes } from 'crypto';
import fs from 'fs';
import fsp from 'fs/promises';
import path from 'path';
import { PassThrough } from 'stream';
import * as unzipper from 'unzipper';
import { crc32 } from '../crc32';
import { rawEntryStream } from '../entry-data';
import { openArchive } from '../zip-directory';
import { centralRecord, dosDateTime, endRecords, ZipOut } from '../zip-out';
import { makeTmp } from './helpers';

// Our own ZIP records (zip-out.ts) read back by independent readers: unzipper (and Info-ZIP's unzip where present),
// and by our reader.

let tmp: string;
beforeEach(async () => {
  tmp = await makeTmp();
});
afterEach(async () => {
  await fsp.rm(tmp, { recursive: true, force: true });
});

const hasUnzip = (() => {
  try {
    execFileSync('sh', ['-c', 'command -v unzip'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

async function writeZip(file: string, fill: (z: ZipOut) => Promise<void>): Promise<void> {
  const out = fs.createWriteStream(file);
  const closed = new Promise<void>((resolve, reject) => {
    out.once('close', resolve);
    out.once('error', reject);
  });
  const z = new ZipOut(out, new Date(2026, 11, 5, 10, 30, 44));
  await fill(z);
  await z.finish();
  await closed;
}

const readAll = async (s: NodeJS.ReadableStream) => {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
};

describe('ZipOut', () => {
  it('known-size, streamed, empty and multi-piece entries read back by unzipper and by our reader, CRCs right', async () => {
    const file = path.join(tmp, 'a.zip');
    const small = randomBytes(2048);
    const large = randomBytes(3 * 1024 * 1024 + 17); // several staging buffers, direct writes
    const pieces = [randomBytes(10), randomBytes(70 * 1024), randomBytes(5)];
    await writeZip(file, async (z) => {
      await z.addKnown('s/small.bin', [small]);
      await z.addKnown('s/empty', []);
      await z.addKnown('s/pieces', pieces);
      const st = await z.beginStreamed('db/main.dump');
      for (let at = 0; at < large.length; at += 100_000) await st.data(large.subarray(at, at + 100_000));
      await st.end();
      await z.addKnown('名前/ünïcode.txt', [Buffer.from('hello')]);
    });
    const expected: Record<string, Buffer> = {
      's/small.bin': small,
      's/empty': Buffer.alloc(0),
      's/pieces': Buffer.concat(pieces),
      'db/main.dump': large,
      '名前/ünïcode.txt': Buffer.from('hello'),
    };
    const dir = await unzipper.Open.file(file);
    expect(dir.files.map((f) => f.path)).toEqual(Object.keys(expected));
    for (const f of dir.files) {
      const data = await f.buffer();
      expect(data.equals(expected[f.path])).toBe(true);
      expect(f.crc32 >>> 0).toBe(crc32(expected[f.path]));
      expect(f.compressionMethod).toBe(0);
    }
    const z = await openArchive(file);
    try {
      for (const [name, data] of Object.entries(expected)) {
        const e = z.entries.get(name)!;
        expect(e.size).toBe(data.length);
        expect((await readAll(rawEntryStream(z, e))).equals(data)).toBe(true);
      }
    } finally {
      await z.close();
    }
    if (hasUnzip) execFileSync('unzip', ['-tq', file]);
  });

  it('more than 65,535 entries: zip64 end records that both readers accept', async () => {
    const file = path.join(tmp, 'many.zip');
    const count = 70_000;
    await writeZip(file, async (z) => {
      for (let i = 0; i < count; i++) await z.addKnown(`f/${i}`, [Buffer.from(String(i))]);
    });
    const z = await openArchive(file);
    try {
      expect(z.entries.size).toBe(count);
      expect((await readAll(rawEntryStream(z, z.entries.get('f/69999')!))).toString()).toBe('69999');
    } finally {
      await z.close();
    }
    const dir = await unzipper.Open.file(file);
    expect(dir.files.length).toBe(count);
    const tail = fs.readFileSync(file).subarray(-22);
    expect(tail.readUInt16LE(10)).toBe(0xffff); // the classic record defers to the zip64 one
  });

  it('a sink that fails rejects the write in flight and every later one', async () => {
    const sink = new PassThrough({ highWaterMark: 1 }); // never read: the first staged write waits for drain
    const z = new ZipOut(sink, new Date());
    const big = randomBytes(2 * 1024 * 1024);
    const pending = z.addKnown('a', [big]);
    z.fail(new Error('disk gone'));
    await expect(pending).rejects.toThrow('disk gone');
    await expect(z.addKnown('b', [Buffer.from('x')])).rejects.toThrow('disk gone');
  });

  it('addKnownNow: each entry written before the call returns, read back like addKnown by both readers', async () => {
    const file = path.join(tmp, 'now.zip');
    const pieces = Array.from({ length: 3000 }, (_, i) => randomBytes((i * 37) % 4000));
    await writeZip(file, async (z) => {
      for (let i = 0; i < pieces.length; i++) {
        if (i % 2) await z.addKnown(`k/${i}`, [pieces[i]]);
        else {
          // The caller's buffer, with the piece in the middle, overwritten as soon as the call returns.
          const reused = Buffer.concat([randomBytes(7), pieces[i], randomBytes(5)]);
          const wait = z.addKnownNow(`n/${i}`, reused, 7, 7 + pieces[i].length, crc32(pieces[i]));
          reused.fill(0xee);
          if (wait) await wait;
        }
      }
    });
    const z = await openArchive(file);
    try {
      expect(z.entries.size).toBe(pieces.length);
      for (const i of [0, 1, 2, 998, 1500, 2999]) {
        const name = `${i % 2 ? 'k' : 'n'}/${i}`;
        expect((await readAll(rawEntryStream(z, z.entries.get(name)!))).equals(pieces[i])).toBe(true);
      }
    } finally {
      await z.close();
    }
    const dir = await unzipper.Open.file(file);
    const entry = dir.files.find((f) => f.path === 'n/1500')!;
    expect((await entry.buffer()).equals(pieces[1500])).toBe(true);
    if (hasUnzip) execFileSync('unzip', ['-tq', file]); // Info-ZIP checks every CRC
  });

  it('addKnownNow on a full sink answers a wait (also as `pressure`); a failure rejects it and refuses what follows', async () => {
    const sink = new PassThrough({ highWaterMark: 1 }); // never read: the first staged write waits for drain
    const z = new ZipOut(sink, new Date());
    let wait: Promise<void> | null = null;
    let added = 0;
    while (!wait && added < 5000) wait = z.addKnownNow(`p/${added++}`, randomBytes(1024), 0, 1024, 0);
    expect(wait).toBeInstanceOf(Promise);
    expect(added).toBeLessThan(2000); // about a megabyte staged, then the sink's answer
    expect(z.pressure).toBe(wait);
    z.fail(new Error('disk gone'));
    await expect(wait).rejects.toThrow('disk gone');
    expect(() => z.addKnownNow('x', Buffer.from('x'), 0, 1, 0)).toThrow('disk gone');
  });

  it('records past 4 GiB carry their sizes and offset in a zip64 extra field', () => {
    const dos = dosDateTime(new Date(2026, 0, 1));
    const name = 'db/main.dump';
    const rec = centralRecord({ name, crc: 1, size: 5 * 2 ** 30, offset: 6 * 2 ** 30, streamed: true }, dos);
    expect(rec.readUInt32LE(20)).toBe(0xffffffff);
    expect(rec.readUInt32LE(24)).toBe(0xffffffff);
    expect(rec.readUInt32LE(42)).toBe(0xffffffff);
    const x = 46 + name.length;
    expect(rec.readUInt16LE(x)).toBe(0x0001);
    expect(rec.readUInt16LE(x + 2)).toBe(24);
    expect(Number(rec.readBigUInt64LE(x + 4))).toBe(5 * 2 ** 30);
    expect(Number(rec.readBigUInt64LE(x + 12))).toBe(5 * 2 ** 30);
    expect(Number(rec.readBigUInt64LE(x + 20))).toBe(6 * 2 ** 30);
    const small = centralRecord({ name, crc: 1, size: 10, offset: 20, streamed: false }, dos);
    expect(small.readUInt16LE(30)).toBe(0); // no extra field when everything fits
    expect(endRecords(3, 2 ** 32, 100).readUInt32LE(0)).toBe(0x06064b50); // a directory past 4 GiB: zip64 first
    expect(endRecords(3, 100, 100).length).toBe(22);
  });
});
