import type { BackupsService } from '../../service';

// The real module boots half of NocoBase on import; only isTransient is used.
let mockTransient = false;
jest.mock('@nocobase/server', () => ({ isTransient: () => mockTransient }));

import { Scheduler } from '../scheduler';
import { DEFAULT_SETTINGS, type ScheduleSettings } from '../settings-values';

// The timer logic with a fake service and database: when it arms, what it fires, what it leaves alone.
function setup(initial: Partial<ScheduleSettings>) {
  let row: Record<string, unknown> = { ...DEFAULT_SETTINGS, ...initial };
  const slots = new Set<string>();
  const started: string[] = [];
  // The multi-app manager's and the data source manager's records, as their collections answer them.
  const apps = [{ name: 'crm', displayName: 'CRM' }];
  const sources = [
    { key: 'erp', type: 'mariadb', options: { host: '10.0.0.9', database: 'erp', username: 'u', password: 'p' } },
    { key: 'ledger', type: 'mssql', options: {} },
  ];
  const db = {
    hasCollection: (name: string) => ['applications', 'dataSources'].includes(name),
    getRepository: (name?: string) =>
      name === 'applications'
        ? { find: async () => apps.map((a) => ({ toJSON: () => a })) }
        : name === 'dataSources'
          ? { find: async () => sources.map((r) => ({ toJSON: () => r })) }
          : { findOne: async () => ({ toJSON: () => row }) },
    getModel: () => ({
      findByPk: async () => ({ ...row, get: (key: string) => row[key] }),
      update: async (v: Record<string, unknown>) => (row = { ...row, ...v }),
    }),
  };
  const service = {
    app: { name: 'main', db, log: { error: jest.fn(), warn: jest.fn(), info: jest.fn() }, i18n: { t: (k: string) => k } },
    repo: { count: async ({ filter }: { filter: { slot: string } }) => (slots.has(filter.slot) ? 1 : 0) },
    existingTablesOf: (names: string[]) => names.map((name) => `t_${name}`),
    startBackup: jest.fn(async (options: { slot: string }) => {
      slots.add(options.slot);
      started.push(options.slot);
      return { id: started.length, status: 'pending' };
    }),
  } as unknown as BackupsService;
  const scheduler = new Scheduler(service, { maxSleepMs: 60_000 });
  return { scheduler, started, service, change: (v: Partial<ScheduleSettings>) => (row = { ...row, ...v }) };
}

beforeEach(() => {
  jest.useFakeTimers();
});
afterEach(() => {
  jest.useRealTimers();
});

describe('Scheduler', () => {
  it('arms for the next run and fires its slot once', async () => {
    jest.setSystemTime(new Date('2024-03-31T00:59:50Z'));
    const { scheduler, started } = setup({ enabled: true, cron: '0 3 * * *', timezone: 'Europe/Berlin' });
    await scheduler.start();
    expect(scheduler.armedFor?.toISOString()).toBe('2024-03-31T01:00:00.000Z'); // 03:00 CEST, the day DST starts
    await jest.advanceTimersByTimeAsync(10_000);
    expect(started).toEqual(['sched:2024-03-31T01:00:00Z']);
    await jest.advanceTimersByTimeAsync(10 * 60_000);
    expect(started).toHaveLength(1);
    expect(scheduler.armedFor).toBeNull(); // tomorrow is further than one sleep
    scheduler.stop();
  });

  it('runs the 02:30 that the spring DST gap moves to 03:30, though it is armed only within one sleep', async () => {
    jest.setSystemTime(new Date('2024-03-30T23:00:00Z'));
    const { scheduler, started } = setup({ enabled: true, cron: '30 2 * * *', timezone: 'Europe/Berlin' });
    await scheduler.start();
    await jest.advanceTimersByTimeAsync(3 * 3600_000);
    expect(started).toEqual(['sched:2024-03-31T01:30:00Z']);
    scheduler.stop();
  });

  it('does not catch up a slot missed while down', async () => {
    jest.setSystemTime(new Date('2024-01-01T03:00:20Z'));
    const { scheduler, started } = setup({ enabled: true, cron: '0 3 * * *' });
    await scheduler.start();
    await jest.advanceTimersByTimeAsync(30 * 60_000);
    expect(started).toEqual([]);
    scheduler.stop();
  });

  it('drops an armed time that another process changed or switched off meanwhile', async () => {
    jest.setSystemTime(new Date('2024-01-01T02:59:30Z'));
    const { scheduler, started, change } = setup({ enabled: true, cron: '0 3 * * *' });
    await scheduler.start();
    change({ cron: '0 4 * * *' }); // written by another process: no rearm() here
    await jest.advanceTimersByTimeAsync(60_000);
    expect(started).toEqual([]);
    change({ cron: '*/10 * * * * *', enabled: false });
    await jest.advanceTimersByTimeAsync(5 * 60_000);
    expect(started).toEqual([]);
    scheduler.stop();
  });

  it('picks up a schedule enabled elsewhere within one sleep, and rearm() at once', async () => {
    jest.setSystemTime(new Date('2024-01-01T00:00:00Z'));
    const { scheduler, started, change } = setup({ enabled: false, cron: '*/20 * * * * *' });
    await scheduler.start();
    expect(scheduler.armedFor).toBeNull();
    change({ enabled: true });
    await jest.advanceTimersByTimeAsync(60_000); // the capped sleep ends, settings are read again
    expect(scheduler.armedFor?.toISOString()).toBe('2024-01-01T00:01:20.000Z');
    change({ cron: '*/5 * * * * *' });
    await scheduler.rearm();
    expect(scheduler.armedFor?.toISOString()).toBe('2024-01-01T00:01:05.000Z');
    await jest.advanceTimersByTimeAsync(11_000);
    expect(started).toEqual(['sched:2024-01-01T00:01:05Z', 'sched:2024-01-01T00:01:10Z']);
    scheduler.stop();
    await jest.advanceTimersByTimeAsync(60_000);
    expect(started).toHaveLength(2);
  });

  it('arms no timer in a transient worker', async () => {
    jest.setSystemTime(new Date('2024-01-01T00:00:00Z'));
    const { scheduler, started } = setup({ enabled: true, cron: '*/5 * * * * *' });
    mockTransient = true;
    try {
      await scheduler.start();
      await jest.advanceTimersByTimeAsync(60_000);
      expect(started).toEqual([]);
      expect(jest.getTimerCount()).toBe(0);
    } finally {
      mockTransient = false;
    }
  });

  it('leaves a slot another process already has', async () => {
    jest.setSystemTime(new Date('2024-01-01T00:00:00Z'));
    const { scheduler, started } = setup({ enabled: true });
    const at = new Date('2024-01-01T03:00:00Z');
    expect(await scheduler.runSlot(at, { ...DEFAULT_SETTINGS, enabled: true })).toBe('started');
    expect(await scheduler.runSlot(at, { ...DEFAULT_SETTINGS, enabled: true })).toBe('taken');
    expect(started).toHaveLength(1);
  });

  it('passes the tables of the collections to leave out to the backup', async () => {
    const { scheduler, service } = setup({ enabled: true });
    const at = new Date('2024-01-01T04:00:00Z');
    const settings = { ...DEFAULT_SETTINGS, enabled: true, excludeCollections: ['logs', 'audit'] };
    expect(await scheduler.runSlot(at, settings)).toBe('started');
    expect(service.startBackup).toHaveBeenCalledWith(
      expect.objectContaining({ slot: 'sched:2024-01-01T04:00:00Z', excludeTableData: ['t_logs', 't_audit'] }),
      expect.any(Function),
    );
  });

  it('a slot carries the chosen sub-applications and data sources; a deleted one is left out, not fatal', async () => {
    const { scheduler, service } = setup({});
    const at = new Date('2024-01-01T04:00:00Z');
    const settings = { ...DEFAULT_SETTINGS, enabled: true, subApps: ['*'], dataSources: ['erp', 'ledger', 'deleted'] };
    expect(await scheduler.runSlot(at, settings)).toBe('started');
    const options = (service.startBackup as jest.Mock).mock.calls[0][0];
    expect(options.subApps).toEqual(['crm']);
    expect(options.dataSources.dump.map((d: { key: string; db: { host: string } }) => [d.key, d.db.host])).toEqual([['erp', '10.0.0.9']]);
    expect(options.dataSources.skipped).toEqual([{ key: 'ledger', type: 'mssql', reason: 'DATASOURCE_NO_TOOL' }]);
  });
});
