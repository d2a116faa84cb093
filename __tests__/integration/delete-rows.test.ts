import fs from 'fs';
import path from 'path';
import type { MockServer } from '@nocobase/test';
import { adminAgent, startApp, TASKS, useTempStorage, waitTask } from '../helpers/server';

// Only deleting a backup row removes an archive; a verify or restore row names the archive it read and must never
// take it along (issue 15, item 1).
describe('deleting history rows', () => {
  let app: MockServer;
  let storage: string;
  let agent: Awaited<ReturnType<typeof adminAgent>>;
  const archives = () => path.join(storage, 'backups-manager', app.name);
  const archive = (task: Record<string, unknown>) => path.join(archives(), String(task.fileName));

  beforeAll(async () => {
    storage = useTempStorage();
    fs.mkdirSync(path.join(storage, 'uploads'), { recursive: true });
    app = await startApp();
    agent = await adminAgent(app);
  });
  afterAll(async () => {
    await app?.destroy();
  });

  // The exclusive slot is released just after the row says succeeded: a request at that moment may get 409.
  const whenIdle = async <T extends { status: number }>(send: () => Promise<T>): Promise<T> => {
    for (let i = 0; ; i++) {
      const res = await send();
      if (res.status !== 409 || i === 50) return res;
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const backupNow = async () => {
    const res = await whenIdle(() => agent.resource(TASKS).create({ values: {} }));
    expect(res.status).toBe(200);
    const task = await waitTask(app, res.body.data.id);
    expect(task.status).toBe('succeeded');
    return task;
  };
  const row = async (id: unknown) => (await agent.resource(TASKS).get({ filterByTk: id })).body.data;

  it('keeps the archive and its backup row when a verify or a restore row is deleted; a backup takes its file', async () => {
    const backup = await backupNow();
    const verified = await whenIdle(() => agent.resource(TASKS).verify({ filterByTk: backup.id }));
    expect(verified.status).toBe(200);
    const verify = await waitTask(app, verified.body.data.id);
    expect(verify).toMatchObject({ kind: 'verify', fileName: backup.fileName });

    // A restore row that names an archive: a restore from the list of a backup damaged on disk fails at its
    // checksum check, before any live change (so the app does not restart under the test).
    const marker = `delete-rows-${Date.now()}-${'x'.repeat(64)}`;
    fs.writeFileSync(path.join(storage, 'uploads', 'marker.txt'), marker);
    const damaged = await backupNow();
    const bytes = fs.readFileSync(archive(damaged));
    const at = bytes.indexOf(marker);
    expect(at).toBeGreaterThan(0);
    bytes[at] ^= 0xff;
    fs.writeFileSync(archive(damaged), bytes);
    const restored = await whenIdle(() =>
      agent.resource(TASKS).restore({ values: { taskId: damaged.id, safetyBackup: false } }),
    );
    expect(restored.status).toBe(200);
    const restore = await waitTask(app, restored.body.data.id);
    expect(restore).toMatchObject({ kind: 'restore', status: 'failed', fileName: damaged.fileName });

    expect((await agent.resource(TASKS).destroy({ filterByTk: verify.id })).status).toBe(200);
    expect(fs.existsSync(archive(backup))).toBe(true);
    expect(await row(backup.id)).toMatchObject({ status: 'succeeded', local: true });

    expect((await agent.resource(TASKS).destroy({ filterByTk: restore.id })).status).toBe(200);
    expect(fs.existsSync(archive(damaged))).toBe(true);
    expect(await row(damaged.id)).toMatchObject({ status: 'succeeded', local: true });

    expect((await agent.resource(TASKS).destroy({ filterByTk: backup.id })).status).toBe(200);
    expect(fs.existsSync(archive(backup))).toBe(false);
    expect((await agent.resource(TASKS).get({ filterByTk: backup.id })).status).toBe(404);
  });

  it('never touches a file when an uploaded archive restore row is deleted', async () => {
    const backup = await backupNow();
    // The restore row of an upload names the uploaded file; an archive of the same name in the folder stays.
    const service = (await import('../../src/server/service')).getService(app);
    const restore = await service.createTask('restore', 'upload', { fileName: backup.fileName, status: 'failed' });
    expect((await agent.resource(TASKS).destroy({ filterByTk: restore.id })).status).toBe(200);
    expect(fs.existsSync(archive(backup))).toBe(true);
  });
});
