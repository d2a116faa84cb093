import path from 'path';
import { TASKS } from '../../../constants';
import { ArchiveError } from '../../archive/errors';
import { BackupError } from '../../errors';
import { TaskStore } from '../store';
import { memoryApp } from './memory-store';

async function setup(opts: Parameters<typeof memoryApp>[0] = {}) {
  const { app, table } = await memoryApp(opts);
  return { store: new TaskStore(app), tasks: table(TASKS) };
}

describe('TaskStore', () => {
  it('creates a pending, queued row with the dialect, the app version and the requesting user', async () => {
    const { store, tasks } = await setup({ dialect: 'mysql', version: '2.2.15' });
    const row = await store.create('backup', 'manual', { createdById: 5, encrypted: true });
    expect(row).toMatchObject({ kind: 'backup', origin: 'manual', status: 'pending', phase: 'queued', progress: 0 });
    expect(row).toMatchObject({ dialect: 'mysql', appVersion: '2.2.15', createdById: 5, encrypted: true });
    expect(tasks.rows).toHaveLength(1);
    expect(tasks.rows[0].id).toBe(row.id);
  });

  it("lets the caller's values win over the defaults (a restore row may start with its own phase)", async () => {
    const { store } = await setup();
    expect(await store.create('restore', 'upload', { phase: 'validating' })).toMatchObject({ phase: 'validating', origin: 'upload' });
  });

  it('updates a row, and retries while SQLite answers busy', async () => {
    const { store, tasks } = await setup();
    const { id } = await store.create('backup', 'manual', {});
    const update = tasks.update.bind(tasks);
    let calls = 0;
    jest.spyOn(tasks, 'update').mockImplementation(async (args) => {
      if (++calls === 1) throw Object.assign(new Error('SQLITE_BUSY: database is locked'), { code: 'SQLITE_BUSY' });
      return update(args);
    });
    await store.update(id, { status: 'running', progress: 40 });
    expect(calls).toBe(2);
    expect(tasks.rows[0]).toMatchObject({ status: 'running', progress: 40 });
  });

  it('fails a row with the coded error rendered in English and its code', async () => {
    const { store, tasks } = await setup();
    const { id } = await store.create('backup', 'manual', {});
    await store.fail(id, new BackupError('COLLECTION_UNKNOWN', { name: 'logs & <old>' }, 400));
    expect(tasks.rows[0]).toMatchObject({ status: 'failed', errorCode: 'COLLECTION_UNKNOWN', error: 'Unknown collection: logs & <old>' });
    expect(tasks.rows[0].finishedAt).toBeInstanceOf(Date);
  });

  it("fails a row with an archive error's text, and anything not ours as INTERNAL with its message", async () => {
    const { store, tasks } = await setup();
    const a = await store.create('verify', 'manual', {});
    const b = await store.create('backup', 'manual', {});
    await store.fail(a.id, new ArchiveError('CHECKSUM_MISMATCH', 'sha256 differs', { path: 'db/main.dump' }));
    await store.fail(b.id, new TypeError('x is not a function'));
    expect(tasks.rows[0]).toMatchObject({ errorCode: 'CHECKSUM_MISMATCH', error: 'The archive is damaged: db/main.dump does not match its checksum.' });
    expect(tasks.rows[1]).toMatchObject({ status: 'failed', errorCode: 'INTERNAL', error: 'x is not a function' });
  });

  it('never throws from fail: a failure that cannot be recorded must not hide the one being reported', async () => {
    const { store, tasks } = await setup();
    jest.spyOn(tasks, 'update').mockRejectedValue(new Error('connection lost'));
    await expect(store.fail(1, new Error('disk full'))).resolves.toBeUndefined();
  });

  it('finds a row by its id, given as a number or as text', async () => {
    const { store, tasks } = await setup();
    tasks.insert({ id: 12, kind: 'backup', status: 'succeeded', fileName: 'main.nbbm' });
    expect(await store.find(12)).toMatchObject({ id: 12, fileName: 'main.nbbm' });
    expect(await store.find('12')).toMatchObject({ id: 12 });
  });

  it.each([
    ['an unknown id', 99],
    ['a path', '../etc/passwd'],
    ['a negative id', '-1'],
    ['an object', { $ne: 0 }],
    ['nothing', undefined],
  ])('answers NOT_FOUND (404) for %s, asking the table only for a well-formed id', async (_name, id) => {
    const { store, tasks } = await setup();
    tasks.insert({ id: 1, status: 'succeeded' });
    const findOne = jest.spyOn(tasks, 'findOne');
    await expect(store.find(id)).rejects.toMatchObject({ code: 'NOT_FOUND', status: 404 });
    expect(findOne).toHaveBeenCalledTimes(typeof id === 'number' ? 1 : 0);
  });

  it.each(['pending', 'running'])('refuses BUSY (409) while a row is %s (a task of another process)', async (status) => {
    const { store, tasks } = await setup();
    tasks.insert({ status: 'succeeded' });
    tasks.insert({ status });
    await expect(store.assertIdle()).rejects.toMatchObject({ code: 'BUSY', status: 409 });
  });

  it('is idle when every row has ended', async () => {
    const { store, tasks } = await setup();
    for (const status of ['succeeded', 'failed', 'skipped']) tasks.insert({ status });
    await expect(store.assertIdle()).resolves.toBeUndefined();
  });

  it('describes our errors by their English text, anything else by its message', async () => {
    const { store } = await setup();
    expect(store.describe(new BackupError('BUSY', {}, 409))).toBe('Another backup or restore is running. Try again when it has finished.');
    expect(store.describe(new Error('boom'))).toBe('boom');
    expect(store.describe(undefined)).toBe('Unknown error');
  });

  it("keeps archives under the storage root, in a folder of the app's name", async () => {
    const { store } = await setup({ name: 'crm' });
    const before = process.env.STORAGE_PATH;
    process.env.STORAGE_PATH = '/srv/nb/storage';
    try {
      expect(store.paths.archives).toBe(path.join('/srv/nb/storage', 'backups-manager', 'crm'));
      expect(store.paths.uploads).toBe(path.join('/srv/nb/storage', 'backups-manager', 'crm', '.uploads'));
    } finally {
      if (before === undefined) delete process.env.STORAGE_PATH;
      else process.env.STORAGE_PATH = before;
    }
  });
});
