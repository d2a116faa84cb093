import { createMockServer, type MockServer } from '@nocobase/test';
import PluginBackupsManagerServer from '../../src/server/plugin';
import { SETTINGS, SETTINGS_ROW_ID } from '../../src/constants';
import { useTempStorage } from '../helpers/server';

// Scheduled backups copied to a bucket are encrypted by default (issue 15, item 12): an enabled schedule with an
// off-site storage and no password is refused unless the admin chose unencrypted copies explicitly.
describe('encryption of off-site copies of scheduled backups', () => {
  let app: MockServer;
  let agent: ReturnType<MockServer['agent']>;
  const STORAGE = 'bm-s3-enc';

  beforeAll(async () => {
    useTempStorage();
    app = await createMockServer({
      acl: false,
      registerActions: true,
      plugins: ['field-sort', 'users', 'auth', 'acl', 'data-source-manager', 'file-manager', 'system-settings', 'error-handler', [PluginBackupsManagerServer, { name: 'backups-manager', packageName: undefined }]],
    } as Parameters<typeof createMockServer>[0]);
    await app.db.getRepository('storages').create({
      values: {
        name: STORAGE,
        title: 'Bucket',
        type: 's3',
        path: 'nb',
        options: { region: 'us-east-1', endpoint: 'http://127.0.0.1:9', bucket: 'b', accessKeyId: 'k', secretAccessKey: 's' },
      },
    });
    agent = app.agent();
  });
  afterAll(async () => {
    await app?.destroy();
  });

  const prefix = () => (app.resourceManager.options as { prefix?: string }).prefix || '';
  const update = (values: Record<string, unknown>, password?: string) => {
    const req = agent.post(`${prefix()}/${SETTINGS}:update?filterByTk=${SETTINGS_ROW_ID}`);
    return (password ? req.set('X-Backups-Manager-Password', encodeURIComponent(password)) : req).send(values);
  };
  const get = async () => (await agent.get(`${prefix()}/${SETTINGS}:get`)).body.data;

  it('asks for a password, or an explicit choice of unencrypted copies', async () => {
    const refused = await update({ enabled: true, offsiteStorage: STORAGE });
    expect([refused.status, refused.body.errors?.[0]?.code]).toEqual([422, 'OFFSITE_PASSWORD_REQUIRED']);
    expect(await get()).toMatchObject({ enabled: false, offsiteStorage: null, hasPassword: false, offsiteUnencrypted: false });

    expect((await update({ enabled: true, offsiteStorage: STORAGE }, 'bucket-secret')).status).toBe(200);
    expect(await get()).toMatchObject({ enabled: true, offsiteStorage: STORAGE, hasPassword: true });

    const cleared = await update({ clearPassword: true });
    expect([cleared.status, cleared.body.errors?.[0]?.code]).toEqual([422, 'OFFSITE_PASSWORD_REQUIRED']);
    expect((await get()).hasPassword).toBe(true);

    expect((await update({ clearPassword: true, offsiteUnencrypted: true })).status).toBe(200);
    expect(await get()).toMatchObject({ enabled: true, offsiteStorage: STORAGE, hasPassword: false, offsiteUnencrypted: true });
  });
});
