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
    const made = await waitTaskApi(app, created.body.data.id);
    expect(made.status).toBe('succeeded');

    // The archive copied in by scp (its time kept, as scp -p does) is listed by Refresh and restored from the list;
    // one still arriving (changed just now, half of it) is left for later. The signed link needs no session.
    const archives = path.join(app.storage, 'backups-manager', 'main');
    const bytes = fs.readFileSync(path.join(archives, made.fileName));
    fs.writeFileSync(path.join(archives, 'copied-in.nbbm'), bytes);
    const past = new Date(Date.now() - 120_000);
    fs.utimesSync(path.join(archives, 'copied-in.nbbm'), past, past);
    fs.writeFileSync(path.join(archives, 'arriving.nbbm'), bytes.subarray(0, bytes.length >> 1));
    const refreshed = await app.api('backupsManagerTasks:refresh', { method: 'POST' });
    expect(refreshed.body.data).toEqual({ found: ['copied-in.nbbm'], settling: ['arriving.nbbm'], unreadable: [], missing: [] });
    fs.rmSync(path.join(archives, 'arriving.nbbm'));
    const rows = (await app.api('backupsManagerTasks:list')).body.data as { id: number; fileName: string }[];
    const backup = rows.find((row) => row.fileName === 'copied-in.nbbm')!;
    const link = await app.api(`backupsManagerTasks:downloadLink?filterByTk=${backup.id}`, { method: 'POST' });
    const fetched = await fetch(`${app.url}/api/${link.body.data.url}`);
    expect(fetched.status).toBe(200);
    expect(Buffer.from(await fetched.arrayBuffer()).equals(bytes)).toBe(true);

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
      'backup/manual',
    ]);
  });
});
