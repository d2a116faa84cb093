import { drillSlotKey, planDrill, type DrillCandidate } from '../plan';

const row = (id: number, createdAt: string, extra: Partial<DrillCandidate> = {}): DrillCandidate => ({
  id,
  kind: 'backup',
  status: 'succeeded',
  fileName: `b${id}.nbbm`,
  createdAt,
  local: true,
  remote: false,
  ...extra,
});

describe('planDrill', () => {
  it('picks the newest succeeded backup, whatever the order given', () => {
    const rows = [row(1, '2026-01-01T00:00:00Z'), row(3, '2026-01-03T00:00:00Z'), row(2, '2026-01-02T00:00:00Z')];
    expect(planDrill(rows, false)).toEqual({ action: 'run', backupId: 3, fileName: 'b3.nbbm' });
  });

  it('skips failed, running, non-backup rows and archives that are nowhere', () => {
    const rows = [
      row(9, '2026-01-09T00:00:00Z', { status: 'failed' }),
      row(8, '2026-01-08T00:00:00Z', { status: 'running' }),
      row(7, '2026-01-07T00:00:00Z', { kind: 'verify' }),
      row(6, '2026-01-06T00:00:00Z', { local: false, remote: false }),
      row(5, '2026-01-05T00:00:00Z', { fileName: null }),
      row(4, '2026-01-04T00:00:00Z', { local: false, remote: true }),
      row(3, '2026-01-03T00:00:00Z'),
    ];
    expect(planDrill(rows, false)).toEqual({ action: 'run', backupId: 4, fileName: 'b4.nbbm' });
  });

  it('the same second: the higher id is newer', () => {
    const at = '2026-01-01T00:00:00Z';
    expect(planDrill([row(11, at), row(12, at)], false)).toMatchObject({ backupId: 12 });
  });

  it('never while busy, even with a backup to drill', () => {
    expect(planDrill([row(1, '2026-01-01T00:00:00Z')], true)).toEqual({ action: 'skip', reason: 'busy' });
  });

  it('nothing to drill', () => {
    expect(planDrill([], false)).toEqual({ action: 'none', reason: 'no-backup' });
    expect(planDrill([row(1, '2026-01-01T00:00:00Z', { status: 'failed' })], false)).toEqual({ action: 'none', reason: 'no-backup' });
  });

  it('slot keys are per second and never collide with the backup schedule', () => {
    expect(drillSlotKey(new Date('2026-03-01T04:00:00.400Z'))).toBe('drill:2026-03-01T04:00:00Z');
  });
});
