import fs from 'fs';
import fsp from 'fs/promises';
import path from 'path';

export async function exists(p: string): Promise<boolean> {
  try {
    await fsp.lstat(p);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException)?.code === 'ENOENT') return false;
    throw err;
  }
}

export async function openRegular(absPath: string): Promise<fsp.FileHandle> {
  return (await openRegularSized(absPath)).fh;
}

/** openRegular, with the size (to size read buffers: see ArchiveWriter) and mode the file had when opened. */
export async function openRegularSized(absPath: string): Promise<{ fh: fsp.FileHandle; size: number; mode: number }> {
  const fh = await fsp.open(
    absPath,
    fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0) | (fs.constants.O_NONBLOCK ?? 0),
  );
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw Object.assign(new Error(`${absPath} is not a regular file`), { code: 'NOT_REGULAR' });
    return { fh, size: st.size, mode: st.mode };
  } catch (err) {
    await fh.close().catch(() => undefined);
    throw err;
  }
}

export async function fsyncFile(p: string): Promise<void> {
  const fh = await fsp.open(p, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Makes a rename or an unlink in `dir` durable; a no-op where folders cannot be fsynced. */
export async function fsyncDir(dir: string): Promise<void> {
  try {
    const fh = await fsp.open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    /* not supported everywhere (Windows) */
  }
}

/** Atomic rename; across filesystems copies next to the target first, then renames there. */
export async function moveInto(from: string, to: string): Promise<void> {
  try {
    await fsp.rename(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException)?.code !== 'EXDEV') throw err;
    const tmp = path.join(path.dirname(to), `.${path.basename(to)}.${process.pid}.${Date.now()}.partial`);
    try {
      await fsp.copyFile(from, tmp, fs.constants.COPYFILE_EXCL);
      await fsp.chmod(tmp, 0o600);
      await fsyncFile(tmp);
      await fsp.rename(tmp, to);
    } catch (copyErr) {
      await fsp.rm(tmp, { force: true });
      throw copyErr;
    }
    await fsp.rm(from, { force: true });
  }
  await fsp.chmod(to, 0o600);
  await fsyncDir(path.dirname(to));
}
