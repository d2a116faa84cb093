import cronParser from 'cron-parser';

// Schedule arithmetic, pure: every date goes through cron-parser (time zones and DST via luxon/Intl).
// Not croner: NocoBase locks the server down with SES, whose locale taming turns Date#toLocaleString into
// toString; croner computes zone offsets with toLocaleString and fails under it ("CronDate: Invalid date"), while
// cron-parser works there (measured; see docs/how-it-works.md).

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

const NICKNAMES: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@hourly': '0 * * * *',
};

function normalise(expression: string): string {
  const text = expression.trim().replace(/\s+/g, ' ');
  return NICKNAMES[text.toLowerCase()] || text;
}

function parse(expression: string, timezone: string, from: Date) {
  const text = normalise(expression);
  const fields = text.split(' ').length;
  if (fields < 5 || fields > 6) throw new Error(`exactly five or six space separated parts are required ('${text}')`);
  // cron-parser counts the start itself as a match; step from just after it so runs are strictly after `from`.
  return cronParser.parseExpression(text, { tz: timezone, currentDate: new Date(from.getTime()) });
}

function* runs(expression: string, timezone: string, from: Date): Generator<Date> {
  const it = parse(expression, timezone, from);
  for (;;) {
    let next: Date;
    try {
      next = it.next().toDate();
    } catch {
      return; // no further match (30 February, or past cron-parser's horizon)
    }
    yield next;
  }
}

/** 5 fields (minute precision) or 6 (seconds first, used by tests); nicknames (@daily) too. */
export function checkCron(expression: unknown, timezone: unknown): CronCheck {
  if (typeof timezone !== 'string' || !isValidTimezone(timezone)) {
    return { valid: false, code: 'TIMEZONE_INVALID', detail: String(timezone ?? '') };
  }
  if (typeof expression !== 'string' || !expression.trim()) {
    return { valid: false, code: 'CRON_INVALID', detail: 'empty expression' };
  }
  try {
    parse(expression, timezone, new Date());
    return { valid: true };
  } catch (err) {
    return { valid: false, code: 'CRON_INVALID', detail: String((err as Error).message) };
  }
}

/** The next `count` runs strictly after `from`; empty for an expression that never matches (30 February). */
export function nextRuns(expression: string, timezone: string, count: number, from: Date = new Date()): Date[] {
  const out: Date[] = [];
  for (const run of runs(expression, timezone, from)) {
    if (out.length >= count) break;
    if (run.getTime() > from.getTime()) out.push(run);
  }
  return out;
}

export function nextRun(expression: string, timezone: string, from: Date = new Date()): Date | null {
  return nextRuns(expression, timezone, 1, from)[0] ?? null;
}

/**
 * Whether the schedule, stepped from `since` (when the timer was armed), runs at `at`: a timer armed for an older
 * schedule must not fire. Stepping from `since` rather than from just before `at` matters on the night clocks
 * spring forward: a skipped 02:30 becomes 03:30, and finds that run only from before the gap.
 */
export function isRunTime(expression: string, timezone: string, at: Date, since: Date, maxSteps = 1000): boolean {
  let steps = 0;
  for (const run of runs(expression, timezone, since)) {
    if (run.getTime() <= since.getTime()) continue;
    if (run.getTime() >= at.getTime() || ++steps > maxSteps) return run.getTime() === at.getTime();
  }
  return false;
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
