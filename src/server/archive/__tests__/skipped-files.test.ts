import { execFileSync } from 'child_process';
import fsp from 'fs/promises';
import path from 'path';
import { ARCHIVE_EXT } from '../../../constants';
import { summaryOf } from '../../tasks/summary';
import { MAX_SKIPPED_LISTED, validateManifest } from '../manifest';
import { readManifest } from '../reader';
import { ArchiveWriter } from '../writer';
import { draft, entryOf, makeTmp, manifestFor } from './helpers';

// Files a backup cannot carry (symlinks, FIFOs, names with a backslash) must not vanish silently: the manifest and
// the task summary list them with the reason, bounded so that a hostile folder cannot bloat the manifest.

let tmp: string;
beforeEach(async () => {
  tmp = await makeTmp();
});
afterEach(async () => {
  await fsp.rm(tmp, { recursive: true, force: true });
});

async function pack(src: string) {
  const w = await ArchiveWriter.create(path.join(tmp, 'out', `b${ARCHIVE_EXT}`), { tmpDir: path.join(tmp, 'work') });
  await w.addBuffer('db/main.dump', 'dump');
  await w.addDirectory('storage/uploads', src);
  return w.finish({ ...draft(), parts: ['database', 'uploads'] });
}

describe('skipped files', () => {
  it('are listed in the manifest with their reason, and in the task summary', async () => {
    const src = path.join(tmp, 'uploads');
    await fsp.mkdir(path.join(src, 'sub'), { recursive: true });
    await fsp.writeFile(path.join(src, 'kept.txt'), 'kept');
    await fsp.symlink('/etc/passwd', path.join(src, 'sub', 'link'));
    await fsp.writeFile(path.join(src, 'back\\slash.txt'), 'bs');
    execFileSync('mkfifo', [path.join(src, 'pipe')]);

    const res = await pack(src);
    const expected = [
      { path: 'storage/uploads/back\\slash.txt', reason: 'unsafe name' },
      { path: 'storage/uploads/pipe', reason: 'not a regular file' },
      { path: 'storage/uploads/sub/link', reason: 'symlink' },
    ];
    expect(res.manifest.skippedFiles).toEqual(expected);
    expect(res.manifest.skippedFileCount).toBe(3);
    const read = await readManifest(res.path);
    expect(read.skippedFiles).toEqual(expected);
    expect(summaryOf(read, res.size)).toMatchObject({ skippedFiles: expected, skippedFileCount: 3 });
  });

  it('keeps no field when nothing was skipped', async () => {
    const src = path.join(tmp, 'uploads');
    await fsp.mkdir(src);
    await fsp.writeFile(path.join(src, 'a.txt'), 'a');
    const res = await pack(src);
    expect(res.manifest).not.toHaveProperty('skippedFiles');
    expect(summaryOf(res.manifest, res.size)).toMatchObject({ skippedFiles: [], skippedFileCount: 0 });
  });

  it('lists the first entries only, with the full count, in the manifest and fewer in the summary', async () => {
    const src = path.join(tmp, 'uploads');
    await fsp.mkdir(src);
    const n = MAX_SKIPPED_LISTED + 7;
    for (let i = 0; i < n; i++) await fsp.symlink('/nowhere', path.join(src, `l${String(i).padStart(5, '0')}`));
    const res = await pack(src);
    expect(res.manifest.skippedFiles).toHaveLength(MAX_SKIPPED_LISTED);
    expect(res.manifest.skippedFileCount).toBe(n);
    const summary = summaryOf(res.manifest, res.size);
    expect(summary.skippedFileCount).toBe(n);
    expect(summary.skippedFiles.length).toBeLessThanOrEqual(100);
  });

  it('refuses a malformed or oversized list in a manifest it reads', () => {
    const base = manifestFor([entryOf('db/main.dump', Buffer.from('x'))]);
    const ok = { ...base, skippedFiles: [{ path: 'storage/uploads/a', reason: 'symlink' }], skippedFileCount: 1 };
    expect(validateManifest(ok).skippedFileCount).toBe(1);
    for (const bad of [
      { skippedFiles: 'x', skippedFileCount: 1 },
      { skippedFiles: [{ path: 1, reason: 'symlink' }], skippedFileCount: 1 },
      { skippedFiles: [{ path: 'a', reason: 'symlink' }], skippedFileCount: 0 },
      { skippedFiles: [], skippedFileCount: -1 },
      {
        skippedFiles: Array.from({ length: MAX_SKIPPED_LISTED + 1 }, () => ({ path: 'a', reason: 'symlink' })),
        skippedFileCount: MAX_SKIPPED_LISTED + 1,
      },
    ]) {
      expect(() => validateManifest({ ...base, ...bad })).toThrow(/skippedFile/);
    }
  });
});
