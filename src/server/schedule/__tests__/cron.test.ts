import { checkCron, isRunTime, isValidTimezone, nextRun, nextRuns, slotKey, toIso } from '../cron';

const at = (iso: string) => new Date(iso);
const runs = (cron: string, tz: string, from: string, n = 4) => toIso(nextRuns(cron, tz, n, at(from)));

describe('checkCron', () => {
  it('accepts 5 and 6 fields and nicknames', () => {
    expect(checkCron('0 3 * * *', 'UTC')).toEqual({ valid: true });
    expect(checkCron('*/5 * * * * *', 'Europe/Berlin')).toEqual({ valid: true });
    expect(checkCron('@daily', 'Asia/Shanghai')).toEqual({ valid: true });
  });

  it('rejects bad expressions with a readable detail', () => {
    const bad = checkCron('61 * * * *', 'UTC');
    expect(bad).toMatchObject({ valid: false, code: 'CRON_INVALID' });
    expect(bad.valid === false && bad.detail).toMatch(/0-59/);
    expect(checkCron('bad', 'UTC')).toMatchObject({ valid: false, code: 'CRON_INVALID' });
    expect(checkCron('0 0 0 * * * *', 'UTC')).toMatchObject({ valid: false, code: 'CRON_INVALID' });
    expect(checkCron('   ', 'UTC')).toMatchObject({ valid: false, code: 'CRON_INVALID' });
    expect(checkCron(undefined, 'UTC')).toMatchObject({ valid: false, code: 'CRON_INVALID' });
  });

  it('rejects unknown time zones before looking at the expression', () => {
    expect(checkCron('0 3 * * *', 'Mars/Base')).toEqual({
      valid: false,
      code: 'TIMEZONE_INVALID',
      detail: 'Mars/Base',
    });
    expect(checkCron('bad', '')).toMatchObject({ code: 'TIMEZONE_INVALID' });
    expect(isValidTimezone('America/New_York')).toBe(true);
    expect(isValidTimezone('Nowhere')).toBe(false);
  });
});

describe('nextRuns', () => {
  it('counts strictly after the given time', () => {
    expect(runs('0 3 * * *', 'UTC', '2024-01-01T03:00:00Z', 2)).toEqual([
      '2024-01-02T03:00:00.000Z',
      '2024-01-03T03:00:00.000Z',
    ]);
    expect(runs('*/5 * * * * *', 'UTC', '2024-01-01T00:00:00Z', 2)).toEqual([
      '2024-01-01T00:00:05.000Z',
      '2024-01-01T00:00:10.000Z',
    ]);
  });

  it('refuses a date that never comes (30 February) as invalid', () => {
    expect(checkCron('0 0 30 2 *', 'UTC')).toMatchObject({ valid: false, code: 'CRON_INVALID' });
  });

  it('keeps the wall-clock time across the spring change in Europe/Berlin', () => {
    // CET (UTC+1) until 2024-03-31 02:00, then CEST (UTC+2)
    expect(runs('0 3 * * *', 'Europe/Berlin', '2024-03-29T00:00:00Z')).toEqual([
      '2024-03-29T02:00:00.000Z',
      '2024-03-30T02:00:00.000Z',
      '2024-03-31T01:00:00.000Z',
      '2024-04-01T01:00:00.000Z',
    ]);
  });

  it('runs a time skipped by the spring change once, an hour later (Europe/Berlin 02:30)', () => {
    const list = runs('30 2 * * *', 'Europe/Berlin', '2024-03-29T00:00:00Z');
    expect(list).toEqual([
      '2024-03-29T01:30:00.000Z',
      '2024-03-30T01:30:00.000Z',
      '2024-03-31T01:30:00.000Z', // 03:30 CEST: 02:30 does not exist that night
      '2024-04-01T00:30:00.000Z',
    ]);
  });

  it('runs a time repeated by the autumn change only once (Europe/Berlin 02:30)', () => {
    const list = runs('30 2 * * *', 'Europe/Berlin', '2024-10-26T12:00:00Z', 3);
    // The first of the two 02:30s (CEST), once.
    expect(list).toEqual(['2024-10-27T00:30:00.000Z', '2024-10-28T01:30:00.000Z', '2024-10-29T01:30:00.000Z']);
  });

  it('handles America/New_York both ways', () => {
    // 2024-03-10 02:00 EST -> 03:00 EDT: 02:30 does not exist
    expect(runs('30 2 * * *', 'America/New_York', '2024-03-09T00:00:00Z', 3)).toEqual([
      '2024-03-09T07:30:00.000Z',
      '2024-03-10T07:30:00.000Z',
      '2024-03-11T06:30:00.000Z',
    ]);
    // 2024-11-03 02:00 EDT -> 01:00 EST: 01:30 happens twice, the backup once
    const autumn = runs('30 1 * * *', 'America/New_York', '2024-11-02T12:00:00Z', 3);
    expect(autumn).toEqual(['2024-11-03T05:30:00.000Z', '2024-11-04T06:30:00.000Z', '2024-11-05T06:30:00.000Z']);
  });

  it('never repeats or goes back in time over a DST change, hourly', () => {
    for (const [tz, from] of [
      ['Europe/Berlin', '2024-10-26T20:00:00Z'],
      ['Europe/Berlin', '2024-03-30T20:00:00Z'],
      ['America/New_York', '2024-11-03T00:00:00Z'],
      ['America/New_York', '2024-03-10T00:00:00Z'],
    ]) {
      const list = nextRuns('0 * * * *', tz, 24, at(from)).map((d) => d.getTime());
      for (let i = 1; i < list.length; i++) expect(list[i]).toBeGreaterThan(list[i - 1]);
      expect(new Set(list).size).toBe(list.length);
    }
  });
});

describe('isRunTime / slotKey', () => {
  const before = (iso: string) => new Date(new Date(iso).getTime() - 1000);
  it('tells a run time of the current schedule from a stale one', () => {
    const check = (cron: string, tz: string, iso: string) => isRunTime(cron, tz, at(iso), before(iso));
    expect(check('0 3 * * *', 'UTC', '2024-01-01T03:00:00Z')).toBe(true);
    expect(check('0 4 * * *', 'UTC', '2024-01-01T03:00:00Z')).toBe(false);
    expect(check('0 3 * * *', 'Europe/Berlin', '2024-01-01T02:00:00Z')).toBe(true);
    expect(check('*/2 * * * * *', 'UTC', '2024-01-01T00:00:04Z')).toBe(true);
    expect(check('*/2 * * * * *', 'UTC', '2024-01-01T00:00:05Z')).toBe(false);
    expect(isRunTime('*/2 * * * * *', 'UTC', at('2024-01-01T00:04:00Z'), at('2024-01-01T00:00:00Z'))).toBe(true);
  });

  it('keeps the run a DST gap moved, when stepped from the time it was armed', () => {
    const moved = nextRun('30 2 * * *', 'Europe/Berlin', at('2024-03-30T12:00:00Z')) as Date;
    expect(moved.toISOString()).toBe('2024-03-31T01:30:00.000Z'); // 03:30 CEST
    expect(isRunTime('30 2 * * *', 'Europe/Berlin', moved, at('2024-03-30T12:00:00Z'))).toBe(true);
    // from just before, croner no longer sees it: why the scheduler passes its arming time
    expect(isRunTime('30 2 * * *', 'Europe/Berlin', moved, before('2024-03-31T01:30:00Z'))).toBe(false);
  });

  it('names a slot by its UTC second, whatever the zone', () => {
    expect(slotKey(at('2024-03-31T01:00:00.000Z'))).toBe('sched:2024-03-31T01:00:00Z');
    expect(slotKey(at('2024-03-31T03:00:00+02:00'))).toBe('sched:2024-03-31T01:00:00Z');
    expect(slotKey(at('2024-01-01T00:00:05Z'))).not.toBe(slotKey(at('2024-01-01T00:00:10Z')));
  });
});
