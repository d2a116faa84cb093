import fs from 'fs';
import path from 'path';
import { TASK_ORIGINS, type TaskOrigin } from '../../constants';
import type { ArchiveHeaderInfo, Manifest } from '../archive/manifest-types';
import { summaryOf } from '../tasks/summary';
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
  restore: { file: string; manifest: Manifest; size: number; encrypted: boolean; safety?: string; at: Date },
): Row[] {
  const known = new Set(existing.map((r) => r.fileName).filter(Boolean));
  const adopted = archives
    .filter((a) => a.header && !known.has(a.fileName))
    .map((a) => backupRow(a, a.manifest ?? (a.header as ArchiveHeaderInfo)));
  const restoreRow: Row = {
    ...base(restore.manifest, 'cli'),
    kind: 'restore',
    fileName: path.basename(restore.file),
    size: restore.size,
    encrypted: restore.encrypted,
    summary: summaryOf(restore.manifest, restore.size, restore.encrypted),
    options: { safetyBackup: !!restore.safety },
    createdAt: restore.at,
    startedAt: restore.at,
    finishedAt: new Date(),
  };
  // Explicit ids after the existing ones: a mix of given and generated ids could collide in the import.
  const firstId = Math.max(0, ...existing.map((r) => Number(r.id)).filter(Number.isSafeInteger)) + 1;
  return [...existing, ...[...adopted, restoreRow].map((row, i) => ({ id: firstId + i, ...row }))];
}

function backupRow(archive: ListedArchive, source: Manifest | ArchiveHeaderInfo): Row {
  const encrypted = !!archive.header?.encrypted;
  return {
    ...base(source, originOf(archive)),
    kind: 'backup',
    fileName: archive.fileName,
    size: archive.size,
    encrypted,
    summary: summaryOf(source, archive.size, encrypted),
    createdAt: source.createdAt,
    startedAt: source.createdAt,
    finishedAt: source.createdAt,
  };
}

/**
 * The manifest's origin; an encrypted manifest cannot be read without the password: its file name tells a safety
 * backup, anything else counts as manual (never 'scheduled', so retention does not delete what it cannot judge).
 */
function originOf(archive: ListedArchive): TaskOrigin {
  const origin = archive.manifest?.origin as TaskOrigin | undefined;
  if (origin && TASK_ORIGINS.includes(origin)) return origin;
  if (archive.manifest) return 'cli';
  return /_safety\.nbbm$/.test(archive.fileName) ? 'safety' : 'manual';
}

function base(manifest: Manifest | ArchiveHeaderInfo, origin: TaskOrigin): Row {
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
