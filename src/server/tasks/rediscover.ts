import fs from 'fs';
import path from 'path';
import { ARCHIVE_EXT, NAMESPACE, TASK_ORIGINS, type TaskOrigin } from '../../constants';
import { readHeader, readManifest } from '../archive/reader';
import { archivePath } from '../paths';
import type { TaskStore } from './store';
import { summaryOf } from './summary';
import { findJson } from '../db/find-json';

/**
 * Archives in our folder that the task table does not list come back as finished backups at start-up. The table
 * is runtime data that no dump carries: after the database was restored by other means (NocoBase's built-in Backup
 * manager, the raw tools) or lost, the archives are still on disk and must stay restorable from the list.
 * Unreadable files are left alone and only logged; nothing is deleted here.
 */
export async function rediscoverArchives(store: TaskStore): Promise<string[]> {
  const dir = store.paths.archives;
  const names = (await fs.promises.readdir(dir).catch(() => [] as string[])).filter(isArchiveName).sort();
  if (!names.length) return [];
  const rows = await findJson<{ fileName: string }>(store.repo, { fields: ['fileName'], filter: { fileName: { $in: names } } });
  const known = new Set(rows.map((r) => r.fileName));
  const found: string[] = [];
  for (const name of names) {
    if (known.has(name)) continue;
    const file = archivePath(store.paths, name);
    try {
      const stat = await fs.promises.lstat(file);
      if (!stat.isFile()) continue;
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
      found.push(name);
    } catch (err) {
      store.app.log.warn(`[${NAMESPACE}] ${name} is not listed: not a readable backup (${(err as Error).message})`);
    }
  }
  if (found.length) store.app.log.info(`[${NAMESPACE}] listed ${found.length} backup(s) found on disk: ${found.join(', ')}`);
  return found;
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
