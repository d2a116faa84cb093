import { randomBytes } from 'crypto';
import fs from 'fs';
import fsp from 'fs/promises';
import path from 'path';
import { verifyArchive } from '../reader';
import { WriteBehind, type SyncFn } from '../write-behind';
import { ArchiveWriter } from '../writer';
import { draft, makeTmp, sha256 } from './helpers';

/** A sync function whose calls wait until the test settles them. */
function heldSync() {
  const calls: { fd: number; done: (err: NodeJS.ErrnoException | null) => void }[] = [];
  const sync: SyncFn = (fd, done) => calls.push({ fd, done });
  return { sync, calls };
}

describe('WriteBehind', () => {
  it('asks for a sync each step written, one at a time, and none after stop', async () => {
    const { sync, calls } = heldSync();
    const behind = new WriteBehind(7, 100, sync);
    behind.written(99);
    expect(calls).toHaveLength(0);
    behind.written(100);
    expect(calls.map((c) => c.fd)).toEqual([7]);
    behind.written(150); // one under way: not a second
    expect(calls).toHaveLength(1);
    calls[0].done(null);
    await new Promise(setImmediate);
    expect(calls).toHaveLength(1); // 50 bytes since the last one began
    behind.written(180);
    expect(calls).toHaveLength(1);
    behind.written(200);
    expect(calls).toHaveLength(2);
    behind.written(450);
    calls[1].done(null); // 250 bytes were written while it ran: the next starts at once
    expect(calls).toHaveLength(3);
    const stopping = behind.stop();
    let stopped = false;
    void stopping.then(() => (stopped = true));
    await new Promise(setImmediate);
    expect(stopped).toBe(false); // waits for the sync under way
    calls[2].done(null);
    await stopping;
    behind.written(10_000);
    expect(calls).toHaveLength(3);
  });

  it('keeps the first sync error for stop(), and starts no more syncs after it', async () => {
    const { sync, calls } = heldSync();
    const behind = new WriteBehind(3, 10, sync);
    behind.written(10);
    calls[0].done(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
    await new Promise(setImmediate);
    behind.written(100);
    expect(calls).toHaveLength(1);
    await expect(behind.stop()).rejects.toMatchObject({ code: 'EIO' });
  });
});

describe('ArchiveWriter with write-behind', () => {
  let tmp: string;
  beforeEach(async () => {
    tmp = await makeTmp();
  });
  afterEach(async () => {
    await fsp.rm(tmp, { recursive: true, force: true });
  });

  async function folderOf(files: number, bytes: number): Promise<{ dir: string; digests: Map<string, string> }> {
    const dir = path.join(tmp, 'uploads');
    await fsp.mkdir(dir, { recursive: true });
    const digests = new Map<string, string>();
    for (let i = 0; i < files; i++) {
      const data = randomBytes(bytes);
      await fsp.writeFile(path.join(dir, `f${i}.bin`), data);
      digests.set(`storage/uploads/f${i}.bin`, sha256(data));
    }
    return { dir, digests };
  }

  it('syncs the archive file while it is written, and the archive is whole', async () => {
    const { dir, digests } = await folderOf(40, 100 * 1024); // 4 MB
    const fds: number[] = [];
    // A real sync, made at once: with the pool's fdatasync, one sync of a busy disk could outlast the whole packing
    // (one sync counted, a run of the full suite); what is asserted is that the writer asks while it writes.
    const sync: SyncFn = (fd, done) => {
      fds.push(fd);
      let err: NodeJS.ErrnoException | null = null;
      try {
        fs.fdatasyncSync(fd);
      } catch (e) {
        err = e as NodeJS.ErrnoException;
      }
      process.nextTick(() => done(err));
    };
    const final = path.join(tmp, 'out', 'a.nbbak');
    const writer = await ArchiveWriter.create(final, { tmpDir: path.join(tmp, 'part'), writeBehind: { step: 512 * 1024, sync } });
    await writer.addBuffer('db/main.dump', 'dump');
    await writer.addDirectory('storage/uploads', dir);
    await writer.finish(draft());
    // The output writes megabyte by megabyte: syncs of the archive's own descriptor before finish's fsync.
    expect(fds.length).toBeGreaterThanOrEqual(2);
    const manifest = await verifyArchive(final); // every entry read back against its hash
    const got = new Map(manifest.entries.filter((e) => e.path.startsWith('storage/')).map((e) => [e.path, e.sha256]));
    expect(got).toEqual(digests);
  });

  it('fails the archive when a sync failed, leaving neither it nor its partial file', async () => {
    const { dir } = await folderOf(20, 100 * 1024);
    let failed = 0;
    const sync: SyncFn = (_fd, done) => {
      failed++;
      setImmediate(() => done(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO', errno: -5 })));
    };
    const final = path.join(tmp, 'out', 'b.nbbak');
    const partDir = path.join(tmp, 'part');
    const writer = await ArchiveWriter.create(final, { tmpDir: partDir, writeBehind: { step: 256 * 1024, sync } });
    await writer.addBuffer('db/main.dump', 'dump');
    await writer.addDirectory('storage/uploads', dir);
    await expect(writer.finish(draft())).rejects.toMatchObject({ code: 'EIO' });
    expect(failed).toBe(1);
    expect(fs.existsSync(final)).toBe(false);
    expect(await fsp.readdir(partDir)).toEqual([]);
  });
});
