// The frequency presets of the schedule form, and their 5-field cron expressions
// (minute hour day-of-month month day-of-week).

export const PRESETS = ['hourly', 'daily', 'weekly', 'monthly', 'custom'] as const;
export type Preset = (typeof PRESETS)[number];

export interface Frequency {
  preset: Preset;
  hour: number;
  minute: number;
  /** 0 = Sunday … 6 = Saturday */
  weekday: number;
  /** 1 … 28, so that every month has the day */
  day: number;
}

export const DEFAULT_CRON = '0 2 * * *';
export const MAX_MONTH_DAY = 28;

const DEFAULTS: Omit<Frequency, 'preset'> = { hour: 2, minute: 0, weekday: 1, day: 1 };

function int(field: string, min: number, max: number): number | undefined {
  if (!/^\d{1,2}$/.test(field)) return undefined;
  const n = Number(field);
  return n >= min && n <= max ? n : undefined;
}

/** Recognises the expressions that the presets write; anything else is 'custom'. */
export function parseCron(expression: string | null | undefined): Frequency {
  const custom: Frequency = { preset: 'custom', ...DEFAULTS };
  const fields = (expression ?? '').trim().split(/\s+/);
  if (fields.length !== 5) return custom;
  const [m, h, dom, mon, dow] = fields;
  if (mon !== '*') return custom;
  const minute = int(m, 0, 59);
  if (minute === undefined) return custom;
  if (h === '*' && dom === '*' && dow === '*') return minute === 0 ? { ...custom, preset: 'hourly' } : custom;
  const hour = int(h, 0, 23);
  if (hour === undefined) return custom;
  const at = { ...custom, hour, minute };
  if (dom === '*' && dow === '*') return { ...at, preset: 'daily' };
  if (dom === '*') {
    const weekday = int(dow, 0, 7);
    return weekday === undefined ? custom : { ...at, preset: 'weekly', weekday: weekday % 7 };
  }
  if (dow === '*') {
    const day = int(dom, 1, MAX_MONTH_DAY);
    return day === undefined ? custom : { ...at, preset: 'monthly', day };
  }
  return custom;
}

/** The expression of a preset; undefined for 'custom', whose expression is typed by hand. */
export function composeCron(f: Frequency): string | undefined {
  switch (f.preset) {
    case 'hourly':
      return '0 * * * *';
    case 'daily':
      return `${f.minute} ${f.hour} * * *`;
    case 'weekly':
      return `${f.minute} ${f.hour} * * ${f.weekday}`;
    case 'monthly':
      return `${f.minute} ${f.hour} ${f.day} * *`;
    default:
      return undefined;
  }
}
