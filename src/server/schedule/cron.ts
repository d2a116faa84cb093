import { Cron } from 'croner';

// Schedule arithmetic, pure: every date goes through croner, which knows time zones and DST.

export type CronCheck = { valid: true } | { valid: false; code: 'CRON_INVALID' | 'TIMEZONE_INVALID'; detail: string };

/** Slot keys are unique in the task table: the database, not a lock, decides which process runs a slot. */
export const SLOT_PREFIX = 'sched:';

export function isValidTimezone(timezone: string): boolean {
  if (!timezone || typeof timezone !== 'string') return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

function parse(expression: string, timezone: string): Cron {
  // paused: a Cron used only for arithmetic must never start croner's own timer.
  return new Cron(expression.trim(), { timezone, paused: true });
}

/** 5 fields (minute precision) or 6 (seconds first, used by tests); croner's own nicknames (@daily) too. */
export function checkCron(expression: unknown, timezone: unknown): CronCheck {
  if (typeof timezone !== 'string' || !isValidTimezone(timezone)) {
    return { valid: false, code: 'TIMEZONE_INVALID', detail: String(timezone ?? '') };
  }
  if (typeof expression !== 'string' || !expression.trim()) {
    return { valid: false, code: 'CRON_INVALID', detail: 'empty expression' };
  }
  try {
    parse(expression, timezone);
    return { valid: true };
  } catch (err) {
    return {
      valid: false,
      code: 'CRON_INVALID',
      detail: String((err as Error).message).replace(/^CronPattern:\s*/, ''),
    };
  }
}

/** The next `count` runs strictly after `from`; empty for an expression that never matches (30 February). */
export function nextRuns(expression: string, timezone: string, count: number, from: Date = new Date()): Date[] {
  return parse(expression, timezone).nextRuns(count, from);
}

export function nextRun(expression: string, timezone: string, from: Date = new Date()): Date | null {
  return parse(expression, timezone).nextRun(from);
}

/**
 * Whether the schedule, stepped from `since` (when the timer was armed), runs at `at`: a timer armed for an older
 * schedule must not fire. Stepping from `since` rather than from just before `at` matters on the night clocks
 * spring forward: croner moves a skipped 02:30 to 03:30, and finds that run only from before the gap.
 */
export function isRunTime(expression: string, timezone: string, at: Date, since: Date, maxSteps = 1000): boolean {
  const cron = parse(expression, timezone);
  let run = cron.nextRun(since);
  for (let i = 0; run && run.getTime() < at.getTime() && i < maxSteps; i++) run = cron.nextRun(run);
  return !!run && run.getTime() === at.getTime();
}

/** `sched:2026-03-29T01:00:00Z`: the run time in UTC to the second, so 6-field (seconds) schedules stay unique. */
export function slotKey(runAt: Date): string {
  return `${SLOT_PREFIX}${runAt.toISOString().slice(0, 19)}Z`;
}

export function toIso(runs: Date[]): string[] {
  return runs.map((d) => d.toISOString());
}

/** `2026-03-29 03:00 Europe/Berlin`: a run time as the admin thinks of it, for messages. */
export function formatInZone(date: Date, timezone: string): string {
  const text = new Intl.DateTimeFormat('sv-SE', {
    timeZone: timezone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: date.getUTCSeconds() ? '2-digit' : undefined,
  }).format(date);
  return `${text} ${timezone}`;
}
