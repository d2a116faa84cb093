// Which task rows a retention run removes. Pure: rows and a policy in, a plan out; the scheduler acts on it.

export type TaskId = number | string;

export interface RetentionRow {
  id: TaskId;
  /** Rows without a kind are taken as backups (the plan only ever removes backups). */
  kind?: string | null;
  origin: string;
  status: string;
  fileName?: string | null;
  finishedAt?: Date | string | null;
  createdAt?: Date | string | null;
}

export interface RetentionPolicy {
  /** Succeeded scheduled backups kept, newest first (at least 1). */
  keepLast: number;
  /** Scheduled backups finished longer ago than this many days also go; null: by count only. */
  maxAgeDays?: number | null;
  now: Date;
}

export interface RetentionPlan {
  /** Rows to delete with their archive (service.destroyTask). */
  destroy: TaskId[];
  /** Failed rows that stay listed but whose leftover archive file is removed. */
  cleanFiles: TaskId[];
}

const DAY_MS = 24 * 3600 * 1000;

function time(row: RetentionRow): number | null {
  const value = row.finishedAt ?? row.createdAt;
  if (value === null || value === undefined) return null;
  const ms = new Date(value).getTime();
  return Number.isNaN(ms) ? null : ms;
}

/** Newest first; rows without a date last, then by id (ids grow with time). */
function newestFirst(a: RetentionRow, b: RetentionRow): number {
  const ta = time(a) ?? -Infinity;
  const tb = time(b) ?? -Infinity;
  if (ta !== tb) return tb - ta;
  return Number(b.id) - Number(a.id) || String(b.id).localeCompare(String(a.id));
}

const isBackup = (r: RetentionRow) => !r.kind || r.kind === 'backup';

/**
 * Only scheduled backups are ever touched: manual, safety, upload and cli ones belong to the admin. Succeeded
 * ones beyond the newest `keepLast` (or older than `maxAgeDays`) go, but never the newest succeeded backup of any
 * origin, so retention can never leave the app without a backup. Failed scheduled rows (including skipped slots)
 * are history: the newest `keepLast` stay listed, older ones go; any file they left behind is removed.
 * Pending and running rows are never touched.
 */
export function planRetention(rows: RetentionRow[], policy: RetentionPolicy): RetentionPlan {
  const keepLast = Math.max(1, Math.floor(policy.keepLast || 1));
  const maxAgeMs = policy.maxAgeDays && policy.maxAgeDays > 0 ? policy.maxAgeDays * DAY_MS : null;
  const tooOld = (r: RetentionRow) => {
    const t = time(r);
    return maxAgeMs !== null && t !== null && policy.now.getTime() - t > maxAgeMs;
  };
  const backups = rows.filter(isBackup);
  const newestSucceeded = backups.filter((r) => r.status === 'succeeded').sort(newestFirst)[0];
  const scheduled = backups.filter((r) => r.origin === 'scheduled');

  const destroy: TaskId[] = [];
  const cleanFiles: TaskId[] = [];
  scheduled
    .filter((r) => r.status === 'succeeded')
    .sort(newestFirst)
    .forEach((row, index) => {
      if (row === newestSucceeded) return;
      if (index >= keepLast || tooOld(row)) destroy.push(row.id);
    });
  scheduled
    .filter((r) => r.status === 'failed')
    .sort(newestFirst)
    .forEach((row, index) => {
      if (index >= keepLast || tooOld(row)) destroy.push(row.id);
      else if (row.fileName) cleanFiles.push(row.id);
    });
  return { destroy, cleanFiles };
}
