import { createHash } from 'crypto';
import fs from 'fs';
import fsp from 'fs/promises';
import path from 'path';
import { FileMaker, MakeError } from '../file-maker';
import { makeTmp, occurrencesInHeap } from './helpers';

// The file maker's batches carry paths and numbers in transferred buffers, not an object per file (file-maker.ts):
// what is checked here is that every file still comes out with its own content, mode and name, in order, and that a
// failure names the right file.

let tmp: string;
beforeEach(async () => {
  tmp = await makeTmp();
});
afterEach(async () => {
  await fsp.rm(tmp, { recursive: true, force: true });
});

const digest = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

describe('FileMaker', () => {
  it('creates thousands of files across batches with their content, mode and UTF-8 names', async () => {
    const made: string[] = [];
    const maker = new FileMaker((t) => made.push(t));
    const expected = new Map<string, { sha: string; mode: number }>();
    // 5,000 files: more than the three batches of 1,024 files, so buffers come back and are filled again.
    for (let i = 0; i < 5000; i++) {
      const name = i % 7 === 0 ? `übersicht-文件-${i}.txt` : `file-${i}.bin`;
      const target = path.join(tmp, name);
      const data = Buffer.from(`content of ${i} `.repeat(1 + (i % 13)));
      const mode = i % 2 ? 0o640 : 0o600;
      const wait = maker.add(target, `uploads/${name}`, data, mode);
      if (wait) await wait;
      expected.set(target, { sha: digest(data), mode });
    }
    await maker.settle();
    await maker.close();
    expect(made).toEqual([...expected.keys()]);
    for (const [target, { sha, mode }] of expected) {
      expect(digest(fs.readFileSync(target))).toBe(sha);
      expect(fs.statSync(target).mode & 0o777).toBe(mode);
    }
  });

  it('sends a batch early when the names fill it, and takes a name as long as a batch allows', async () => {
    const maker = new FileMaker();
    // The batches sent to the worker, counted (white box: nothing else tells them apart).
    const worker = (maker as unknown as { worker: { postMessage: (...a: unknown[]) => void } }).worker;
    const post = worker.postMessage.bind(worker);
    let batches = 0;
    worker.postMessage = (...a: unknown[]) => {
      batches++;
      post(...a);
    };
    const dir = path.join(tmp, 'd'.repeat(250));
    fs.mkdirSync(dir);
    const targets: string[] = [];
    // Each file's names take over 570 bytes: the 512 KiB of names of a batch fill at about 900 files, before its 1,024.
    for (let i = 0; i < 3000; i++) {
      const target = path.join(dir, `${'n'.repeat(30)}-${i}`);
      const wait = maker.add(target, `storage/uploads/${'d'.repeat(250)}/${i}`, Buffer.from(String(i)), 0o600);
      if (wait) await wait;
      targets.push(target);
    }
    await maker.settle();
    await maker.close();
    expect(batches).toBe(4); // 3 if only the file count sent them
    for (const [i, t] of targets.entries()) expect(fs.readFileSync(t, 'utf8')).toBe(String(i));
    expect(FileMaker.fits('x'.repeat(FileMaker.MAX_NAMES - 1), 'y', Buffer.alloc(1))).toBe(true);
    expect(FileMaker.fits('x'.repeat(FileMaker.MAX_NAMES), 'y', Buffer.alloc(1))).toBe(false);
    expect(FileMaker.fits('é'.repeat(FileMaker.MAX_NAMES / 2), '', Buffer.alloc(1))).toBe(true);
    expect(FileMaker.fits('é'.repeat(FileMaker.MAX_NAMES / 2 + 1), '', Buffer.alloc(1))).toBe(false);
    expect(FileMaker.fits('a', 'b', Buffer.alloc(FileMaker.MAX_FILE + 1))).toBe(false);
    // A name with a NUL is never queued: it takes the synchronous path, where Node refuses it.
    expect(FileMaker.fits(path.join(tmp, 'x\0y'), 'x', Buffer.alloc(1))).toBe(false);
    expect(FileMaker.fits(path.join(tmp, 'x'), 'x\0y', Buffer.alloc(1))).toBe(false);
    const refusing = new FileMaker();
    expect(() => refusing.add(path.join(tmp, 'x\0y'), 'x', Buffer.alloc(1), 0o600)).toThrow(RangeError);
    await refusing.close();
  });

  it('holds no string per file while its batches are with the worker (they were promoted as garbage)', async () => {
    const maker = new FileMaker(() => undefined);
    // Made at run time, so that this file's source (a heap string too) does not hold it.
    const marker = ['queued', 'file', String(process.pid), ''].join('-');
    let wait: Promise<void> | undefined;
    let queued = 0;
    // Until add() must wait: three batches of 1,024 files are then sent, and their replies cannot run before this
    // thread turns, so whatever the maker keeps per file is still kept when the snapshot is taken.
    while (!wait) wait = maker.add(path.join(tmp, `${marker}${queued}`), `uploads/${marker}${queued++}`, Buffer.from('x'), 0o600);
    const found = await occurrencesInHeap(marker);
    await wait;
    await maker.settle();
    await maker.close();
    expect(queued).toBe(3 * 1024 + 1);
    // The file add() waits with (its target and entry path), nothing for the 3,072 others (6,144 strings before).
    expect(found).toBeLessThanOrEqual(4);
    expect(fs.readdirSync(tmp)).toHaveLength(queued);
  });

  it('names the file that could not be created, made those before it and none after', async () => {
    const made: string[] = [];
    const maker = new FileMaker((t) => made.push(t));
    const blocked = path.join(tmp, 'f-1500-ü');
    fs.writeFileSync(blocked, 'already here');
    let failure: unknown = null;
    try {
      for (let i = 0; i < 3000; i++) {
        const name = i === 1500 ? 'f-1500-ü' : `f-${i}`;
        const wait = maker.add(path.join(tmp, name), `uploads/${name}`, Buffer.from(`v${i}`), 0o600);
        if (wait) await wait;
      }
      await maker.settle();
    } catch (err) {
      failure = err;
    }
    await maker.close();
    expect(failure).toBeInstanceOf(MakeError);
    expect(failure).toMatchObject({ code: 'EEXIST', target: blocked, entryPath: 'uploads/f-1500-ü' });
    expect(made).toHaveLength(1500);
    expect(made[1499]).toBe(path.join(tmp, 'f-1499'));
    expect(fs.readFileSync(blocked, 'utf8')).toBe('already here');
    expect(fs.existsSync(path.join(tmp, 'f-1501'))).toBe(false);
    expect(fs.existsSync(path.join(tmp, 'f-2999'))).toBe(false);
  });
});
