import fs from 'fs';
import fsp from 'fs/promises';
import path from 'path';
import { ARCHIVE_EXT } from '../../../constants';
import { MANIFEST_NAME, validateManifest } from '../../archive/manifest';
import type { Manifest } from '../../archive/manifest-types';
import { readManifest } from '../../archive/reader';
import { ArchiveWriter } from '../../archive/writer';
import { buildZip, draft, entryOf, makeTmp, manifestFor } from '../../archive/__tests__/helpers';
import { dropAsides, swapForward, swapRecords } from '../../restore/storage-swap';
import { stageArchive } from '../restore';

// Restored uploads keep the modes they had at backup time (issue 15, item 6): recorded per file and per folder in
// the manifest, applied while staging, masked to the permission bits. Older archives keep 0644/0755.

const modeOf = (p: string) => fs.statSync(p).mode & 0o7777;

let tmp: string;
beforeEach(async () => {
  tmp = await makeTmp();
});
afterEach(async () => {
  // Folders restored read-only must still go.
  await fsp.chmod(tmp, 0o700);
  await fsp.rm(tmp, { recursive: true, force: true });
});

async function put(root: string, rel: string, mode: number, data = rel) {
  await fsp.mkdir(path.dirname(path.join(root, rel)), { recursive: true });
  await fsp.writeFile(path.join(root, rel), data);
  await fsp.chmod(path.join(root, rel), mode);
}

/** Stages the archive and puts its uploads in place as a restore does; answers the live uploads folder. */
async function restoreUploads(file: string, manifest: Manifest): Promise<string> {
  const staging = path.join(tmp, 'staging');
  await stageArchive(file, manifest, staging);
  const storage = path.join(tmp, 'storage');
  await fsp.mkdir(storage, { recursive: true });
  const records = swapRecords(storage, 'main', manifest, staging, 't1');
  await swapForward(records);
  await dropAsides(records);
  return path.join(storage, 'uploads');
}

describe('file modes across backup and restore', () => {
  it('records each file and folder mode at backup time and restores them', async () => {
    const src = path.join(tmp, 'uploads');
    await put(src, 'public.txt', 0o644);
    await put(src, 'private.txt', 0o600);
    await put(src, 'group.txt', 0o640);
    await put(src, 'tool.sh', 0o755);
    await put(src, 'closed/inner.txt', 0o604);
    await fsp.chmod(path.join(src, 'closed'), 0o750);
    await fsp.chmod(src, 0o711);

    const w = await ArchiveWriter.create(path.join(tmp, 'out', `b${ARCHIVE_EXT}`), { tmpDir: path.join(tmp, 'work') });
    await w.addBuffer('db/main.dump', 'dump');
    await w.addDirectory('storage/uploads', src);
    const res = await w.finish({ ...draft(), parts: ['database', 'uploads'] });
    const manifest = await readManifest(res.path);
    const modes = Object.fromEntries(manifest.entries.map((e) => [e.path, e.mode]));
    expect(modes).toMatchObject({
      'storage/uploads/public.txt': 0o644,
      'storage/uploads/private.txt': 0o600,
      'storage/uploads/group.txt': 0o640,
      'storage/uploads/tool.sh': 0o755,
      'storage/uploads/closed/inner.txt': 0o604,
    });
    expect(modes['db/main.dump']).toBeUndefined();
    expect(manifest.folders).toEqual(
      expect.arrayContaining([
        { path: 'storage/uploads/closed', mode: 0o750 },
        { path: 'storage/uploads', mode: 0o711 },
      ]),
    );

    const live = await restoreUploads(res.path, manifest);
    expect(modeOf(path.join(live, 'public.txt'))).toBe(0o644);
    expect(modeOf(path.join(live, 'private.txt'))).toBe(0o600);
    expect(modeOf(path.join(live, 'group.txt'))).toBe(0o640);
    expect(modeOf(path.join(live, 'tool.sh'))).toBe(0o755);
    expect(modeOf(path.join(live, 'closed', 'inner.txt'))).toBe(0o604);
    expect(modeOf(path.join(live, 'closed'))).toBe(0o750);
    expect(modeOf(live)).toBe(0o711);
  });

  it('gives files of an archive without modes 0644 and folders 0755, as before', async () => {
    const data = Buffer.from('x');
    const entries = [entryOf('db/main.dump', data), entryOf('storage/uploads/a/b.txt', data)];
    const manifest = manifestFor(entries, { parts: ['database', 'uploads'] });
    const file = path.join(tmp, `old${ARCHIVE_EXT}`);
    await buildZip(file, [
      { name: 'db/main.dump', data },
      { name: 'storage/uploads/a/b.txt', data },
      { name: MANIFEST_NAME, data: JSON.stringify(manifest) },
    ]);
    const live = await restoreUploads(file, await readManifest(file));
    expect(modeOf(path.join(live, 'a', 'b.txt'))).toBe(0o644);
    expect(modeOf(path.join(live, 'a'))).toBe(0o755);
    expect(modeOf(live)).toBe(0o755);
  });

  it('never sets setuid, setgid or sticky bits, and keeps folders usable by the server', async () => {
    const data = Buffer.from('x');
    const entries = [
      entryOf('db/main.dump', data),
      { ...entryOf('storage/uploads/suid', data), mode: 0o6755 },
      { ...entryOf('storage/uploads/d/f', data), mode: 0o1644 },
    ];
    const manifest = manifestFor(entries, {
      parts: ['database', 'uploads'],
      folders: [
        { path: 'storage/uploads/d', mode: 0o1777 },
        { path: 'storage/uploads', mode: 0o555 },
      ],
    });
    const file = path.join(tmp, `masked${ARCHIVE_EXT}`);
    await buildZip(file, [
      { name: 'db/main.dump', data },
      { name: 'storage/uploads/suid', data },
      { name: 'storage/uploads/d/f', data },
      { name: MANIFEST_NAME, data: JSON.stringify(manifest) },
    ]);
    const live = await restoreUploads(file, await readManifest(file));
    expect(modeOf(path.join(live, 'suid'))).toBe(0o755);
    expect(modeOf(path.join(live, 'd', 'f'))).toBe(0o644);
    expect(modeOf(path.join(live, 'd'))).toBe(0o777);
    expect(modeOf(live)).toBe(0o755); // owner rwx kept: the server must be able to replace its own folder
  });

  it('refuses modes and folders a backup never writes', () => {
    const data = Buffer.from('x');
    const base = (extra: Record<string, unknown>, mode?: unknown) =>
      manifestFor([entryOf('db/main.dump', data), { ...entryOf('storage/uploads/f', data), mode } as never], extra);
    expect(validateManifest(base({}, 0o644)).entries[1].mode).toBe(0o644);
    for (const mode of [-1, 0o10000, 1.5, '644']) expect(() => validateManifest(base({}, mode))).toThrow(/mode/);
    for (const folders of [
      'x',
      [{ path: '../x', mode: 0o755 }],
      [{ path: 'storage/uploads/f', mode: 0o755 }],
      [{ path: 'storage/uploads', mode: 'x' }],
    ]) {
      expect(() => validateManifest(base({ folders }))).toThrow();
    }
  });
});
