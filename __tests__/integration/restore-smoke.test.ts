import fs from 'fs';
import path from 'path';
import { startRealApp, waitTaskApi, type RealApp } from '../helpers/real-app';
import { port } from '../helpers/run-scope';

describe('restore in a real app', () => {
  let app: RealApp;
  beforeAll(async () => {
    app = await startRealApp({ name: 'restore_smoke', port: port(13101) });
  }, 300000);
  afterAll(async () => {
    await app?.stop();
  });

  it('brings back rows and files as they were, and the app restarts', async () => {
    const uploads = path.join(app.storage, 'uploads');
    fs.mkdirSync(uploads, { recursive: true });
    fs.writeFileSync(path.join(uploads, 'kept.txt'), 'kept');
    const count = async () => (await app.api('users:list')).body.meta.count;
    const before = await count();
    const created = await app.api('backupsManagerTasks:create', { body: {} });
    expect(created.status).toBe(200);
    const backup = await waitTaskApi(app, created.body.data.id);
    expect(backup.status).toBe('succeeded');

    expect((await app.api('users:create', { body: { email: 'after@example.com', password: 'x1234567' } })).status).toBe(200);
    fs.writeFileSync(path.join(uploads, 'added.txt'), 'added');
    fs.rmSync(path.join(uploads, 'kept.txt'));
    expect(await count()).toBe(before + 1);

    const r = await app.api('backupsManagerTasks:restore', { body: { taskId: backup.id } });
    expect(r.status).toBe(200);
    const restore = await waitTaskApi(app, r.body.data.id);
    expect(restore.error).toBeNull();
    expect(restore.status).toBe('succeeded');
    expect(await count()).toBe(before);
    expect(fs.readFileSync(path.join(uploads, 'kept.txt'), 'utf8')).toBe('kept');
    expect(fs.existsSync(path.join(uploads, 'added.txt'))).toBe(false);
    const list = await app.api('backupsManagerTasks:list');
    expect(list.body.data.map((t: { kind: string; origin: string }) => `${t.kind}/${t.origin}`)).toEqual([
      'backup/safety',
      'restore/manual',
      'backup/manual',
    ]);
  });
});
