import fs from 'fs';
import path from 'path';
import type { MockServer } from '@nocobase/test';
import { adminAgent, startApp, TASKS, useTempStorage, waitTask } from '../helpers/server';

describe('restore through the API', () => {
  let app: MockServer;
  let storage: string;
  beforeAll(async () => {
    storage = useTempStorage();
    app = await startApp();
  });
  afterAll(async () => {
    await app?.destroy();
  });

  it('brings back rows and files as they were', async () => {
    fs.mkdirSync(path.join(storage, 'uploads'), { recursive: true });
    fs.writeFileSync(path.join(storage, 'uploads', 'kept.txt'), 'kept');
    const agent = await adminAgent(app);
    const users = app.db.getRepository('users');
    const before = await users.count();
    const res = await agent.resource(TASKS).create({ values: {} });
    const backup = await waitTask(app, res.body.data.id);
    expect(backup.status).toBe('succeeded');

    await users.create({ values: { email: 'after-backup@example.com', password: 'x1234567' } });
    fs.writeFileSync(path.join(storage, 'uploads', 'added.txt'), 'added');
    fs.rmSync(path.join(storage, 'uploads', 'kept.txt'));
    expect(await users.count()).toBe(before + 1);

    const r = await agent.resource(TASKS).restore({ values: { taskId: backup.id } });
    expect(r.status).toBe(200);
    const restore = await waitTask(app, r.body.data.id, 180000);
    expect(restore.error).toBeNull();
    expect(restore.status).toBe('succeeded');
    expect(await app.db.getRepository('users').count()).toBe(before);
    expect(fs.readFileSync(path.join(storage, 'uploads', 'kept.txt'), 'utf8')).toBe('kept');
    expect(fs.existsSync(path.join(storage, 'uploads', 'added.txt'))).toBe(false);
    const list = await (await adminAgent(app)).resource(TASKS).list();
    expect(list.body.data.map((t: { kind: string; origin: string }) => `${t.kind}/${t.origin}`)).toEqual([
      'backup/safety',
      'restore/manual',
      'backup/manual',
    ]);
  });
});
