import { planRetention, type RetentionRow } from '../retention';

const now = new Date('2024-06-30T12:00:00Z');
const daysAgo = (d: number) => new Date(now.getTime() - d * 24 * 3600 * 1000).toISOString();
let nextId = 1;
const row = (origin: string, status: string, age: number, extra: Partial<RetentionRow> = {}): RetentionRow => ({
  id: nextId++,
  kind: 'backup',
  origin,
  status,
  fileName: status === 'succeeded' ? `f${nextId}.nbbm` : null,
  finishedAt: daysAgo(age),
  ...extra,
});
const sorted = (ids: unknown[]) => [...ids].sort((a, b) => Number(a) - Number(b));

beforeEach(() => {
  nextId = 1;
});

describe('planRetention', () => {
  it('keeps the newest N succeeded scheduled backups', () => {
    const rows = [1, 2, 3, 4, 5].map((age) => row('scheduled', 'succeeded', age));
    expect(planRetention(rows, { keepLast: 2, now })).toEqual({ destroy: [3, 4, 5], cleanFiles: [] });
    expect(planRetention(rows, { keepLast: 5, now }).destroy).toEqual([]);
    expect(planRetention(rows, { keepLast: 9, now }).destroy).toEqual([]);
  });

  it('orders by finish time, not by id or list order', () => {
    const rows = [row('scheduled', 'succeeded', 1), row('scheduled', 'succeeded', 5), row('scheduled', 'succeeded', 3)];
    expect(planRetention(rows.reverse(), { keepLast: 1, now }).destroy).toEqual([3, 2]);
  });

  it('never deletes manual, safety, upload or cli backups, even old ones', () => {
    const rows = [
      row('manual', 'succeeded', 400),
      row('safety', 'succeeded', 300),
      row('upload', 'succeeded', 200),
      row('cli', 'succeeded', 100),
      row('manual', 'failed', 100, { fileName: 'x.nbbm' }),
      row('scheduled', 'succeeded', 1),
    ];
    expect(planRetention(rows, { keepLast: 1, maxAgeDays: 1, now })).toEqual({ destroy: [], cleanFiles: [] });
  });

  it('also drops scheduled backups older than D days', () => {
    const rows = [
      row('scheduled', 'succeeded', 1),
      row('scheduled', 'succeeded', 10),
      row('scheduled', 'succeeded', 40),
    ];
    expect(planRetention(rows, { keepLast: 7, maxAgeDays: 30, now }).destroy).toEqual([3]);
    expect(planRetention(rows, { keepLast: 7, maxAgeDays: 5, now }).destroy).toEqual([2, 3]);
    expect(planRetention(rows, { keepLast: 7, maxAgeDays: null, now }).destroy).toEqual([]);
  });

  it('never deletes the newest succeeded backup overall, however old', () => {
    const rows = [row('scheduled', 'succeeded', 90), row('scheduled', 'succeeded', 100), row('scheduled', 'failed', 1)];
    expect(planRetention(rows, { keepLast: 1, maxAgeDays: 30, now }).destroy).toEqual([2]);
  });

  it('lets a newer manual backup be the safety net, then ages scheduled ones out', () => {
    const rows = [row('manual', 'succeeded', 1), row('scheduled', 'succeeded', 90)];
    expect(planRetention(rows, { keepLast: 3, maxAgeDays: 30, now }).destroy).toEqual([2]);
  });

  it('cleans failed scheduled rows: files now, rows beyond N or D days', () => {
    const rows = [
      row('scheduled', 'succeeded', 0),
      row('scheduled', 'failed', 1, { fileName: 'left.nbbm' }),
      row('scheduled', 'failed', 2, { errorCode: 'SKIPPED_BUSY' } as Partial<RetentionRow>),
      row('scheduled', 'failed', 3, { fileName: 'old.nbbm' }),
      row('scheduled', 'failed', 50),
    ];
    expect(planRetention(rows, { keepLast: 2, now })).toEqual({ destroy: [4, 5], cleanFiles: [2] });
    expect(planRetention(rows, { keepLast: 9, maxAgeDays: 30, now })).toEqual({ destroy: [5], cleanFiles: [2, 4] });
  });

  it('leaves pending and running rows, restores and verifies alone', () => {
    const rows = [
      row('scheduled', 'running', 9),
      row('scheduled', 'pending', 9),
      row('scheduled', 'succeeded', 9, { kind: 'restore' }),
      row('scheduled', 'failed', 9, { kind: 'verify' }),
      row('scheduled', 'succeeded', 1),
      row('scheduled', 'succeeded', 2),
    ];
    expect(planRetention(rows, { keepLast: 1, maxAgeDays: 1, now })).toEqual({ destroy: [6], cleanFiles: [] });
  });

  it('treats keepLast below 1 as 1 and sorts undated rows as oldest', () => {
    const rows = [
      row('scheduled', 'succeeded', 1),
      row('scheduled', 'succeeded', 0, { finishedAt: null }),
      row('scheduled', 'succeeded', 2),
    ];
    expect(sorted(planRetention(rows, { keepLast: 0, maxAgeDays: 1000, now }).destroy)).toEqual([2, 3]);
  });

  it('falls back to createdAt and accepts string ids', () => {
    const rows: RetentionRow[] = [
      { id: 'a', origin: 'scheduled', status: 'succeeded', createdAt: daysAgo(1) },
      { id: 'b', origin: 'scheduled', status: 'succeeded', createdAt: daysAgo(2) },
    ];
    expect(planRetention(rows, { keepLast: 1, now }).destroy).toEqual(['b']);
  });

  it('has nothing to do on an empty table', () => {
    expect(planRetention([], { keepLast: 3, maxAgeDays: 1, now })).toEqual({ destroy: [], cleanFiles: [] });
  });
});
