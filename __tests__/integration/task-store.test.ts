import type { MockServer } from '@nocobase/test';
import { BackupError } from '../../src/server/errors';
import { ToolError } from '../../src/server/process/errors';
import { TaskStore } from '../../src/server/tasks/store';
import { dialect, startApp, useTempStorage } from '../helpers/server';

// The task store on a real database: the rows and texts the service, off-site copies and the journal rely on.
describe('task store', () => {
  let app: MockServer;
  let store: TaskStore;
  beforeAll(async () => {
    useTempStorage();
    app = await startApp();
    store = new TaskStore(app);
  });
  afterAll(async () => {
    await app?.destroy();
  });
  beforeEach(async () => {
    await store.repo.destroy({ filter: { id: { $gt: 0 } } });
  });

  it('creates a pending row that says which database and app version it belongs to', async () => {
    const row = await store.create('backup', 'manual', { fileName: 'a.nbbm' });
    expect(row).toMatchObject({ kind: 'backup', origin: 'manual', status: 'pending', phase: 'queued', progress: 0, fileName: 'a.nbbm' });
    expect(row.dialect).toBe(dialect);
    expect(row.appVersion).toBe(app.getVersion());
    expect(await store.find(row.id)).toMatchObject({ id: row.id, status: 'pending' });
  });

  it('finds only integer ids of existing rows: anything else is NOT_FOUND, not a database error', async () => {
    const row = await store.create('backup', 'manual', {});
    for (const id of ['../x', '1; drop', { id: row.id }, undefined, 999999]) {
      await expect(store.find(id)).rejects.toMatchObject({ code: 'NOT_FOUND', status: 404 });
    }
    expect((await store.find(String(row.id))).id).toBe(row.id);
  });

  it('is busy while a row is pending or running, idle once it ended', async () => {
    await expect(store.assertIdle()).resolves.toBeUndefined();
    const row = await store.create('verify', 'manual', {});
    await expect(store.assertIdle()).rejects.toMatchObject({ code: 'BUSY', status: 409 });
    await store.update(row.id, { status: 'running' });
    await expect(store.assertIdle()).rejects.toMatchObject({ code: 'BUSY' });
    await store.update(row.id, { status: 'succeeded' });
    await expect(store.assertIdle()).resolves.toBeUndefined();
  });

  it('records a failure with its code and English text', async () => {
    const coded = await store.create('backup', 'manual', {});
    await store.fail(coded.id, new BackupError('FILE_MISSING', {}, 410));
    expect(await store.find(coded.id)).toMatchObject({
      status: 'failed',
      errorCode: 'FILE_MISSING',
      error: 'The backup file is missing on the server.',
    });
    const tool = await store.create('backup', 'manual', {});
    await store.fail(tool.id, new ToolError('pg_dump exited 1', { command: 'pg_dump', exitCode: 1, stderrTail: 'no <such> table\n' }));
    // escapeValue off: the tool's own words come through unescaped.
    expect(await store.find(tool.id)).toMatchObject({ errorCode: 'TOOL_FAILED', error: 'pg_dump failed: no <such> table' });
    const other = await store.create('backup', 'manual', {});
    await store.fail(other.id, new Error('disk on fire'));
    const row = await store.find(other.id);
    expect(row).toMatchObject({ errorCode: 'INTERNAL', error: 'disk on fire' });
    expect(row.finishedAt).toBeTruthy();
  });
});
