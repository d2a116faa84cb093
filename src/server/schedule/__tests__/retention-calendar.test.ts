import { isoWeek, periodKey } from '../calendar-buckets';
import { planRetention, previewRetention, type RetentionPolicy, type RetentionRow } from '../retention';

// Calendar rules (restic's --keep-daily/weekly/monthly/yearly): a table of finish times in, the deleted ids out.

const now = new Date('2024-06-30T23:00:00Z'); // a Sunday
let nextId = 1;
const at = (finishedAt: string, extra: Partial<RetentionRow> = {}): RetentionRow => ({
  id: nextId++,
  kind: 'backup',
  origin: 'scheduled',
  status: 'succeeded',
  fileName: `f${nextId}.nbbm`,
  finishedAt,
  ...extra,
});
const plan = (rows: RetentionRow[], policy: Partial<RetentionPolicy>) =>
  [...planRetention(rows, { keepLast: 0, now, ...policy }).destroy].sort((a, b) => Number(a) - Number(b));

beforeEach(() => {
  nextId = 1;
});

describe('calendar periods', () => {
  it.each([
    ['2024-01-01', { year: 2024, week: 1 }], // a Monday
    ['2023-01-01', { year: 2022, week: 52 }], // a Sunday: the last week of 2022
    ['2024-12-30', { year: 2025, week: 1 }], // its Thursday is in 2025
    ['2020-12-31', { year: 2020, week: 53 }],
    ['2024-06-30', { year: 2024, week: 26 }],
  ])('ISO week of %s', (date, expected) => {
    const [y, m, d] = date.split('-').map(Number);
    expect(isoWeek(y, m, d)).toEqual(expected);
  });

  it('puts an instant in the day of the time zone, not of UTC', () => {
    const ms = Date.parse('2024-03-09T23:30:00Z');
    expect(periodKey(ms, 'day', 'UTC')).toBe('2024-03-09');
    expect(periodKey(ms, 'day', 'Asia/Shanghai')).toBe('2024-03-10');
    expect(periodKey(ms, 'day', 'America/New_York')).toBe('2024-03-09');
    expect(periodKey(Date.parse('2024-12-31T20:00:00Z'), 'year', 'Asia/Tokyo')).toBe('2025');
    expect(periodKey(Date.parse('2024-12-31T20:00:00Z'), 'month', 'UTC')).toBe('2024-12');
    expect(periodKey(Date.parse('2024-12-31T20:00:00Z'), 'week', 'UTC')).toBe('2025-W01');
  });
});

describe('planRetention with calendar rules', () => {
  it('daily: the newest of each of the last D days that have a backup', () => {
    const rows = [
      at('2024-06-30T03:00:00Z'), // 1 kept: newest of Jun 30
      at('2024-06-30T01:00:00Z'), // 2 same day, older
      at('2024-06-29T03:00:00Z'), // 3 kept: Jun 29
      // no backup on Jun 28: an empty day does not use up one of the D days
      at('2024-06-27T22:00:00Z'), // 4 kept: Jun 27
      at('2024-06-27T02:00:00Z'), // 5 same day
      at('2024-06-26T03:00:00Z'), // 6 beyond 3 days with a backup
    ];
    expect(plan(rows, { keepDaily: 3 })).toEqual([2, 5, 6]);
  });

  it('weekly: the newest of each ISO week (Monday to Sunday)', () => {
    const rows = [
      at('2024-06-30T03:00:00Z'), // 1 Sun, week 26: kept
      at('2024-06-24T03:00:00Z'), // 2 Mon, week 26
      at('2024-06-23T03:00:00Z'), // 3 Sun, week 25: kept
      at('2024-06-17T03:00:00Z'), // 4 Mon, week 25
      at('2024-06-10T03:00:00Z'), // 5 week 24: kept
      at('2024-06-03T03:00:00Z'), // 6 week 23: beyond 3 weeks
    ];
    expect(plan(rows, { keepWeekly: 3 })).toEqual([2, 4, 6]);
  });

  it('monthly: the newest of each month', () => {
    const rows = [
      at('2024-06-30T03:00:00Z'), // 1 June: kept
      at('2024-06-01T03:00:00Z'), // 2 June
      at('2024-05-31T03:00:00Z'), // 3 May: kept
      at('2024-03-15T03:00:00Z'), // 4 March (April has none): kept
      at('2024-03-01T03:00:00Z'), // 5 March
      at('2024-02-01T03:00:00Z'), // 6 beyond 3 months
    ];
    expect(plan(rows, { keepMonthly: 3 })).toEqual([2, 5, 6]);
  });

  it('yearly: the newest of each year', () => {
    const rows = [
      at('2024-06-30T03:00:00Z'), // 1 2024: kept
      at('2024-01-01T03:00:00Z'), // 2
      at('2023-12-31T03:00:00Z'), // 3 2023: kept
      at('2021-07-01T03:00:00Z'), // 4 2021: beyond 2 years
    ];
    expect(plan(rows, { keepYearly: 2 })).toEqual([2, 4]);
  });

  it('combines rules: a backup stays when any rule keeps it', () => {
    const rows = [
      at('2024-06-30T03:00:00Z'), // 1 last, daily, weekly, monthly, yearly
      at('2024-06-29T03:00:00Z'), // 2 last, daily
      at('2024-06-28T03:00:00Z'), // 3 daily
      at('2024-06-27T03:00:00Z'), // 4 none
      at('2024-06-23T03:00:00Z'), // 5 weekly (week 25)
      at('2024-06-20T03:00:00Z'), // 6 none
      at('2024-05-31T03:00:00Z'), // 7 weekly (week 22) and monthly (May)
      at('2024-05-10T03:00:00Z'), // 8 none
      at('2024-04-30T03:00:00Z'), // 9 monthly (April)
      at('2023-12-31T03:00:00Z'), // 10 yearly 2023
      at('2023-06-01T03:00:00Z'), // 11 none
      at('2022-12-31T03:00:00Z'), // 12 beyond 2 years
    ];
    expect(plan(rows, { keepLast: 2, keepDaily: 3, keepWeekly: 3, keepMonthly: 3, keepYearly: 2 })).toEqual([4, 6, 8, 11, 12]);
  });

  it('counts days in the schedule time zone: one UTC day can be two local days', () => {
    // 15:30 and 16:30 UTC on Mar 9 are Mar 9 23:30 and Mar 10 00:30 in Shanghai (UTC+8).
    const rows = [at('2024-03-09T16:30:00Z'), at('2024-03-09T15:30:00Z'), at('2024-03-08T16:30:00Z')];
    const n = new Date('2024-03-10T12:00:00Z');
    expect(plan(rows, { keepDaily: 2, now: n, timezone: 'UTC' })).toEqual([2]);
    expect(plan(rows, { keepDaily: 2, now: n, timezone: 'Asia/Shanghai' })).toEqual([3]);
  });

  it('never deletes a pinned backup, and a pin takes no period of the policy', () => {
    const rows = [
      at('2024-06-30T03:00:00Z'), // 1 kept by daily
      at('2024-06-29T05:00:00Z', { pinned: true }), // 2 pinned
      at('2024-06-29T03:00:00Z'), // 3 the newest unpinned of Jun 29: kept
      at('2024-01-01T03:00:00Z', { pinned: 1 }), // 4 pinned, old, beyond max age
      at('2024-06-28T03:00:00Z'), // 5 beyond 2 days
    ];
    expect(plan(rows, { keepDaily: 2 })).toEqual([5]);
    expect(plan(rows, { keepLast: 1, maxAgeDays: 30 })).toEqual([3, 5]);
  });

  it('caps every rule with maxAgeDays, but keeps the newest good backup', () => {
    const rows = [at('2024-05-01T03:00:00Z'), at('2024-04-01T03:00:00Z'), at('2023-12-01T03:00:00Z')];
    expect(plan(rows, { keepMonthly: 12, maxAgeDays: 45 })).toEqual([2, 3]);
    expect(plan(rows, { keepYearly: 5, maxAgeDays: 1 })).toEqual([2, 3]);
  });

  it('keeps the newest good backup even when no rule would', () => {
    // Older than the cap, and the only good one: it stays (the failed row after it is history, not a backup).
    const rows = [at('2024-06-29T03:00:00Z', { status: 'failed', fileName: null }), at('2024-05-01T03:00:00Z')];
    expect(plan(rows, { keepDaily: 1, maxAgeDays: 7 })).toEqual([]);
    // A newer manual backup is the safety net then: the scheduled one goes when no rule keeps it.
    const withManual = [at('2024-06-30T05:00:00Z', { origin: 'manual' }), at('2024-06-01T03:00:00Z')];
    expect(plan(withManual, { keepDaily: 1, maxAgeDays: 10 })).toEqual([4]);
  });

  it('never touches manual, safety or cli backups, whatever the rules', () => {
    const rows = [
      at('2020-01-01T03:00:00Z', { origin: 'manual' }),
      at('2020-01-02T03:00:00Z', { origin: 'safety' }),
      at('2020-01-03T03:00:00Z', { origin: 'cli' }),
      at('2024-06-30T03:00:00Z'),
    ];
    expect(plan(rows, { keepDaily: 1, maxAgeDays: 1 })).toEqual([]);
  });

  it('keeps the policy of before: keepLast 0 without a calendar rule is still 1', () => {
    const rows = [at('2024-06-30T03:00:00Z'), at('2024-06-29T03:00:00Z')];
    expect(plan(rows, { keepLast: 0 })).toEqual([2]);
    expect(plan(rows, { keepLast: 0, keepDaily: 0, keepWeekly: null })).toEqual([2]);
  });

  it('previews the run after the next scheduled backup, which takes the newest place of its day', () => {
    const rows = [at('2024-06-30T03:00:00Z'), at('2024-06-29T03:00:00Z'), at('2024-06-28T03:00:00Z')];
    const policy = { keepLast: 0, keepDaily: 2, now: new Date('2024-07-01T03:00:00Z') };
    expect(planRetention(rows, policy).destroy).toEqual([3]);
    // The next run (Jul 1) is one of the 2 days: Jun 29 goes too.
    expect(previewRetention(rows, policy).destroy.sort()).toEqual([2, 3]);
    // On the same day as the newest, it replaces that one.
    expect(previewRetention(rows, { ...policy, now: new Date('2024-06-30T05:00:00Z') }).destroy.sort()).toEqual([1, 3]);
  });
});
