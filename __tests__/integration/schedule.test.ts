import fs from 'fs';
import type { MockServer } from '@nocobase/test';
import { getScheduler, Scheduler, type SlotOutcome } from '../../src/server/schedule/scheduler';
import { readManifest } from '../../src/server/archive/reader';
import { nextRuns, slotKey } from '../../src/server/schedule/cron';
import { readSettings } from '../../src/server/schedule/settings-store';
import { getService } from '../../src/server/service';
import { adminAgent, useTempStorage, waitTask } from '../helpers/server';
import {
  clearTasks,
  idle,
  setSchedule,
  SETTINGS,
  startScheduleApp,
  startSecondInstance,
  taskRows,
  until,
} from '../helpers/schedule';
import { findJson } from '../../src/server/db/find-json';

const FAST = { includeUploads: false, includePlugins: false, timezone: 'UTC' };
const files = (app: MockServer) =>
  fs
    .readdirSync(getService(app).paths.archives)
    .filter((f) => !f.startsWith('.'))
    .sort();
const scheduled = (app: MockServer) => taskRows(app, { origin: 'scheduled' });

describe('automatic backups', () => {
  let app: MockServer;
  beforeAll(async () => {
    useTempStorage();
    app = await startScheduleApp();
  });
  afterAll(async () => {
    await app?.destroy();
  });

  it('settings API: defaults, validation, next runs, preview', async () => {
    const agent = await adminAgent(app);
    const get = await agent.resource(SETTINGS).get();
    expect(get.status).toBe(200);
    expect(get.body.data).toEqual({
      enabled: false,
      cron: '0 3 * * *',
      timezone: 'UTC',
      includeUploads: true,
      includePlugins: true,
      keepLast: 7,
      maxAgeDays: null,
      keepDaily: null,
      keepWeekly: null,
      keepMonthly: null,
      keepYearly: null,
      excludeCollections: [],
      offsiteStorage: null,
      offsiteUnencrypted: false,
      subApps: [],
      dataSources: [],
      staleAfterHours: 48,
      alertEmailChannel: null,
      drillEnabled: false,
      drillCron: '0 4 * * 0',
      dumpJobs: null,
      hasPassword: false,
      lastRun: null,
      nextRuns: [],
    });
    const bad = async (values: Record<string, unknown>) => {
      const res = await agent.resource(SETTINGS).update({ filterByTk: 1, values });
      return [res.status, res.body.errors?.[0]?.code];
    };
    expect(await bad({ cron: '61 * * * *' })).toEqual([422, 'CRON_INVALID']);
    expect(await bad({ timezone: 'Mars/Base' })).toEqual([422, 'TIMEZONE_INVALID']);
    expect(await bad({ keepLast: 0 })).toEqual([422, 'KEEP_LAST_INVALID']);
    expect(await bad({ maxAgeDays: -3 })).toEqual([422, 'MAX_AGE_INVALID']);
    expect(await bad({ dumpJobs: 9 })).toEqual([422, 'DUMP_JOBS_INVALID']);

    const values = {
      enabled: true,
      cron: '0 3 * * *',
      timezone: 'Europe/Berlin',
      keepLast: 3,
      maxAgeDays: null,
      clearPassword: true,
    };
    expect((await agent.resource(SETTINGS).update({ filterByTk: 1, values })).status).toBe(200);
    const after = (await agent.resource(SETTINGS).get()).body.data;
    expect(after).toMatchObject({ enabled: true, timezone: 'Europe/Berlin', keepLast: 3, hasPassword: false });
    expect(after.nextRuns).toHaveLength(5);
    for (const run of after.nextRuns) expect(run).toMatch(/T0[12]:00:00\.000Z$/); // 03:00 Berlin, CET or CEST

    const preview = async (query: string) => (await agent.get(`/${SETTINGS}:preview?${query}`)).body.data;
    expect(await preview('cron=*/10%20*%20*%20*%20*&timezone=UTC')).toMatchObject({ valid: true });
    expect((await preview('cron=0%200%2030%202%20*&timezone=UTC')).nextRuns).toEqual([]);
    const invalid = await preview('cron=nope&timezone=UTC');
    expect(invalid).toMatchObject({ valid: false, nextRuns: [] });
    expect(invalid.error).toMatch(/nope/);
    expect(await preview('cron=0%203%20*%20*%20*&timezone=Nowhere')).toMatchObject({ valid: false });
    expect((await agent.resource(SETTINGS).update({ filterByTk: 1, values: { enabled: false } })).status).toBe(200);
  });

  it('a scheduled backup leaves out the data of the chosen collections, and says so', async () => {
    const agent = await adminAgent(app);
    const update = (values: Record<string, unknown>) => agent.resource(SETTINGS).update({ filterByTk: 1, values });
    const unknown = await update({ excludeCollections: ['no_such_collection'] });
    expect([unknown.status, unknown.body.errors?.[0]?.code]).toEqual([400, 'COLLECTION_UNKNOWN']);
    expect((await update({ ...FAST, excludeCollections: ['users'] })).status).toBe(200);
    expect((await agent.resource(SETTINGS).get()).body.data.excludeCollections).toEqual(['users']);

    const at = new Date('2031-01-01T00:00:00Z');
    expect(await getScheduler(app).runSlot(at, await readSettings(app.db))).toBe('started');
    const row = (await scheduled(app)).find((r) => r.slot === 'sched:2031-01-01T00:00:00Z')!;
    const done = await waitTask(app, row.id);
    expect(done.status).toBe('succeeded');
    const usersTable = app.db.getCollection('users').model.tableName;
    const archive = `${getService(app).paths.archives}/${done.fileName}`;
    const manifest = await readManifest(archive);
    expect(manifest.database.excludedTableData).toContain(usersTable);
    expect(manifest.database.tables?.[usersTable] ?? 0).toBe(0);
    expect(done.summary.excludedTableData).toContain(usersTable);

    expect((await update({ excludeCollections: [] })).status).toBe(200);
    await clearTasks(app, getService(app).paths.archives);
  });

  it('records a busy slot as skipped, and a skipped slot never runs late', async () => {
    const service = getService(app);
    const scheduler = getScheduler(app);
    const settings = await readSettings(app.db);
    const release = service.exclusive.acquire('restore-in-this-process', 'restore');
    const at = new Date('2030-01-01T00:00:00Z');
    expect(await scheduler.runSlot(at, settings)).toBe('skipped');
    release();
    // a task of another process, seen only in the table
    const other = await service.createTask('backup', 'manual', { status: 'running' });
    const at2 = new Date('2030-01-01T01:00:00Z');
    expect(await scheduler.runSlot(at2, settings)).toBe('skipped');
    await service.repo.destroy({ filterByTk: other.id });
    expect(await scheduler.runSlot(at, settings)).toBe('taken');
    const rows = await scheduled(app);
    expect(rows.map((r) => [r.slot, r.status, r.errorCode])).toEqual([
      ['sched:2030-01-01T00:00:00Z', 'failed', 'SKIPPED_BUSY'],
      ['sched:2030-01-01T01:00:00Z', 'failed', 'SKIPPED_BUSY'],
    ]);
    const lastRun = (await (await adminAgent(app)).resource(SETTINGS).get()).body.data.lastRun;
    expect(lastRun).toMatchObject({ status: 'failed', errorCode: 'SKIPPED_BUSY' });
  });

  it('fires every few seconds, and retention keeps the newest N (never the manual one)', async () => {
    await clearTasks(app, getService(app).paths.archives);
    const agent = await adminAgent(app);
    const manual = await agent.resource('backupsManagerTasks').create({ values: FAST });
    await waitTask(app, manual.body.data.id);
    const values = { ...FAST, enabled: true, cron: '*/3 * * * * *', keepLast: 2 };
    expect((await agent.resource(SETTINGS).update({ filterByTk: 1, values })).status).toBe(200);
    const seen = new Set<number>();
    await until(
      async () => {
        for (const r of await scheduled(app)) if (r.status === 'succeeded') seen.add(r.id);
        return seen.size >= 4;
      },
      90000,
      '4 scheduled backups',
    );
    expect((await agent.resource(SETTINGS).update({ filterByTk: 1, values: { enabled: false } })).status).toBe(200);
    await idle(app);
    const kept = await until(async () => {
      const ok = (await scheduled(app)).filter((r) => r.status === 'succeeded');
      return ok.length === 2 && ok;
    });
    expect(kept.every((r) => seen.has(r.id) || r.id > Math.max(...seen))).toBe(true);
    expect(new Set((await scheduled(app)).map((r) => r.slot)).size).toBe((await scheduled(app)).length);
    const manualRow = (await taskRows(app, { origin: 'manual' }))[0];
    expect(files(app)).toEqual([manualRow.fileName, ...kept.map((r) => r.fileName)].sort());
  });

  it('after a restart: no catch-up of missed slots, no duplicate of a slot', async () => {
    await clearTasks(app, getService(app).paths.archives);
    const scheduler = getScheduler(app);
    scheduler.stop(); // the process is "down" from here
    await setSchedule([app], { ...FAST, enabled: true, cron: '*/2 * * * * *', keepLast: 50 });
    expect(scheduler.armedFor).toBeNull();
    // Two slots pass while it is down: the restart must neither run them late nor run one twice.
    const secondMissed = nextRuns('*/2 * * * * *', 'UTC', 2)[1].getTime();
    await until(async () => Date.now() > secondMissed + 200, 10000, 'two missed slots');
    const restartedAt = Math.floor(Date.now() / 1000) * 1000;
    await app.restart(); // beforeStop, reload, start: the plugin's afterStart arms the scheduler again
    expect(getScheduler(app)).toBe(scheduler);
    await until(async () => (await scheduled(app)).length >= 1, 30000, 'a run after restart');
    await setSchedule([app], { enabled: false });
    await idle(app);
    const rows = await scheduled(app);
    for (const r of rows) expect(new Date(String(r.slot).slice(6)).getTime()).toBeGreaterThanOrEqual(restartedAt);

    // the same slot again, from this scheduler after a restart or from a second one: the row exists, nothing runs
    const settings = await readSettings(app.db);
    const at = new Date(String(rows[0].slot).slice(6));
    expect(await scheduler.runSlot(at, settings)).toBe('taken');
    expect(await new Scheduler(getService(app)).runSlot(at, settings)).toBe('taken');
    expect((await scheduled(app)).length).toBe(rows.length);
  });

  it('a failed scheduled backup sends an in-app message to admins', async () => {
    const service = getService(app);
    const at = new Date('2031-05-05T05:05:00Z');
    // Only this slot's run fails: a slot of the last test that fired as its schedule was switched off may still
    // start a backup (the switch does not stop a run already past its settings check), and must not take the failure.
    const original = service.runBackupTask.bind(service);
    jest.spyOn(service, 'runBackupTask').mockImplementation(async (task, options) => {
      if (options.slot !== slotKey(at)) return original(task, options);
      const err = new Error('disk on fire');
      await service.failTask(task.id, err);
      throw err;
    });
    await idle(app);
    const settings = await readSettings(app.db);
    expect(await getScheduler(app).runSlot(at, settings)).toBe('started');
    const messages = await until(async () => {
      const rows = await findJson<{ content: string; userId: number }>(app.db.getRepository('notificationInAppMessages'), {
        filter: { title: 'Automatic backup failed', content: { $includes: '2031-05-05 05:05 UTC' } },
      });
      return rows.length > 0 && rows;
    });
    const root = await app.db.getRepository('users').findOne({ filter: { 'roles.name': 'root' } });
    expect(messages.map((m) => m.userId)).toContain(root.get('id'));
    expect(messages[0].content).toContain('2031-05-05 05:05 UTC');
    expect(messages[0].content).toContain('disk on fire');
  });
});

describe('two app instances on one database', () => {
  let a: MockServer;
  let b: MockServer;
  beforeAll(async () => {
    useTempStorage();
    a = await startScheduleApp();
    b = await startSecondInstance(a);
  });
  afterAll(async () => {
    await a?.destroy();
    await b?.destroy();
  });

  it('runs one backup per slot', async () => {
    const outcomes = new Map<string, SlotOutcome[]>();
    for (const app of [a, b]) {
      const scheduler = getScheduler(app);
      const original = scheduler.runSlot.bind(scheduler);
      jest.spyOn(scheduler, 'runSlot').mockImplementation(async (at, settings) => {
        const outcome = await original(at, settings);
        outcomes.set(at.toISOString(), [...(outcomes.get(at.toISOString()) || []), outcome]);
        return outcome;
      });
    }
    await setSchedule([a, b], { ...FAST, enabled: true, cron: '*/3 * * * * *', keepLast: 50 });
    await until(
      async () => (await scheduled(a)).filter((r) => r.status === 'succeeded').length >= 2,
      60000,
      '2 backups',
    );
    await setSchedule([a, b], { enabled: false });
    await idle(a);
    const rows = await scheduled(a);
    expect(new Set(rows.map((r) => r.slot)).size).toBe(rows.length);
    const both = [...outcomes.values()].filter((list) => list.length === 2);
    expect(both.length).toBeGreaterThanOrEqual(1);
    for (const list of outcomes.values()) {
      expect(list.filter((o) => o === 'started' || o === 'skipped')).toHaveLength(1);
      expect(list.filter((o) => o === 'error')).toHaveLength(0);
    }
    const succeeded = rows.filter((r) => r.status === 'succeeded');
    expect(files(a)).toEqual(succeeded.map((r) => r.fileName).sort());
  });
});
