import { SETTINGS, SETTINGS_ROW_ID, TASKS } from '../../../constants';
import { openWithAppKey } from '../../crypto/app-key-seal';
import { getScheduler } from '../../schedule/scheduler';
import { DEFAULT_SETTINGS } from '../../schedule/settings-values';
import { memoryApp } from '../../tasks/__tests__/memory-store';
import { settingsResource } from '../settings';
import { call, fakeCtx, refusal, type FakeCtxOptions } from './fake-ctx';

// The real module boots half of NocoBase on import: the scheduler asks it only whether this is a transient worker.
jest.mock('@nocobase/server', () => ({ isTransient: () => false, AppSupervisor: { getInstance: () => ({}) } }));

const { actions } = settingsResource;

/** The settings row, the task table, the file manager's storages and the data sources, all in memory. */
async function setup() {
  const { app, table } = await memoryApp({ collections: { logs: 'app_logs', storages: 'storages', dataSources: 'dataSources', applications: 'applications' } });
  const rearm = jest.spyOn(getScheduler(app), 'rearm');
  const run = (name: keyof typeof actions, opts: FakeCtxOptions = {}) => call(actions[name], fakeCtx(app, opts));
  const stored = () => table(SETTINGS).rows.find((r) => r.id === SETTINGS_ROW_ID);
  return { app, table, run, rearm, stored };
}

describe('settings:get', () => {
  it('answers the defaults before anything was saved, with no password, no last run and no next runs', async () => {
    const { run } = await setup();
    const ctx = await run('get');
    expect(ctx.body).toEqual({ ...DEFAULT_SETTINGS, hasPassword: false, lastRun: null, nextRuns: [] });
    expect(ctx.next).toHaveBeenCalled();
  });

  it('answers the saved schedule, its next five runs, whether a password is set and the newest scheduled run', async () => {
    const { table, run } = await setup();
    table(SETTINGS).insert({ id: SETTINGS_ROW_ID, enabled: true, cron: '0 3 * * *', timezone: 'UTC', passwordSealed: 'sealed' });
    table(TASKS).insert({ kind: 'backup', origin: 'scheduled', status: 'succeeded', finishedAt: new Date('2026-01-01T03:01:00Z') });
    table(TASKS).insert({ kind: 'backup', origin: 'scheduled', status: 'failed', error: 'disk full', errorCode: 'X', finishedAt: new Date('2026-01-02T03:01:00Z') });
    table(TASKS).insert({ kind: 'backup', origin: 'manual', status: 'succeeded' });
    const body = (await run('get')).body as { hasPassword: boolean; lastRun: unknown; nextRuns: string[] };
    expect(body).toMatchObject({ enabled: true, hasPassword: true });
    expect(body.lastRun).toEqual({ status: 'failed', error: 'disk full', errorCode: 'X', finishedAt: '2026-01-02T03:01:00.000Z' });
    expect(body.nextRuns).toHaveLength(5);
    for (const at of body.nextRuns) expect(at).toMatch(/T03:00:00\.000Z$/);
  });
});

describe('settings:update', () => {
  it('saves the values, re-arms the scheduler and answers the new schedule', async () => {
    const { run, rearm, stored } = await setup();
    const ctx = await run('update', { params: { values: { enabled: true, cron: '30 1 * * 1', keepLast: 3, excludeCollections: ['logs'] } } });
    expect(ctx.body).toMatchObject({ enabled: true, cron: '30 1 * * 1', keepLast: 3, excludeCollections: ['logs'], hasPassword: false });
    expect((ctx.body as { nextRuns: string[] }).nextRuns).toHaveLength(5);
    expect(stored()).toMatchObject({ enabled: true, cron: '30 1 * * 1', keepLast: 3 });
    expect(rearm).toHaveBeenCalledTimes(1);
  });

  it("seals a password from the header with the app's key, and removes it on clearPassword", async () => {
    const { run, stored } = await setup();
    expect((await run('update', { params: { values: {} }, password: 'Härte 100%' })).body).toMatchObject({ hasPassword: true });
    const sealed = String(stored()?.passwordSealed);
    expect(sealed).not.toContain('Härte');
    expect(openWithAppKey(sealed, process.env.APP_KEY || '')).toBe('Härte 100%');
    // Another change without a password keeps the one set.
    expect((await run('update', { params: { values: { keepLast: 2 } } })).body).toMatchObject({ hasPassword: true });
    expect((await run('update', { params: { values: { clearPassword: 'true' } } })).body).toMatchObject({ hasPassword: false });
    expect(stored()?.passwordSealed).toBeNull();
  });

  it('requires a password (or the explicit choice) for automatic backups copied off-site', async () => {
    const { table, run, stored } = await setup();
    table('storages').insert({ name: 'bucket', type: 's3', options: { bucket: 'b' } });
    const values = { enabled: true, offsiteStorage: 'bucket' };
    expect(refusal(await run('update', { params: { values } }))).toMatchObject({ status: 422, code: 'OFFSITE_PASSWORD_REQUIRED' });
    expect(stored()).toBeUndefined();
    expect((await run('update', { params: { values }, password: 'pw' })).body).toMatchObject({ offsiteStorage: 'bucket', hasPassword: true });
    // Clearing the password the copies rely on is the same refusal.
    expect(refusal(await run('update', { params: { values: { clearPassword: true } } }))).toMatchObject({ code: 'OFFSITE_PASSWORD_REQUIRED' });
    expect(stored()?.passwordSealed).toEqual(expect.any(String));
    expect((await run('update', { params: { values: { ...values, clearPassword: true, offsiteUnencrypted: true } } })).body).toMatchObject({ hasPassword: false, offsiteUnencrypted: true });
  });

  it.each([
    ['an unknown collection', { excludeCollections: ['nope'] }, 400, 'COLLECTION_UNKNOWN', 'Unknown collection: nope'],
    ['an unknown storage', { offsiteStorage: 'nope' }, 400, 'OFFSITE_STORAGE_UNKNOWN', 'Unknown storage: nope'],
    ['a local storage', { offsiteStorage: 'disk' }, 400, 'OFFSITE_LOCAL_STORAGE', 'A local storage is on this server: it is no off-site copy.'],
    ['an unknown sub-application', { subApps: ['crm'] }, 400, 'SUBAPP_UNKNOWN', 'Unknown sub-application: crm'],
    ['an invalid schedule', { cron: 'every day' }, 422, 'CRON_INVALID', undefined],
    ['an unknown time zone', { timezone: 'Mars/Olympus' }, 422, 'TIMEZONE_INVALID', 'Unknown time zone: Mars/Olympus'],
  ])('refuses %s and saves nothing', async (_name, values, status, code, message) => {
    const { table, run, rearm, stored } = await setup();
    table('storages').insert({ name: 'disk', type: 'local' });
    const answer = refusal(await run('update', { params: { values } }));
    expect(answer).toMatchObject({ status, code, ...(message ? { message } : {}) });
    expect(stored()).toBeUndefined();
    expect(rearm).not.toHaveBeenCalled();
  });

  it('refuses a password header not encoded as our client does', async () => {
    const { run, stored } = await setup();
    expect(refusal(await run('update', { params: { values: {} }, rawPassword: 'p@ss' }))).toMatchObject({ status: 400, code: 'PASSWORD_HEADER_INVALID' });
    expect(stored()).toBeUndefined();
  });
});

describe('settings:preview', () => {
  it('answers the next five runs of a valid schedule, in its time zone', async () => {
    const { run } = await setup();
    const body = (await run('preview', { params: { cron: '0 3 * * *', timezone: 'Asia/Shanghai' } })).body as { valid: boolean; nextRuns: string[] };
    expect(body.valid).toBe(true);
    expect(body.nextRuns).toHaveLength(5);
    for (const at of body.nextRuns) expect(at).toMatch(/T19:00:00\.000Z$/); // 03:00 in Shanghai
  });

  it("answers an invalid schedule with the reason in the request's language, never a 4xx", async () => {
    const { run } = await setup();
    const ctx = await run('preview', { params: { cron: '0 3 * * *', timezone: 'Mars/Olympus' }, lng: 'en-US' });
    expect(ctx.body).toEqual({ valid: false, error: 'Unknown time zone: Mars/Olympus', nextRuns: [] });
    expect(ctx.status).not.toBeGreaterThanOrEqual(400);
    const bad = (await run('preview', { params: { cron: 'nope' } })).body as { valid: boolean; error: string };
    expect(bad.valid).toBe(false);
    expect(bad.error).toMatch(/^Invalid schedule: /);
  });
});

describe('settings:storages, apps, dataSources', () => {
  it('lists the storages, each said usable or not with the reason translated', async () => {
    const { table, run } = await setup();
    table('storages').insert({ name: 's3', title: 'Bucket', type: 's3', options: { bucket: 'b', secretAccessKey: 'never shown' } });
    table('storages').insert({ name: 'empty', type: 's3', options: {} });
    const body = (await run('storages')).body;
    expect(body).toEqual([
      { name: 's3', title: 'Bucket', type: 's3', supported: true, reason: undefined },
      { name: 'empty', title: 'empty', type: 's3', supported: false, reason: 'The storage empty has no bucket set.' },
    ]);
    expect(JSON.stringify(body)).not.toContain('never shown');
  });

  it("lists the multi-app manager's sub-applications of the main app", async () => {
    const { table, run } = await setup();
    table('applications').insert({ name: 'crm', displayName: 'CRM' });
    table('applications').insert({ name: 'erp' });
    expect((await run('apps')).body).toEqual([
      { name: 'crm', title: 'CRM' },
      { name: 'erp', title: 'erp' },
    ]);
  });

  it('lists the external data sources, those without a dump tool with the reason translated', async () => {
    const { table, run } = await setup();
    table('dataSources').insert({ key: 'main', type: 'main' });
    table('dataSources').insert({ key: 'erp', displayName: 'ERP', type: 'mariadb', options: {} });
    table('dataSources').insert({ key: 'ledger', type: 'mssql', options: {} });
    expect((await run('dataSources')).body).toEqual([
      { key: 'erp', title: 'ERP', type: 'mariadb', supported: true, reason: undefined },
      expect.objectContaining({ key: 'ledger', supported: false, reason: expect.stringMatching(/^mssql has no dump tool/) }),
    ]);
  });
});
