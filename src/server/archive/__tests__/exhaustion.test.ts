import archiver from 'archiver';
import { execFileSync } from 'child_process';
import { randomBytes } from 'crypto';
import fs from 'fs';
import fsp from 'fs/promises';
import path from 'path';
import { ARCHIVE_EXT } from '../../../constants';
import { checkFreeSpace } from '../free-space';
import { MANIFEST_NAME } from '../manifest';
import { extractVerified, readHeader, readManifest } from '../reader';
import { ArchiveWriter } from '../writer';
import { MAX_ZIP_RECORDS } from '../zip-end-record';
import { draft, entryOf, expectCode, makeTmp, manifestFor } from './helpers';

let tmp: string;
beforeEach(async () => {
  tmp = await makeTmp();
});
afterEach(async () => {
  await fsp.rm(tmp, { recursive: true, force: true });
});

/**
 * A sparse file ending in zip64 end records that declare `records` central directory records filling the file:
 * every structural bound holds, so only a cap on the count stops a reader from walking (and keeping) them all.
 */
async function hugeDirectory(file: string, records: number): Promise<void> {
  const cdSize = records * 46;
  const eocd64 = Buffer.alloc(56);
  eocd64.writeUInt32LE(0x06064b50, 0);
  eocd64.writeBigUInt64LE(44n, 4);
  eocd64.writeUInt16LE(45, 12);
  eocd64.writeUInt16LE(45, 14);
  eocd64.writeBigUInt64LE(BigInt(records), 24);
  eocd64.writeBigUInt64LE(BigInt(records), 32);
  eocd64.writeBigUInt64LE(BigInt(cdSize), 40);
  eocd64.writeBigUInt64LE(0n, 48);
  const locator = Buffer.alloc(20);
  locator.writeUInt32LE(0x07064b50, 0);
  locator.writeBigUInt64LE(BigInt(cdSize), 8);
  locator.writeUInt32LE(1, 16);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(0xffff, 8);
  eocd.writeUInt16LE(0xffff, 10);
  eocd.writeUInt32LE(0xffffffff, 12);
  eocd.writeUInt32LE(0xffffffff, 16);
  const fh = await fsp.open(file, 'w');
  await fh.truncate(cdSize);
  await fh.write(Buffer.concat([eocd64, locator, eocd]), 0, 98, cdSize);
  await fh.close();
}

describe('central directory record count', () => {
  it('a declared record count above the cap is refused before any record is read', async () => {
    const file = path.join(tmp, 'huge' + ARCHIVE_EXT);
    await hugeDirectory(file, 3_000_000);
    const started = Date.now();
    const err = await expectCode(readHeader(file), 'ARCHIVE_TOO_MANY_ENTRIES');
    expect(err.params).toMatchObject({ count: 3_000_000, max: MAX_ZIP_RECORDS });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('the cap admits every archive a readable manifest can describe', () => {
    // A manifest entry takes at least 98 bytes of JSON and manifest.json is read up to 128 MiB.
    expect(MAX_ZIP_RECORDS).toBeGreaterThan(1_300_000);
    expect(MAX_ZIP_RECORDS).toBeLessThan(1_500_000);
  });
});

describe('compression methods', () => {
  it('a deflated entry (never written by this plugin) is refused with ENTRY_UNSUPPORTED', async () => {
    const file = path.join(tmp, 'deflated' + ARCHIVE_EXT);
    const data = Buffer.from('x'.repeat(10_000));
    const listed = [entryOf('db/main.dump', data)];
    const a = archiver('zip', { zlib: { level: 9 } });
    const out = fs.createWriteStream(file);
    const closed = new Promise<void>((resolve, reject) => {
      out.on('close', () => resolve());
      a.on('error', reject);
    });
    a.pipe(out);
    a.append(data, { name: 'db/main.dump' });
    a.append(JSON.stringify(manifestFor(listed)), { name: MANIFEST_NAME, store: true } as archiver.EntryData);
    await a.finalize();
    await closed;
    const err = await expectCode(readManifest(file), 'ENTRY_UNSUPPORTED');
    expect(err.params).toMatchObject({ path: 'db/main.dump', reason: 'method 8' });
  });
});

describe('free space before staging', () => {
  it('checkFreeSpace: refuses when what is needed (plus a margin) exceeds what is free', () => {
    expect(() => checkFreeSpace(1000, 10 * 1024 * 1024 * 1024, '/x')).not.toThrow();
    const err = (() => {
      try {
        checkFreeSpace(5 * 1024 ** 3, 4 * 1024 ** 3, '/staging');
      } catch (e) {
        return e as any;
      }
    })();
    expect(err?.code).toBe('NOT_ENOUGH_SPACE');
    expect(err.status).toBe(507);
    expect(err.params).toMatchObject({ needed: '5 GiB', free: '4 GiB', where: '/staging' });
    // The margin: exactly as much free as needed is not enough.
    expect(() => checkFreeSpace(1000, 1000, '/x')).toThrow();
  });

  // Needs root (mount): a real 1 MiB filesystem as the staging folder's home.
  const canMount = (() => {
    try {
      return process.getuid?.() === 0 && fs.existsSync('/bin/mount');
    } catch {
      return false;
    }
  })();
  (canMount ? it : it.skip)('staging into a filesystem too small for the archive is refused before writing', async () => {
    const file = path.join(tmp, 'big' + ARCHIVE_EXT);
    const w = await ArchiveWriter.create(file, { tmpDir: path.join(tmp, 'work') });
    await w.addBuffer('db/main.dump', randomBytes(3 * 1024 * 1024));
    await w.finish(draft());
    const manifest = await readManifest(file);
    const mnt = path.join(tmp, 'small');
    await fsp.mkdir(mnt);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt]);
    try {
      const err = await expectCode(extractVerified(file, manifest, path.join(mnt, 'staging')), 'NOT_ENOUGH_SPACE');
      expect(err.params.where).toBe(mnt);
      expect(fs.readdirSync(mnt)).toEqual([]);
    } finally {
      execFileSync('umount', [mnt]);
    }
  });
});
