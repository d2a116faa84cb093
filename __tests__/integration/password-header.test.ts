import path from 'path';
import type { MockServer } from '@nocobase/test';
import { SETTINGS, SETTINGS_ROW_ID } from '../../src/constants';
import { readManifest } from '../../src/server/archive';
import { adminAgent, startApp, TASKS, useTempStorage, waitTask } from '../helpers/server';

// The password header holds encodeURIComponent(password). A value that is not (a raw '%41', a raw '@') is refused
// with a 400 before anything happens, instead of encrypting with another password than the one typed.
describe('the password header through the API', () => {
  let app: MockServer;
  let storage: string;
  let agent: Awaited<ReturnType<typeof adminAgent>>;
  const HEADER = 'X-Backups-Manager-Password';
  beforeAll(async () => {
    storage = useTempStorage();
    app = await startApp();
    agent = await adminAgent(app);
  });
  afterAll(async () => {
    await app?.destroy();
  });

  const prefix = () => (app.resourceManager.options as { prefix?: string }).prefix || '';
  const post = (url: string, header: string, body: Record<string, unknown> = {}) =>
    agent.post(`${prefix()}/${url}`).set(HEADER, header).send(body);

  it('refuses a value that is not encodeURIComponent output, and creates nothing', async () => {
    for (const raw of ['%41', 'p@ss', '%c3%a9']) {
      const res = await post(`${TASKS}:create`, raw, { includeUploads: false, includePlugins: false });
      expect([res.status, res.body.errors?.[0]?.code]).toEqual([400, 'PASSWORD_HEADER_INVALID']);
    }
    expect(await app.db.getRepository(TASKS).count()).toBe(0);
    const res = await post(`${SETTINGS}:update?filterByTk=${SETTINGS_ROW_ID}`, '%41', { enabled: false });
    expect([res.status, res.body.errors?.[0]?.code]).toEqual([400, 'PASSWORD_HEADER_INVALID']);
    expect((await agent.resource(SETTINGS).get()).body.data.hasPassword).toBe(false);
  });

  it('encrypts with exactly the password our client encodes, % signs included', async () => {
    const password = '100%A-%41';
    const res = await post(`${TASKS}:create`, encodeURIComponent(password), { includeUploads: false, includePlugins: false });
    expect(res.status).toBe(200);
    const task = await waitTask(app, res.body.data.id);
    expect(task.status).toBe('succeeded');
    const file = path.join(storage, 'backups-manager', app.name, task.fileName);
    await expect(readManifest(file, { password })).resolves.toMatchObject({ origin: 'manual' });
    await expect(readManifest(file, { password: '100A-A' })).rejects.toMatchObject({ code: 'PASSWORD_WRONG' });
  });
});
