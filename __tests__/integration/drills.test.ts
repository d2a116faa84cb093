// Restore drills and the health facts in a real app on a real database: a scheduled drill verifies the newest backup
// and marks it, a busy slot is skipped, a damaged archive fails the drill and alerts the admins in-app.
import fs from 'fs';
import type { MockServer } from '@nocobase/test';
import { readManifest } from '../../src/server/archive/reader';
import { dumpHeadEntry } from '../../src/server/archive/layout';
import { findJson } from '../../src/server/db/find-json';
import { getDrillScheduler } from '../../src/server/drills/schedule';
import { readSettings } from '../../src/server/schedule/settings-store';
import { getService } from '../../src/server/service';
import { adminAgent, useTempStorage, waitTask } from '../helpers/server';
import { SETTINGS, startScheduleApp, TASKS, taskRows, until } from '../helpers/schedule';

const FAST = { includeUploads: false, includePlugins: false };

/** Flips one byte inside the database dump's data (not the ZIP structure): only its checksum can tell. */
function corrupt(file: string, dumpEntry: string): void {
  const buf = fs.readFileSync(file);
  const name = Buffer.from(dumpEntry);
  const at = buf.indexOf(name);
  expect(at).toBeGreaterThan(0);
  const extra = buf.readUInt16LE(at - 2);
  buf[at + name.length + extra + 64] ^= 0xff;
  fs.writeFileSync(file, buf);
}

type Row = Record<string, any>;
const row = async (app: MockServer, id: unknown): Promise<Row> =>
  (await app.db.getRepository(TASKS).findOne({ filterByTk: id as number })).toJSON();

describe('restore drills', () => {
  let app: MockServer;
  let older: Row;
  let newest: Row;
  beforeAll(async () => {
    useTempStorage();
    app = await startScheduleApp();
    const agent = await adminAgent(app);
    for (let i = 0; i < 2; i++) {
      const res = await agent.resource(TASKS).create({ values: FAST });
      expect(res.status).toBe(200);
      const done = await waitTask(app, res.body.data.id);
      expect(done.status).toBe('succeeded');
      if (i === 0) older = done;
      else newest = done;
    }
  });
  afterAll(async () => {
    await app?.destroy();
  });

  it('settings: off by default, weekly; switched on through the API; a bad drill cron is refused', async () => {
    const agent = await adminAgent(app);
    const get = (await agent.resource(SETTINGS).get()).body.data;
    expect(get).toMatchObject({ drillEnabled: false, drillCron: '0 4 * * 0' });
    const bad = await agent.resource(SETTINGS).update({ filterByTk: 1, values: { drillCron: '0 4 * *' } });
    expect([bad.status, bad.body.errors?.[0]?.code]).toEqual([422, 'DRILL_CRON_INVALID']);
    const on = await agent.resource(SETTINGS).update({ filterByTk: 1, values: { drillEnabled: true, drillCron: '0 4 * * 0' } });
    expect(on.status).toBe(200);
    expect((await readSettings(app.db)).drillEnabled).toBe(true);
    // armed for the next Sunday 04:00 only when within one sleep: at least the scheduler read the new settings
    expect(getDrillScheduler(app)).toBeDefined();
  });

  it('a scheduled drill verifies the newest backup into a scratch database and records it as last verified', async () => {
    const settings = await readSettings(app.db);
    const at = new Date('2032-02-01T04:00:00Z');
    expect(await getDrillScheduler(app).runSlot(at, settings)).toBe('started');
    const [drill] = await taskRows(app, { slot: 'drill:2032-02-01T04:00:00Z' });
    expect(drill).toMatchObject({ status: expect.stringMatching(/pending|running|succeeded/), origin: 'scheduled' });
    const done = await waitTask(app, drill.id);
    expect(done).toMatchObject({ kind: 'drill', status: 'succeeded', fileName: newest.fileName });
    expect(done.options).toMatchObject({ backupTaskId: newest.id });
    expect(done.summary).toMatchObject({ ok: true, counted: true });
    expect(done.summary.tables).toBeGreaterThan(10);

    const marked = await row(app, newest.id);
    expect(marked.lastCheckStatus).toBe('succeeded');
    expect(new Date(marked.verifiedAt).getTime()).toBeGreaterThanOrEqual(new Date(done.startedAt).getTime());
    expect(new Date(marked.lastCheckAt).getTime()).toBe(new Date(marked.verifiedAt).getTime());
    const untouched = await row(app, older.id);
    expect([untouched.lastCheckStatus, untouched.verifiedAt]).toEqual([null, null]);

    // The same slot again, here or in another process: the row exists, nothing runs twice.
    expect(await getDrillScheduler(app).runSlot(at, settings)).toBe('taken');
    expect(await taskRows(app, { kind: 'drill' })).toHaveLength(1);

    // The list shows the drill as its own kind, and the backup's last check.
    const list = (await (await adminAgent(app)).resource(TASKS).list({ pageSize: 50 })).body.data;
    expect(list.find((r: Row) => r.id === drill.id)).toMatchObject({ kind: 'drill', status: 'succeeded' });
    expect(list.find((r: Row) => r.id === newest.id)).toMatchObject({ lastCheckStatus: 'succeeded' });
  });

  it('never during another task: the slot is recorded as skipped, without an alert', async () => {
    const service = getService(app);
    const release = service.exclusive.acquire('backup-in-this-process', 'backup');
    try {
      const at = new Date('2032-02-08T04:00:00Z');
      expect(await getDrillScheduler(app).runSlot(at, await readSettings(app.db))).toBe('skipped');
    } finally {
      release();
    }
    const [skipped] = await taskRows(app, { slot: 'drill:2032-02-08T04:00:00Z' });
    expect(skipped).toMatchObject({ status: 'failed', errorCode: 'DRILL_SKIPPED_BUSY' });
    // a task of another process, seen only in the table
    const other = await service.createTask('restore', 'manual', { status: 'running' });
    expect(await getDrillScheduler(app).runSlot(new Date('2032-02-15T04:00:00Z'), await readSettings(app.db))).toBe('skipped');
    await service.repo.destroy({ filterByTk: other.id });
    const alerts = await findJson(app.db.getRepository('notificationInAppMessages'), { filter: { title: 'Restore drill failed' } });
    expect(alerts).toHaveLength(0);
    expect((await row(app, newest.id)).lastCheckStatus).toBe('succeeded');
  });

  it('health: the last drill, the protection, the chart and the space, for admins only', async () => {
    const agent = await adminAgent(app);
    const res = await agent.get(`/${SETTINGS}:health`);
    expect(res.status).toBe(200);
    const facts = res.body.data;
    // The newest drill row is the skipped one.
    expect(facts.drill.last).toMatchObject({ status: 'failed', errorCode: 'DRILL_SKIPPED_BUSY' });
    expect(facts.drill).toMatchObject({ enabled: true, nextRun: expect.stringMatching(/T04:00:00\.000Z$/) });
    // The threshold is the alerts' staleAfterHours (48 by default), the same one the stale-backup alert uses.
    expect(facts.protection).toMatchObject({ level: 'orange', reasons: ['SCHEDULE_OFF'], thresholdHours: 48 });
    expect(facts.protection.ageHours).toBeLessThan(1);
    expect(facts.chart.map((p: Row) => p.id)).toEqual([older.id, newest.id]);
    expect(facts.chart[1].size).toBe(Number(newest.size));
    const files = [older, newest].map((b) => fs.statSync(`${getService(app).paths.archives}/${b.fileName}`).size);
    expect(facts.space).toMatchObject({ archives: 2, usedBytes: files[0] + files[1] });
    expect(facts.space.freeBytes).toBeGreaterThan(0);
    expect(facts.offsite).toEqual({ storage: null, state: 'none', at: null, error: null });
    const anonymous = await app.agent().get(`/${SETTINGS}:health`);
    expect([401, 403]).toContain(anonymous.status);
    expect(anonymous.body.data).toBeUndefined();
  });

  it('a drill of a damaged archive fails, marks the backup, and alerts the admins in-app', async () => {
    const file = `${getService(app).paths.archives}/${newest.fileName}`;
    corrupt(file, dumpHeadEntry((await readManifest(file)).database));
    const agent = await adminAgent(app);
    const started = await agent.post(`/${TASKS}:drill`);
    expect(started.status).toBe(200);
    expect(started.body.data).toMatchObject({ kind: 'drill', origin: 'manual', fileName: newest.fileName });
    const done = await waitTask(app, started.body.data.id);
    expect(done).toMatchObject({ kind: 'drill', status: 'failed', errorCode: 'CHECKSUM_MISMATCH' });

    const marked = await row(app, newest.id);
    expect(marked.lastCheckStatus).toBe('failed');
    expect(marked.verifiedAt).toBeNull();
    expect(new Date(marked.lastCheckAt).getTime()).toBeGreaterThanOrEqual(new Date(done.startedAt).getTime());

    const messages = await until(async () => {
      const rows = await findJson<{ content: string; userId: number; title: string }>(
        app.db.getRepository('notificationInAppMessages'),
        { filter: { title: 'Restore drill failed' } },
      );
      return rows.length > 0 && rows;
    });
    const root = await app.db.getRepository('users').findOne({ filter: { 'roles.name': 'root' } });
    expect(messages.map((m) => m.userId)).toContain(root.get('id'));
    expect(messages[0].content).toContain(String(newest.fileName));
    expect(messages[0].content).toContain(String(done.error));

    const facts = (await agent.get(`/${SETTINGS}:health`)).body.data;
    expect(facts.drill.last).toMatchObject({ id: done.id, status: 'failed', errorCode: 'CHECKSUM_MISMATCH' });
  });
});
