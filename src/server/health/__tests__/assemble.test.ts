import { assembleHealth, chartOf, CHART_POINTS, thresholdHours, type HealthInput } from '../assemble';

const NOW = new Date('2026-06-10T12:00:00Z');
const hoursAgo = (h: number) => new Date(NOW.getTime() - h * 3600 * 1000).toISOString();

function input(over: Partial<HealthInput> = {}, schedule: Partial<HealthInput['schedule']> = {}): HealthInput {
  return {
    now: NOW,
    backups: [{ id: 1, status: 'succeeded', startedAt: hoursAgo(5.01), finishedAt: hoursAgo(5), size: 100 }],
    lastGoodAt: hoursAgo(5),
    schedule: {
      enabled: true,
      cron: '0 3 * * *',
      timezone: 'UTC',
      offsiteStorage: null,
      drillEnabled: false,
      drillCron: '0 4 * * 0',
      ...schedule,
    },
    lastDrill: null,
    disk: { usedBytes: 10, freeBytes: 1000, archives: 1 },
    ...over,
  };
}

describe('health: protection', () => {
  it('threshold: 26 h for a daily schedule, 170 h for a weekly one, 26 h when off, staleAfterHours when set', () => {
    expect(thresholdHours(input().schedule, NOW)).toBe(26);
    expect(thresholdHours(input({}, { cron: '0 3 * * 1' }).schedule, NOW)).toBe(170);
    expect(thresholdHours(input({}, { enabled: false, cron: '0 * * * *' }).schedule, NOW)).toBe(26);
    expect(thresholdHours(input({}, { cron: '0 * * * *' }).schedule, NOW)).toBe(3);
    expect(thresholdHours(input({}, { staleAfterHours: 8 }).schedule, NOW)).toBe(8);
    expect(thresholdHours(input({}, { staleAfterHours: 0 }).schedule, NOW)).toBe(26);
  });

  it('green when the last good backup is within the threshold and nothing is wrong', () => {
    expect(assembleHealth(input()).protection).toEqual({
      level: 'green',
      reasons: [],
      lastGoodAt: hoursAgo(5),
      ageHours: 5,
      thresholdHours: 26,
    });
  });

  it('red past the threshold, and with no good backup at all', () => {
    const stale = assembleHealth(input({ lastGoodAt: hoursAgo(27) })).protection;
    expect([stale.level, stale.reasons, stale.ageHours]).toEqual(['red', ['STALE'], 27]);
    expect(assembleHealth(input({ lastGoodAt: hoursAgo(25.9) })).protection.level).toBe('green');
    const none = assembleHealth(input({ lastGoodAt: null, backups: [] })).protection;
    expect([none.level, none.reasons, none.ageHours]).toEqual(['red', ['NO_GOOD_BACKUP'], null]);
    expect(assembleHealth(input({ lastGoodAt: hoursAgo(9) }, { staleAfterHours: 8 })).protection.level).toBe('red');
  });

  it('orange while protected but the newest backup failed, or nothing is scheduled', () => {
    const backups = [
      { id: 3, status: 'running', createdAt: hoursAgo(0.1) },
      { id: 2, status: 'failed', finishedAt: hoursAgo(1) },
      { id: 1, status: 'succeeded', finishedAt: hoursAgo(5), size: 1 },
    ];
    const failed = assembleHealth(input({ backups })).protection;
    expect([failed.level, failed.reasons]).toEqual(['orange', ['LAST_FAILED']]);
    const off = assembleHealth(input({}, { enabled: false })).protection;
    expect([off.level, off.reasons]).toEqual(['orange', ['SCHEDULE_OFF']]);
  });
});

describe('health: the other facts', () => {
  it('next runs of the backup schedule and the drills; the last drill', () => {
    const facts = assembleHealth(
      input(
        { lastDrill: { id: 7, status: 'failed', fileName: 'x.nbbm', errorCode: 'CHECKSUM_MISMATCH', error: 'bad', createdAt: hoursAgo(2), finishedAt: hoursAgo(1) } },
        { drillEnabled: true },
      ),
    );
    expect(facts.schedule).toEqual({ enabled: true, nextRun: '2026-06-11T03:00:00.000Z' });
    // 2026-06-10 is a Wednesday: the next Sunday 04:00
    expect(facts.drill).toEqual({
      enabled: true,
      nextRun: '2026-06-14T04:00:00.000Z',
      last: { id: 7, at: hoursAgo(1), status: 'failed', fileName: 'x.nbbm', errorCode: 'CHECKSUM_MISMATCH', error: 'bad' },
    });
    expect(assembleHealth(input({}, { enabled: false })).schedule.nextRun).toBeNull();
    expect(assembleHealth(input()).drill).toEqual({ enabled: false, nextRun: null, last: null });
  });

  it('off-site: none, unknown, ok or failing from the newest backup that tried', () => {
    expect(assembleHealth(input()).offsite.state).toBe('none');
    expect(assembleHealth(input({}, { offsiteStorage: 's3' })).offsite).toEqual({ storage: 's3', state: 'unknown', at: null, error: null });
    const backups = [
      { id: 3, status: 'succeeded', finishedAt: hoursAgo(1), remoteError: 'AccessDenied' },
      { id: 2, status: 'succeeded', finishedAt: hoursAgo(2), remoteAt: hoursAgo(2) },
    ];
    expect(assembleHealth(input({ backups }, { offsiteStorage: 's3' })).offsite).toEqual({
      storage: 's3',
      state: 'failing',
      at: hoursAgo(1),
      error: 'AccessDenied',
    });
    expect(assembleHealth(input({ backups: backups.slice(1) }, { offsiteStorage: 's3' })).offsite).toMatchObject({ state: 'ok', at: hoursAgo(2) });
  });

  it('chart: the last 30 succeeded backups, oldest first, size and duration', () => {
    const backups = Array.from({ length: 40 }, (_, i) => ({
      id: 40 - i,
      status: i % 10 === 3 ? 'failed' : 'succeeded',
      startedAt: hoursAgo(i * 24 + 0.5),
      finishedAt: hoursAgo(i * 24),
      size: String((40 - i) * 1000),
    }));
    const chart = chartOf(backups);
    expect(chart).toHaveLength(CHART_POINTS);
    expect(chart[chart.length - 1]).toEqual({ id: 40, at: hoursAgo(0), size: 40000, durationSeconds: 1800 });
    const ids = chart.map((p) => Number(p.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(ids).not.toContain(37); // failed
    expect(chartOf([{ id: 1, status: 'running', startedAt: hoursAgo(1) }])).toEqual([]);
  });

  it('space is passed through', () => {
    expect(assembleHealth(input()).space).toEqual({ usedBytes: 10, freeBytes: 1000, archives: 1 });
  });
});
