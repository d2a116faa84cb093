import fs from 'fs';
import path from 'path';
import { ARCHIVE_EXT, NAMESPACE, TASK_ORIGINS, type TaskOrigin } from '../../constants';
import { readHeader, readManifest } from '../archive/reader';
import { archivePath } from '../paths';
import type { TaskStore } from './store';
import { summaryOf } from './summary';
import { findJson } from '../db/find-json';

/**
 * A file whose last write is this recent may still be arriving (scp and most copy tools write in place and set the
 * source's time only at the end): it is left for a later look instead of being judged half-written. rsync and rclone
 * write under a temporary name (.name.XXXX, name.partial) that is never an archive name.
 */
export const SETTLE_MS = 30_000;

export interface Rediscovery {
  /** Listed now. */
  found: string[];
  /** Modified less than SETTLE_MS ago: looked at again on the next refresh. */
  settling: string[];
  /** Not a readable backup (logged, left alone). */
  unreadable: string[];
}

/**
 * Archives in our folder that the task table does not list come back as finished backups, at start-up (settleMs 0,
 * as it always was: the recovery paths that rely on it are unchanged) and on the page's Refresh (tasks/refresh.ts). The table is runtime data that no dump carries: after the database was restored by other means
 * (NocoBase's built-in Backup manager, the raw tools) or lost, or when an archive was copied in by scp or rclone,
 * the archives are on disk and must be restorable from the list. Unreadable files are left alone and only logged;
 * nothing is deleted here.
 */
export async function rediscoverArchives(store: TaskStore, settleMs = SETTLE_MS, nowMs = Date.now()): Promise<Rediscovery> {
  const dir = store.paths.archives;
  const result: Rediscovery = { found: [], settling: [], unreadable: [] };
  const names = (await fs.promises.readdir(dir).catch(() => [] as string[])).filter(isArchiveName).sort();
  if (!names.length) return result;
  const rows = await findJson<{ fileName: string }>(store.repo, { fields: ['fileName'], filter: { fileName: { $in: names } } });
  const known = new Set(rows.map((r) => r.fileName));
  for (const name of names) {
    if (known.has(name)) continue;
    const file = archivePath(store.paths, name);
    try {
      const stat = await fs.promises.lstat(file);
      if (!stat.isFile()) continue;
      if (nowMs - stat.mtimeMs < settleMs) {
        result.settling.push(name);
        continue;
      }
      const header = await readHeader(file);
      const manifest = header.encrypted ? null : await readManifest(file);
      const createdAt = validDate(header.createdAt) ?? stat.mtime;
      await store.create('backup', originOf(manifest?.origin, name), {
        status: 'succeeded',
        phase: 'done',
        progress: 100,
        fileName: name,
        size: stat.size,
        summary: summaryOf(manifest ?? header, stat.size, header.encrypted),
        // The note it was written with (a plain archive's manifest says; an encrypted one hides it).
        ...(typeof manifest?.note === 'string' && manifest.note ? { note: manifest.note } : {}),
        createdAt,
        startedAt: createdAt,
        finishedAt: createdAt,
      });
      result.found.push(name);
    } catch (err) {
      result.unreadable.push(name);
      store.app.log.warn(`[${NAMESPACE}] ${name} is not listed: not a readable backup (${(err as Error).message})`);
    }
  }
  if (result.found.length) {
    store.app.log.info(`[${NAMESPACE}] listed ${result.found.length} backup(s) found on disk: ${result.found.join(', ')}`);
  }
  return result;
}

function isArchiveName(name: string): boolean {
  return name.endsWith(ARCHIVE_EXT) && !name.startsWith('.') && name === path.basename(name);
}

/**
 * The manifest's origin when it is one of ours. Encrypted archives hide it: a safety backup is known by its name,
 * anything else counts as manual, which retention never deletes (the safe side).
 */
export function originOf(manifestOrigin: unknown, fileName: string): TaskOrigin {
  if (typeof manifestOrigin === 'string' && (TASK_ORIGINS as readonly string[]).includes(manifestOrigin)) {
    return manifestOrigin as TaskOrigin;
  }
  return fileName.endsWith(`_safety${ARCHIVE_EXT}`) ? 'safety' : 'manual';
}

function validDate(value: unknown): Date | null {
  const d = new Date(String(value));
  return Number.isNaN(d.getTime()) ? null : d;
}
