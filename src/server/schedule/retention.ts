import { periodKey, type Period } from './calendar-buckets';

// Which task rows a retention run removes. Pure: rows and a policy in, a plan out; the scheduler acts on it (and the
// schedule tab previews it).

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
  /** Keep forever: no policy deletes it. */
  pinned?: boolean | number | null;
}

/** The calendar rules, as restic's --keep-daily/weekly/monthly/yearly: null or 0 is off. */
export interface CalendarRules {
  keepDaily?: number | null;
  keepWeekly?: number | null;
  keepMonthly?: number | null;
  keepYearly?: number | null;
}

export interface RetentionPolicy extends CalendarRules {
  /**
   * Succeeded scheduled backups kept, newest first. At least 1 when no calendar rule is set (the policy before
   * calendar rules existed); 0 is allowed beside a calendar rule.
   */
  keepLast: number;
  /** Scheduled backups finished longer ago than this many days go, whatever else keeps them; null: no cap. */
  maxAgeDays?: number | null;
  /** Time zone of the calendar periods (the schedule's); UTC when absent. */
  timezone?: string;
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
const isPinned = (r: RetentionRow) => r.pinned === true || r.pinned === 1;

const RULES: [keyof CalendarRules, Period][] = [
  ['keepDaily', 'day'],
  ['keepWeekly', 'week'],
  ['keepMonthly', 'month'],
  ['keepYearly', 'year'],
];

const count = (n: number | null | undefined) => Math.max(0, Math.floor(Number(n) || 0));

/** True when the policy has a calendar rule, so keepLast may be 0. */
export function hasCalendarRule(rules: CalendarRules): boolean {
  return RULES.some(([key]) => count(rules[key]) > 0);
}

/**
 * The rows (newest first) the count and calendar rules keep, as restic does: the newest in each period, going back
 * from the newest row, for up to N periods that have a row (empty periods do not count). Rows without a date are
 * kept only by keepLast.
 */
function keptByRules(sorted: RetentionRow[], policy: RetentionPolicy, keepLast: number): Set<RetentionRow> {
  const kept = new Set<RetentionRow>(sorted.slice(0, keepLast));
  const timezone = policy.timezone || 'UTC';
  for (const [key, period] of RULES) {
    let left = count(policy[key]);
    let last: string | null = null;
    for (const row of sorted) {
      if (left === 0) break;
      const t = time(row);
      if (t === null) continue;
      const bucket = periodKey(t, period, timezone);
      if (bucket === last) continue;
      last = bucket;
      kept.add(row);
      left -= 1;
    }
  }
  return kept;
}

/**
 * Only scheduled backups are ever touched: manual, safety, upload and cli ones belong to the admin, and a pinned
 * backup is kept forever (it also takes no place in the periods: it is outside the policy). A succeeded scheduled
 * backup stays when keepLast or a calendar rule keeps it and it is not older than `maxAgeDays`; the newest succeeded
 * backup of any origin always stays, so retention can never leave the app without a backup. Failed scheduled rows
 * (including skipped slots) are history: the newest `keepLast` (at least 1) stay listed, older ones go; any file they
 * left behind is removed. Pending and running rows are never touched.
 */
export function planRetention(rows: RetentionRow[], policy: RetentionPolicy): RetentionPlan {
  const calendar = hasCalendarRule(policy);
  const keepLast = calendar ? count(policy.keepLast) : Math.max(1, count(policy.keepLast) || 1);
  const keepFailed = Math.max(1, keepLast);
  const maxAgeMs = policy.maxAgeDays && policy.maxAgeDays > 0 ? policy.maxAgeDays * DAY_MS : null;
  const tooOld = (r: RetentionRow) => {
    const t = time(r);
    return maxAgeMs !== null && t !== null && policy.now.getTime() - t > maxAgeMs;
  };
  const backups = rows.filter(isBackup);
  const newestSucceeded = backups.filter((r) => r.status === 'succeeded').sort(newestFirst)[0];
  const scheduled = backups.filter((r) => r.origin === 'scheduled' && !isPinned(r));

  const destroy: TaskId[] = [];
  const cleanFiles: TaskId[] = [];
  const succeeded = scheduled.filter((r) => r.status === 'succeeded').sort(newestFirst);
  const kept = keptByRules(succeeded, policy, keepLast);
  for (const row of succeeded) {
    if (row === newestSucceeded) continue;
    if (!kept.has(row) || tooOld(row)) destroy.push(row.id);
  }
  scheduled
    .filter((r) => r.status === 'failed')
    .sort(newestFirst)
    .forEach((row, index) => {
      if (index >= keepFailed || tooOld(row)) destroy.push(row.id);
      else if (row.fileName) cleanFiles.push(row.id);
    });
  return { destroy, cleanFiles };
}

/** Stands for the backup the next scheduled run makes; never a real id. */
export const NEXT_RUN_ID = 'next-run';

/**
 * What retention deletes after the next scheduled backup, if it succeeds at `policy.now`: retention runs right
 * after that backup, which then takes the newest place in every period. Pure; the schedule tab's preview.
 */
export function previewRetention(rows: RetentionRow[], policy: RetentionPolicy): RetentionPlan {
  const next: RetentionRow = { id: NEXT_RUN_ID, kind: 'backup', origin: 'scheduled', status: 'succeeded', finishedAt: policy.now };
  const plan = planRetention([...rows, next], policy);
  return { destroy: plan.destroy.filter((id) => id !== NEXT_RUN_ID), cleanFiles: plan.cleanFiles };
}
