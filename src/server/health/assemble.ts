import { checkCron, nextRuns } from '../schedule/cron';

// The health panel's facts, assembled from rows and measurements the caller read. Pure: no database, no disk.

export type HealthLevel = 'green' | 'orange' | 'red';
/** Why the level is not green (locale keys on the client). */
export type HealthReason = 'NO_GOOD_BACKUP' | 'STALE' | 'LAST_FAILED' | 'SCHEDULE_OFF';

export interface HealthBackup {
  id: number | string;
  status: string;
  createdAt?: string | Date | null;
  startedAt?: string | Date | null;
  finishedAt?: string | Date | null;
  size?: number | string | null;
  /** The off-site copy's upload time when there is one; remoteError when its upload failed. */
  remoteAt?: string | null;
  remoteError?: string | null;
}

export interface HealthDrill {
  id: number | string;
  status: string;
  fileName?: string | null;
  errorCode?: string | null;
  error?: string | null;
  createdAt?: string | Date | null;
  finishedAt?: string | Date | null;
}

export interface HealthInput {
  now: Date;
  /** Backup rows (kind backup), newest first: the last few dozen. */
  backups: HealthBackup[];
  /** The newest succeeded backup's finish time, looked up on its own (it may be older than `backups`). */
  lastGoodAt: string | Date | null;
  schedule: {
    enabled: boolean;
    cron: string;
    timezone: string;
    offsiteStorage: string | null;
    drillEnabled: boolean;
    drillCron: string;
    /** The alerts' "no successful backup for X hours" (issue 17 item 2), when set. */
    staleAfterHours?: number | null;
  };
  lastDrill: HealthDrill | null;
  disk: { usedBytes: number; freeBytes: number; archives: number } | null;
}

export interface ChartPoint {
  id: number | string;
  at: string;
  size: number;
  durationSeconds: number;
}

export interface HealthFacts {
  protection: {
    level: HealthLevel;
    reasons: HealthReason[];
    lastGoodAt: string | null;
    ageHours: number | null;
    thresholdHours: number;
  };
  schedule: { enabled: boolean; nextRun: string | null };
  drill: {
    enabled: boolean;
    nextRun: string | null;
    last: { id: number | string; at: string | null; status: string; fileName: string | null; errorCode: string | null; error: string | null } | null;
  };
  offsite: { storage: string | null; state: 'none' | 'ok' | 'failing' | 'unknown'; at: string | null; error: string | null };
  space: { usedBytes: number; freeBytes: number; archives: number } | null;
  /** The last CHART_POINTS succeeded backups, oldest first. */
  chart: ChartPoint[];
}

export const CHART_POINTS = 30;
/** Hours beyond one schedule interval before a backup counts as late: 24 + 2 = 26 h for a daily schedule. */
export const GRACE_HOURS = 2;
const HOUR = 3600 * 1000;

const iso = (v: string | Date | null | undefined): string | null => {
  if (!v) return null;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
};

/** The time between the schedule's next two runs, in hours; null when off or invalid. */
export function intervalHours(cron: string, timezone: string, now: Date): number | null {
  if (!checkCron(cron, timezone).valid) return null;
  const [a, b] = nextRuns(cron, timezone, 2, now);
  return a && b ? (b.getTime() - a.getTime()) / HOUR : null;
}

/** staleAfterHours when set; else one interval of the schedule (a day when it is off) plus GRACE_HOURS. */
export function thresholdHours(schedule: HealthInput['schedule'], now: Date): number {
  const set = Number(schedule.staleAfterHours);
  if (schedule.staleAfterHours !== null && schedule.staleAfterHours !== undefined && Number.isFinite(set) && set > 0) return set;
  const interval = schedule.enabled ? intervalHours(schedule.cron, schedule.timezone, now) : null;
  return (interval ?? 24) + GRACE_HOURS;
}

/**
 * red: no good backup, or the last one is older than the threshold (not protected). orange: protected, but the newest
 * backup failed or nothing is scheduled. green: otherwise.
 */
export function protectionOf(input: HealthInput): HealthFacts['protection'] {
  const threshold = thresholdHours(input.schedule, input.now);
  const lastGoodAt = iso(input.lastGoodAt);
  const ageHours = lastGoodAt ? Math.max(0, (input.now.getTime() - new Date(lastGoodAt).getTime()) / HOUR) : null;
  const reasons: HealthReason[] = [];
  if (ageHours === null) reasons.push('NO_GOOD_BACKUP');
  else if (ageHours > threshold) reasons.push('STALE');
  const newest = input.backups.find((b) => b.status === 'succeeded' || b.status === 'failed');
  if (newest?.status === 'failed') reasons.push('LAST_FAILED');
  if (!input.schedule.enabled) reasons.push('SCHEDULE_OFF');
  const level: HealthLevel = ageHours === null || ageHours > threshold ? 'red' : reasons.length ? 'orange' : 'green';
  return { level, reasons, lastGoodAt, ageHours: ageHours === null ? null : Math.round(ageHours * 10) / 10, thresholdHours: threshold };
}

/** The newest backup that tried an off-site upload says whether the copies work. */
export function offsiteOf(input: HealthInput): HealthFacts['offsite'] {
  const storage = input.schedule.offsiteStorage;
  if (!storage) return { storage: null, state: 'none', at: null, error: null };
  const tried = input.backups.find((b) => b.status === 'succeeded' && (b.remoteAt || b.remoteError));
  if (!tried) return { storage, state: 'unknown', at: null, error: null };
  if (tried.remoteError) return { storage, state: 'failing', at: iso(tried.finishedAt), error: tried.remoteError };
  return { storage, state: 'ok', at: iso(tried.remoteAt), error: null };
}

/** Size and duration of the last CHART_POINTS succeeded backups, oldest first (a trend reads left to right). */
export function chartOf(backups: HealthBackup[]): ChartPoint[] {
  return backups
    .filter((b) => b.status === 'succeeded' && iso(b.finishedAt))
    .slice(0, CHART_POINTS)
    .reverse()
    .map((b) => {
      const start = iso(b.startedAt) ?? iso(b.createdAt);
      const end = iso(b.finishedAt) as string;
      const seconds = start ? Math.max(0, (new Date(end).getTime() - new Date(start).getTime()) / 1000) : 0;
      return { id: b.id, at: end, size: Number(b.size) || 0, durationSeconds: Math.round(seconds * 10) / 10 };
    });
}

function nextOf(enabled: boolean, cron: string, timezone: string, now: Date): string | null {
  if (!enabled || !checkCron(cron, timezone).valid) return null;
  return iso(nextRuns(cron, timezone, 1, now)[0]);
}

export function assembleHealth(input: HealthInput): HealthFacts {
  const { schedule, now, lastDrill } = input;
  return {
    protection: protectionOf(input),
    schedule: { enabled: schedule.enabled, nextRun: nextOf(schedule.enabled, schedule.cron, schedule.timezone, now) },
    drill: {
      enabled: schedule.drillEnabled,
      nextRun: nextOf(schedule.drillEnabled, schedule.drillCron, schedule.timezone, now),
      last: lastDrill
        ? {
            id: lastDrill.id,
            at: iso(lastDrill.finishedAt) ?? iso(lastDrill.createdAt),
            status: lastDrill.status,
            fileName: lastDrill.fileName ?? null,
            errorCode: lastDrill.errorCode ?? null,
            error: lastDrill.error ?? null,
          }
        : null,
    },
    offsite: offsiteOf(input),
    space: input.disk,
    chart: chartOf(input.backups),
  };
}
