import fs from 'fs';
import path from 'path';
import { TASK_ORIGINS, type TaskOrigin } from '../../constants';
import type { Manifest } from '../archive/manifest-types';
import { summaryOf } from '../service';
import type { ListedArchive } from './archives';

type Row = Record<string, unknown>;

/**
 * The task list the app shows after a restore made outside it. Our task table is runtime data that no backup
 * carries, so a restored database has an empty list although the archives are still on disk: every readable
 * archive not already in `existing` gets a succeeded backup row, and the restore itself one row. The app imports
 * the journal when it next starts (tasks/journal.ts) and replaces its task rows with these.
 */
export function journalRows(
  existing: Row[],
  archives: ListedArchive[],
  restore: { file: string; manifest: Manifest; size: number; safety?: string; at: Date },
): Row[] {
  const known = new Set(existing.map((r) => r.fileName).filter(Boolean));
  const adopted = archives
    .filter((a) => a.manifest && !known.has(a.fileName))
    .map((a) => backupRow(a.fileName, a.manifest as Manifest, a.size));
  const restoreRow: Row = {
    ...base(restore.manifest, 'cli'),
    kind: 'restore',
    fileName: path.basename(restore.file),
    size: restore.size,
    summary: summaryOf(restore.manifest, restore.size),
    options: { safetyBackup: !!restore.safety },
    createdAt: restore.at,
    startedAt: restore.at,
    finishedAt: new Date(),
  };
  // Explicit ids after the existing ones: a mix of given and generated ids could collide in the import.
  const firstId = Math.max(0, ...existing.map((r) => Number(r.id)).filter(Number.isSafeInteger)) + 1;
  return [...existing, ...[...adopted, restoreRow].map((row, i) => ({ id: firstId + i, ...row }))];
}

function backupRow(fileName: string, manifest: Manifest, size: number): Row {
  const origin = TASK_ORIGINS.includes(manifest.origin as TaskOrigin) ? (manifest.origin as TaskOrigin) : 'cli';
  return {
    ...base(manifest, origin),
    kind: 'backup',
    fileName,
    size,
    summary: summaryOf(manifest, size),
    createdAt: manifest.createdAt,
    startedAt: manifest.createdAt,
    finishedAt: manifest.createdAt,
  };
}

function base(manifest: Manifest, origin: TaskOrigin): Row {
  return {
    origin,
    status: 'succeeded',
    phase: 'done',
    progress: 100,
    dialect: manifest.database.dialect,
    appVersion: manifest.app.version,
  };
}

/** Written like tasks/journal.ts writes its own (0600, renamed into place); sorts after numbered journals. */
export async function writeCliJournal(journalDir: string, rows: Row[], at: Date): Promise<string> {
  await fs.promises.mkdir(journalDir, { recursive: true, mode: 0o700 });
  const file = path.join(journalDir, `cli-${at.getTime()}.json`);
  await fs.promises.writeFile(`${file}.partial`, JSON.stringify({ restoreTaskId: null, rows }), { mode: 0o600 });
  await fs.promises.rename(`${file}.partial`, file);
  return file;
}
