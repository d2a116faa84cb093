import fs from 'fs';
import path from 'path';
import { expiredTusIds, TUS_EXPIRY_MS } from './tus-rules';

/**
 * Removes the tus uploads nobody wrote to for `expiryMs` (data and state). Cheap: one readdir and a stat per tus
 * file of the uploads folder, which holds a handful of files. Returns the ids removed.
 */
export async function sweepTusUploads(dir: string, now = Date.now(), expiryMs = TUS_EXPIRY_MS): Promise<string[]> {
  const names = (await fs.promises.readdir(dir).catch(() => [] as string[])).filter((n) => n.startsWith('tus-'));
  const files: { name: string; mtimeMs: number }[] = [];
  for (const name of names) {
    const st = await fs.promises.stat(path.join(dir, name)).catch(() => null);
    if (st?.isFile()) files.push({ name, mtimeMs: st.mtimeMs });
  }
  const ids = expiredTusIds(files, now, expiryMs);
  for (const id of ids) {
    await fs.promises.rm(path.join(dir, id), { force: true });
    await fs.promises.rm(path.join(dir, `${id}.json`), { force: true });
  }
  return ids;
}
