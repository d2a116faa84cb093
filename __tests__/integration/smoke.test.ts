import fs from 'fs';
import path from 'path';
import type { MockServer } from '@nocobase/test';
import { adminAgent, startApp, TASKS, useTempStorage, waitTask } from '../helpers/server';

describe('backup now through the API', () => {
  let app: MockServer;
  let storage: string;
  beforeAll(async () => {
    storage = useTempStorage();
    app = await startApp();
  });
  afterAll(async () => {
    await app?.destroy();
  });

  it('creates a succeeded task with an archive file', async () => {
    fs.mkdirSync(path.join(storage, 'uploads'), { recursive: true });
    fs.writeFileSync(path.join(storage, 'uploads', 'a.txt'), 'hello');
    const agent = await adminAgent(app);
    const res = await agent.resource(TASKS).create({ values: { includeUploads: true } });
    expect(res.status).toBe(200);
    const task = await waitTask(app, res.body.data.id);
    expect(task.error).toBeNull();
    expect(task.status).toBe('succeeded');
    const list = await agent.resource(TASKS).list();
    expect(list.body.data[0].fileName).toBe(task.fileName);
  });
});
