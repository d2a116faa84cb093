import type { TFunction } from '../locale';
import type { ArchiveSummary, Task } from '../types';

/** Lines named in a tooltip; the rest is counted. */
const SHOWN = 20;

function reasonText(reason: string, t: TFunction): string {
  switch (reason) {
    case 'symlink':
      return t('symbolic link');
    case 'not a regular file':
      return t('not a regular file (pipe, socket or device)');
    case 'unsafe name':
      return t('name that cannot be stored (e.g. a backslash)');
    case 'vanished':
      return t('deleted while the backup ran');
    default:
      return reason;
  }
}

/**
 * The warning for a backup that left files out (symlinks, FIFOs, unsafe names): a short label and one line per
 * named file. Null when nothing was skipped.
 */
export function skippedFilesWarning(
  summary: Pick<ArchiveSummary, 'skippedFiles' | 'skippedFileCount'> | null | undefined,
  t: TFunction,
): { label: string; lines: string[] } | null {
  const count = Number(summary?.skippedFileCount) || 0;
  if (count <= 0) return null;
  const listed = (summary?.skippedFiles ?? []).slice(0, SHOWN);
  const lines = listed.map((f) => `${f.path}: ${reasonText(f.reason, t)}`);
  if (count > listed.length) lines.push(t('... and {{count}} more', { count: count - listed.length }));
  return { label: t('Files not backed up: {{count}}', { count }), lines };
}

/** Only a backup row's summary describes an archive (a verify row's summary is its report). */
export function taskSkippedFiles(task: Task, t: TFunction) {
  return task.kind === 'backup' ? skippedFilesWarning(task.summary as ArchiveSummary | null | undefined, t) : null;
}
