import fsp from 'fs/promises';
import path from 'path';
import { ArchiveError } from './errors';

/** Kept free beyond what is written: the filesystem, the database and the logs need room too. */
export const SPACE_MARGIN = 64 * 1024 * 1024;

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

/** '5 GiB', '1.5 GiB', '300 MiB': for messages only. */
export function formatSize(bytes: number): string {
  if (bytes >= GiB) return `${Math.round((bytes / GiB) * 10) / 10} GiB`;
  return `${Math.max(0, Math.round((bytes / MiB) * 10) / 10)} MiB`;
}

/** NOT_ENOUGH_SPACE (507) unless `free` bytes hold `needed` plus SPACE_MARGIN. Pure: the caller measures. */
export function checkFreeSpace(needed: number, free: number, where: string): void {
  if (needed + SPACE_MARGIN <= free) return;
  throw new ArchiveError(
    'NOT_ENOUGH_SPACE',
    `Not enough free space in ${where}: ${formatSize(needed)} needed, ${formatSize(free)} free`,
    { needed: formatSize(needed), free: formatSize(free), where },
  );
}

/** The nearest existing folder at or above `p` (the staging folder may not exist yet). */
async function existingAncestor(p: string): Promise<string> {
  let cur = path.resolve(p);
  for (;;) {
    try {
      await fsp.stat(cur);
      return cur;
    } catch {
      const up = path.dirname(cur);
      if (up === cur) return cur;
      cur = up;
    }
  }
}

/** Bytes an unprivileged process may still write on the filesystem holding `p`, and the folder measured. */
export async function freeBytes(p: string): Promise<{ free: number; where: string }> {
  const where = await existingAncestor(p);
  const s = await fsp.statfs(where);
  return { free: Number(s.bavail) * Number(s.bsize), where };
}

/** Measures and checks: refuses NOT_ENOUGH_SPACE before anything is written under `p`. */
export async function ensureFreeSpace(p: string, needed: number): Promise<void> {
  const { free, where } = await freeBytes(p);
  checkFreeSpace(needed, free, where);
}
