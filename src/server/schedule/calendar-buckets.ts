// Calendar periods of an instant in a time zone, as keys retention groups backups by. Pure.
// Intl.DateTimeFormat#formatToParts, not dayjs' tz(): dayjs converts with Date#toLocaleString, which NocoBase's SES
// lockdown turns into toString (see cron.ts); formatToParts is what luxon (cron-parser) relies on and works there.

export type Period = 'day' | 'week' | 'month' | 'year';

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timezone: string): Intl.DateTimeFormat {
  let f = formatters.get(timezone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: timezone, year: 'numeric', month: 'numeric', day: 'numeric' });
    formatters.set(timezone, f);
  }
  return f;
}

/** The calendar date of an instant in a time zone. */
export function localDate(ms: number, timezone: string): { year: number; month: number; day: number } {
  const parts = formatter(timezone).formatToParts(new Date(ms));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return { year: get('year'), month: get('month'), day: get('day') };
}

/** ISO 8601 week: weeks start on Monday; week 1 holds the year's first Thursday (so Dec 29 may be week 1). */
export function isoWeek(year: number, month: number, day: number): { year: number; week: number } {
  const date = new Date(Date.UTC(year, month - 1, day));
  const weekday = date.getUTCDay() || 7; // Monday 1 ... Sunday 7
  date.setUTCDate(date.getUTCDate() + 4 - weekday); // the Thursday of this week decides its year
  const weekYear = date.getUTCFullYear();
  const week = Math.ceil(((date.getTime() - Date.UTC(weekYear, 0, 1)) / 86400000 + 1) / 7);
  return { year: weekYear, week };
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** A key equal for two instants exactly when they fall in the same period in that time zone. */
export function periodKey(ms: number, period: Period, timezone: string): string {
  const { year, month, day } = localDate(ms, timezone);
  switch (period) {
    case 'day':
      return `${year}-${pad(month)}-${pad(day)}`;
    case 'week': {
      const w = isoWeek(year, month, day);
      return `${w.year}-W${pad(w.week)}`;
    }
    case 'month':
      return `${year}-${pad(month)}`;
    case 'year':
      return String(year);
  }
}
