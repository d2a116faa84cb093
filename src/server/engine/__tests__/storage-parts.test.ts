import { execFileSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { folderSize, SizeSum } from '../storage-parts';

describe('folderSize', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bm-size-'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('sums regular files at every depth, not symlinks or special files, and answers 0 for a missing folder', async () => {
    fs.mkdirSync(path.join(tmp, 'a/b/c'), { recursive: true });
    fs.writeFileSync(path.join(tmp, 'top'), Buffer.alloc(10));
    fs.writeFileSync(path.join(tmp, 'a/one'), Buffer.alloc(200));
    fs.writeFileSync(path.join(tmp, 'a/b/c/deep'), Buffer.alloc(3000));
    fs.writeFileSync(path.join(os.tmpdir(), `bm-size-outside-${process.pid}`), Buffer.alloc(50_000));
    fs.symlinkSync(path.join(os.tmpdir(), `bm-size-outside-${process.pid}`), path.join(tmp, 'link'));
    fs.symlinkSync(os.tmpdir(), path.join(tmp, 'dirlink'));
    execFileSync('mkfifo', [path.join(tmp, 'fifo')]);
    try {
      expect(await folderSize(tmp)).toBe(3210);
    } finally {
      fs.rmSync(path.join(os.tmpdir(), `bm-size-outside-${process.pid}`), { force: true });
    }
    expect(await folderSize(path.join(tmp, 'missing'))).toBe(0);
  });
});

describe('SizeSum', () => {
  const sumOf = (chunks: string[]) => {
    const s = new SizeSum();
    for (const c of chunks) s.write(Buffer.from(c, 'latin1'));
    return s.total();
  };

  it('sums the lines whatever the chunks cut, the last line with or without its newline', () => {
    expect(sumOf(['12\n3', '4\n', '5'])).toBe(12 + 34 + 5);
    expect(sumOf(['1', '0', '0\n', '2000\n'])).toBe(2100);
    expect(sumOf([])).toBe(0);
  });

  it('answers null when a line is not a size (a find that printed something else)', () => {
    expect(sumOf(['12\n-printf: unknown\n'])).toBeNull();
    expect(sumOf(['12\n\n3\n'])).toBeNull();
  });
});

describe('folderSize of several folders', () => {
  it('sums them in one listing; a missing one counts 0', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bm-size2-'));
    try {
      fs.mkdirSync(path.join(tmp, 'a/x'), { recursive: true });
      fs.mkdirSync(path.join(tmp, 'b'));
      fs.writeFileSync(path.join(tmp, 'a/x/one'), Buffer.alloc(1000));
      fs.writeFileSync(path.join(tmp, 'b/two'), Buffer.alloc(234));
      expect(await folderSize(path.join(tmp, 'a'), path.join(tmp, 'b'), path.join(tmp, 'missing'))).toBe(1234);
      expect(await folderSize(path.join(tmp, 'missing'))).toBe(0);
      // An uploads folder that is itself a link (to another disk) is measured where it points, as it is packed;
      // links inside are still left out.
      fs.symlinkSync(path.join(tmp, 'a'), path.join(tmp, 'linked'));
      expect(await folderSize(path.join(tmp, 'linked'), path.join(tmp, 'b'))).toBe(1234);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
