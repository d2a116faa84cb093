import fs from 'fs';
import path from 'path';
import { ARCHIVE_EXT, STORAGE_DIR } from '../constants';
import { BackupError } from './errors';

/** Every folder our plugin reads or writes, derived from the storage root and the app name. */
export interface BackupPaths {
  storage: string;
  /** Finished archives: storage/backups-manager/<app> */
  archives: string;
  /** Partial archives, staging areas, uploads in progress: removed at start-up. */
  tmp: string;
  /** Uploaded archives waiting for a restore decision. */
  uploads: string;
  /** Journal files that carry task rows across a restore. */
  journal: string;
}

export function storageRoot(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  return path.resolve(cwd, env.STORAGE_PATH || 'storage');
}

export function backupPaths(storage: string, appName: string): BackupPaths {
  const archives = path.join(storage, STORAGE_DIR, appName);
  return {
    storage,
    archives,
    tmp: path.join(archives, '.tmp'),
    uploads: path.join(archives, '.uploads'),
    journal: path.join(archives, '.journal'),
  };
}

export async function ensureDirs(p: BackupPaths): Promise<void> {
  // The restore journal's folder too: it exists before and after any restore (see restore/journal.ts).
  for (const dir of [p.archives, p.tmp, p.uploads, p.journal, path.join(p.journal, 'restore')]) {
    await fs.promises.mkdir(dir, { recursive: true, mode: 0o700 });
    await fs.promises.chmod(dir, 0o700);
  }
}

/** A file name from a request or a task row: a bare name of ours, never a path. */
export function archivePath(p: BackupPaths, fileName: string): string {
  if (
    !fileName ||
    fileName !== path.basename(fileName) ||
    fileName.startsWith('.') ||
    !fileName.endsWith(ARCHIVE_EXT) ||
    /[\\/\0]/.test(fileName)
  ) {
    throw new BackupError('INVALID_NAME', {}, 400);
  }
  return path.join(p.archives, fileName);
}

/** <app>_<YYYYMMDD>-<HHmmss>-<ms>[_<suffix>].nbbm, in UTC so names sort by time everywhere. */
export function archiveName(appName: string, date: Date, suffix?: string): string {
  const iso = date.toISOString(); // 2026-11-26T16:27:33.123Z
  const stamp = `${iso.slice(0, 10).replace(/-/g, '')}-${iso.slice(11, 19).replace(/:/g, '')}-${iso.slice(20, 23)}`;
  const safeApp = appName.replace(/[^A-Za-z0-9_-]/g, '_');
  return `${safeApp}_${stamp}${suffix ? `_${suffix}` : ''}${ARCHIVE_EXT}`;
}
