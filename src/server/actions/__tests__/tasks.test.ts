import fs from 'fs';
import os from 'os';
import path from 'path';
import { Readable } from 'stream';
import type { IncomingMessage } from 'http';
import { SETTINGS, SETTINGS_ROW_ID, TASKS } from '../../../constants';
import { encryptedArchive, PASSWORD } from '../../archive/__tests__/encrypted-helpers';
import { getService } from '../../service';
import { memoryApp } from '../../tasks/__tests__/memory-store';
import { tasksResource } from '../tasks';
import { call, fakeCtx, refusal, type FakeCtxOptions } from './fake-ctx';

// The real module boots half of NocoBase on import; the actions reach it only for sub-applications (none here).
jest.mock('@nocobase/server', () => ({ isTransient: () => false, AppSupervisor: { getInstance: () => ({}) } }));

const { actions } = tasksResource;
let storage: string;
const storageBefore = process.env.STORAGE_PATH;

beforeEach(async () => {
  storage = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'nbbm-actions-'));
  process.env.STORAGE_PATH = storage;
});
afterEach(async () => {
  if (storageBefore === undefined) delete process.env.STORAGE_PATH;
  else process.env.STORAGE_PATH = storageBefore;
  await fs.promises.rm(storage, { recursive: true, force: true });
});

/** The real service and task store over an app whose tables live in memory; `logs` is a collection of it. */
async function setup() {
  const { app, table } = await memoryApp({ collections: { logs: 'app_logs' } });
  const service = getService(app);
  const run = (name: keyof typeof actions, opts: FakeCtxOptions = {}) => call(actions[name], fakeCtx(app, opts));
  /** A finished backup with its archive on disk. */
  const backup = async (values: Record<string, unknown> = {}, content = 'archive bytes') => {
    const row = table(TASKS).insert({ kind: 'backup', origin: 'manual', status: 'succeeded', fileName: `main_${table(TASKS).rows.length + 1}.nbbm`, ...values });
    await fs.promises.mkdir(service.paths.archives, { recursive: true });
    await fs.promises.writeFile(path.join(service.paths.archives, String(row.fileName)), content);
    return row;
  };
  return { app, service, tasks: table(TASKS), settings: table(SETTINGS), run, backup };
}

/** A request body as the upload action reads it (a stream with headers). */
function body(data: Buffer | string, headers: Record<string, string> = {}): IncomingMessage {
  return Object.assign(Readable.from([Buffer.from(data)]), { headers }) as unknown as IncomingMessage;
}

async function text(stream: unknown): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream as AsyncIterable<Buffer>) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks).toString();
}

describe('tasks:list', () => {
  it('answers the newest rows first, one page at a time, with where each archive is and who made it', async () => {
    const { tasks, run, backup } = await setup();
    const old = await backup({ createdBy: { id: 1, username: 'admin' }, slot: 'x' });
    const offsiteOnly = tasks.insert({ kind: 'backup', status: 'succeeded', fileName: 'gone.nbbm', remote: JSON.stringify({ storage: 's3', key: 'k', size: 9, uploadedAt: 'then' }) });
    const failed = tasks.insert({ kind: 'backup', status: 'failed', createdBy: { id: 2, username: 'u', nickname: 'Ann' } });

    const ctx = await run('list', { params: { page: 1, pageSize: 2 } });
    const page = ctx.body as { rows: Record<string, unknown>[]; count: number; page: number; pageSize: number; totalPage: number };
    expect(page).toMatchObject({ count: 3, page: 1, pageSize: 2, totalPage: 2 });
    expect(page.rows.map((r) => r.id)).toEqual([failed.id, offsiteOnly.id]);
    expect(page.rows[0]).toMatchObject({ local: false, remote: null, createdBy: { id: 2, nickname: 'Ann' } });
    expect(page.rows[1]).toMatchObject({ local: false, remote: { storage: 's3', size: 9, uploadedAt: 'then' }, createdBy: null });
    expect(ctx.next).toHaveBeenCalled();

    const last = (await run('list', { params: { page: 2, pageSize: 2 } })).body as typeof page;
    expect(last.rows).toHaveLength(1);
    // The slot and the raw remote record stay on the server; the user's name falls back to the username.
    expect(last.rows[0]).toEqual(expect.objectContaining({ id: old.id, local: true, createdBy: { id: 1, nickname: 'admin' } }));
    expect(last.rows[0]).not.toHaveProperty('slot');
  });

  it('clamps the page to 1 and the page size to 1..200', async () => {
    const { run } = await setup();
    expect((await run('list', { params: { page: 0, pageSize: 5000 } })).body).toMatchObject({ page: 1, pageSize: 200 });
    expect((await run('list', { params: { page: 'x', pageSize: -3 } })).body).toMatchObject({ page: 1, pageSize: 1 });
  });
});

describe('tasks:get', () => {
  it('answers one row', async () => {
    const { run, backup } = await setup();
    const row = await backup();
    expect((await run('get', { params: { filterByTk: String(row.id) } })).body).toMatchObject({ id: row.id, local: true });
  });

  it.each([['an unknown id', 404], ['a path', '../../etc/passwd']])('answers NOT_FOUND (404) for %s', async (_name, id) => {
    const { run } = await setup();
    expect(refusal(await run('get', { params: { filterByTk: id } }))).toEqual({ status: 404, code: 'NOT_FOUND', message: 'Backup not found.' });
  });
});

describe('tasks:create (Backup now)', () => {
  it("answers the pending row at once and runs the backup with the form's choices", async () => {
    const { service, tasks, settings, run } = await setup();
    settings.insert({ id: SETTINGS_ROW_ID, offsiteStorage: 's3' });
    const backupRun = jest.spyOn(service, 'runBackupTask').mockImplementation(async (task) => task);
    const ctx = await run('create', {
      params: { values: { includeUploads: 'false', excludeCollections: ['logs'] } },
      password: 'p@ss 密码',
      userId: 7,
    });
    expect(ctx.body).toMatchObject({ kind: 'backup', origin: 'manual', status: 'pending', createdById: 7, encrypted: true });
    expect(ctx.body).toMatchObject({ options: { includeUploads: false, includePlugins: true } });
    expect(tasks.rows).toHaveLength(1);
    expect(backupRun).toHaveBeenCalledWith(
      expect.objectContaining({ id: tasks.rows[0].id }),
      expect.objectContaining({ excludeTableData: ['app_logs'], password: 'p@ss 密码', offsite: 's3', origin: 'manual', userId: 7 }),
    );
  });

  it('sends no off-site copy when the admin unticked it, or when none is configured', async () => {
    const { service, settings, run } = await setup();
    const backupRun = jest.spyOn(service, 'runBackupTask').mockImplementation(async (task) => {
      await service.store.update(task.id, { status: 'succeeded' });
      return task;
    });
    await run('create');
    expect(backupRun.mock.calls[0][1]).toMatchObject({ offsite: null, password: undefined });
    await new Promise((r) => setImmediate(r)); // the first run has ended and released its slot
    settings.insert({ id: SETTINGS_ROW_ID, offsiteStorage: 's3' });
    await run('create', { params: { values: { offsite: false } } });
    expect(backupRun.mock.calls[1][1]).toMatchObject({ offsite: null });
  });

  it('refuses BUSY (409) while a task runs, creating no row', async () => {
    const { service, tasks, run } = await setup();
    const backupRun = jest.spyOn(service, 'runBackupTask');
    tasks.insert({ kind: 'restore', status: 'running' });
    const ctx = await run('create');
    expect(refusal(ctx)).toMatchObject({ status: 409, code: 'BUSY' });
    expect(tasks.rows).toHaveLength(1);
    expect(backupRun).not.toHaveBeenCalled();
  });

  it.each([
    ['an unknown collection to leave out', { params: { values: { excludeCollections: ['nope'] } } }, 400, 'COLLECTION_UNKNOWN'],
    ['collections not given as a list', { params: { values: { excludeCollections: 'logs' } } }, 400, 'COLLECTION_UNKNOWN'],
    ['a password header not encoded as our client does', { rawPassword: '100%' }, 400, 'PASSWORD_HEADER_INVALID'],
  ])('refuses %s before any row', async (_name, opts, status, code) => {
    const { service, tasks, run } = await setup();
    const backupRun = jest.spyOn(service, 'runBackupTask');
    expect(refusal(await run('create', opts as FakeCtxOptions))).toMatchObject({ status, code });
    expect(tasks.rows).toHaveLength(0);
    expect(backupRun).not.toHaveBeenCalled();
  });
});

describe('tasks:destroy', () => {
  it("removes a backup's row and its archive", async () => {
    const { service, tasks, run, backup } = await setup();
    const row = await backup();
    expect((await run('destroy', { params: { filterByTk: row.id } })).body).toEqual({ ok: true });
    expect(tasks.rows).toHaveLength(0);
    expect(fs.existsSync(path.join(service.paths.archives, String(row.fileName)))).toBe(false);
  });

  it('keeps the archive when the row only names it (a verify), or another backup row names it too', async () => {
    const { service, tasks, run, backup } = await setup();
    const row = await backup();
    const verify = tasks.insert({ kind: 'verify', status: 'succeeded', fileName: row.fileName });
    const twin = tasks.insert({ kind: 'backup', status: 'succeeded', fileName: row.fileName });
    await run('destroy', { params: { filterByTk: verify.id } });
    await run('destroy', { params: { filterByTk: twin.id } });
    expect(tasks.rows.map((r) => r.id)).toEqual([row.id]);
    expect(fs.existsSync(path.join(service.paths.archives, String(row.fileName)))).toBe(true);
  });

  it('refuses BUSY (409) for a running task, of this process or another, and keeps it', async () => {
    const { service, tasks, run, backup } = await setup();
    const running = tasks.insert({ kind: 'backup', status: 'running' });
    expect(refusal(await run('destroy', { params: { filterByTk: running.id } }))).toMatchObject({ status: 409, code: 'BUSY' });
    const mine = await backup({ status: 'succeeded' });
    const release = service.exclusive.acquire(mine.id, 'verify');
    expect(refusal(await run('destroy', { params: { filterByTk: mine.id } }))).toMatchObject({ status: 409, code: 'BUSY' });
    release();
    expect(tasks.rows).toHaveLength(2);
  });

  it('answers NOT_FOUND (404) for an unknown id', async () => {
    const { run } = await setup();
    expect(refusal(await run('destroy', { params: { filterByTk: 3 } }))).toMatchObject({ status: 404, code: 'NOT_FOUND' });
  });
});

describe('tasks:download', () => {
  it("streams a finished backup's archive under its name", async () => {
    const { run, backup } = await setup();
    const row = await backup({}, 'the archive');
    const ctx = await run('download', { params: { filterByTk: row.id } });
    expect(ctx.response.attachment).toBe(row.fileName);
    expect(ctx.response.headers).toMatchObject({ 'Content-Type': 'application/octet-stream', 'Content-Length': '11' });
    expect(await text(ctx.body)).toBe('the archive');
  });

  it.each([
    ['a backup whose file is gone, with no off-site copy', { kind: 'backup', status: 'succeeded', fileName: 'gone.nbbm' }, 410, 'FILE_MISSING'],
    ['a task that is not a finished backup', { kind: 'verify', status: 'succeeded', fileName: 'main.nbbm' }, 409, 'NOT_SUCCEEDED'],
    ['a failed backup', { kind: 'backup', status: 'failed', fileName: 'main.nbbm' }, 409, 'NOT_SUCCEEDED'],
    ['a row naming a file outside the folder', { kind: 'backup', status: 'succeeded', fileName: '../../etc/passwd.nbbm' }, 400, 'INVALID_NAME'],
  ])('refuses %s', async (_name, values, status, code) => {
    const { tasks, run } = await setup();
    const row = tasks.insert(values);
    expect(refusal(await run('download', { params: { filterByTk: row.id } }))).toMatchObject({ status, code });
  });
});

describe('tasks:refresh', () => {
  it('lists an archive copied in, leaves one still arriving, logs an unreadable one, and names rows whose file is gone', async () => {
    const { service, tasks, run, backup } = await setup();
    await backup(); // listed, on disk
    tasks.insert({ kind: 'backup', status: 'succeeded', fileName: 'deleted-by-hand.nbbm' });
    const dir = service.paths.archives;
    const long = new Date(Date.now() - 120_000);
    const { file } = await encryptedArchive(dir, 'copied-in', { 'db/main.dump': Buffer.from('dump') });
    fs.utimesSync(file, long, long);
    await fs.promises.copyFile(file, path.join(dir, 'arriving.nbbm')); // just written: mtime now
    await fs.promises.writeFile(path.join(dir, 'broken.nbbm'), 'not an archive');
    fs.utimesSync(path.join(dir, 'broken.nbbm'), long, long);
    await fs.promises.writeFile(path.join(dir, '.hidden.nbbm'), 'rsync temp');

    const ctx = await run('refresh');
    expect(ctx.body).toEqual({ found: ['copied-in.nbbm'], settling: ['arriving.nbbm'], unreadable: ['broken.nbbm'], missing: ['deleted-by-hand.nbbm'] });
    expect(tasks.rows.find((r) => r.fileName === 'copied-in.nbbm')).toMatchObject({ kind: 'backup', status: 'succeeded' });
    expect(tasks.rows.some((r) => r.fileName === 'arriving.nbbm')).toBe(false);
    // Once it has settled it is listed; what is listed is not listed twice.
    fs.utimesSync(path.join(dir, 'arriving.nbbm'), long, long);
    expect((await run('refresh')).body).toMatchObject({ found: ['arriving.nbbm'], settling: [] });
    expect((await run('refresh')).body).toMatchObject({ found: [], settling: [] });
  });

  it('is refused (409 BUSY) while a backup or restore runs', async () => {
    const { service, run } = await setup();
    const release = service.exclusive.acquire(1, 'backup');
    try {
      expect(refusal(await run('refresh'))).toMatchObject({ status: 409, code: 'BUSY' });
    } finally {
      release();
    }
  });
});

describe('tasks:syncOffsite', () => {
  it('refuses OFFSITE_NOT_CONFIGURED (400) without an off-site storage', async () => {
    const { run } = await setup();
    expect(refusal(await run('syncOffsite'))).toEqual({ status: 400, code: 'OFFSITE_NOT_CONFIGURED', message: 'No off-site storage is configured.' });
  });
});

describe('tasks:inspect', () => {
  it('refuses a file that is not an archive, and a backup whose file is gone', async () => {
    const { tasks, run, backup } = await setup();
    const junk = await backup({}, 'not a zip at all');
    expect(refusal(await run('inspect', { params: { filterByTk: junk.id } }))).toMatchObject({ code: 'NOT_AN_ARCHIVE' });
    const gone = tasks.insert({ kind: 'backup', status: 'succeeded', fileName: 'gone.nbbm' });
    expect(refusal(await run('inspect', { params: { filterByTk: gone.id } }))).toMatchObject({ status: 410, code: 'FILE_MISSING' });
  });
});

describe('tasks:upload', () => {
  const uploads = (service: { paths: { uploads: string } }) => fs.promises.readdir(service.paths.uploads);

  it('refuses a body that is not an archive, and keeps nothing of it', async () => {
    const { service, run } = await setup();
    const ctx = await run('upload', { req: body('PK but not really') });
    expect(refusal(ctx)).toMatchObject({ code: 'NOT_AN_ARCHIVE' });
    expect(await uploads(service)).toEqual([]);
  });

  it('refuses an empty body (400), and one cut short of its Content-Length', async () => {
    const { service, run } = await setup();
    expect(refusal(await run('upload', { req: body('') }))).toMatchObject({ status: 400, code: 'UPLOAD_EMPTY' });
    expect(refusal(await run('upload', { req: body('abc', { 'content-length': '10' }) }))).toMatchObject({ status: 400, code: 'NOT_AN_ARCHIVE' });
    expect(await uploads(service)).toEqual([]);
  });
});

describe('tasks:restore', () => {
  /** An upload waiting for its restore (content that is no archive: every test here is refused before reading it). */
  async function upload(service: { paths: { uploads: string } }, content = 'not a zip') {
    const uploadId = 'ab'.repeat(16);
    await fs.promises.mkdir(service.paths.uploads, { recursive: true });
    const file = path.join(service.paths.uploads, `${uploadId}.nbbm`);
    await fs.promises.writeFile(file, content);
    return { uploadId, file };
  }

  it.each([
    ['an upload id that is not ours', { values: { uploadId: '../../x' } }, 404, 'UPLOAD_NOT_FOUND'],
    ['an upload that has expired', { values: { uploadId: 'cd'.repeat(16) } }, 404, 'UPLOAD_NOT_FOUND'],
    ['an unknown backup', { filterByTk: 42 }, 404, 'NOT_FOUND'],
    ['neither a backup nor an upload', {}, 400, 'NOT_FOUND'],
  ])('refuses %s, creating no task', async (_name, params, status, code) => {
    const { tasks, run } = await setup();
    expect(refusal(await run('restore', { params }))).toMatchObject({ status, code });
    expect(tasks.rows).toHaveLength(0);
  });

  it('refuses BUSY (409) while a task runs, and ends the upload it was given', async () => {
    const { service, tasks, run } = await setup();
    const { uploadId, file } = await upload(service);
    tasks.insert({ kind: 'backup', status: 'running' });
    expect(refusal(await run('restore', { params: { values: { uploadId } } }))).toMatchObject({ status: 409, code: 'BUSY' });
    expect(fs.existsSync(file)).toBe(false);
    expect(tasks.rows).toHaveLength(1);
  });

  it('refuses an upload that is not an archive, and removes it', async () => {
    const { service, tasks, run } = await setup();
    const { uploadId, file } = await upload(service);
    expect(refusal(await run('restore', { params: { values: { uploadId } } }))).toMatchObject({ code: 'NOT_AN_ARCHIVE' });
    expect(fs.existsSync(file)).toBe(false);
    expect(tasks.rows).toHaveLength(0);
  });

  it.each([
    ['without its password', {}, 'PASSWORD_REQUIRED'],
    ['with a wrong password', { password: 'nope' }, 'PASSWORD_WRONG'],
    ['made elsewhere, without the acknowledgement', { password: PASSWORD }, 'FOREIGN_ARCHIVE_NEEDS_ACK'],
  ])('refuses an encrypted upload %s, and removes it', async (_name, opts, code) => {
    const { service, tasks, run } = await setup();
    await fs.promises.mkdir(service.paths.uploads, { recursive: true });
    const uploadId = 'ef'.repeat(16);
    const { file } = await encryptedArchive(service.paths.uploads, uploadId, { 'db/main.dump': Buffer.from('dump') });
    expect(refusal(await run('restore', { params: { values: { uploadId } }, ...opts }))).toMatchObject({ code });
    expect(fs.existsSync(file)).toBe(false);
    expect(tasks.rows).toHaveLength(0);
  });

  it('never removes a listed backup it was refused for', async () => {
    const { service, tasks, run, backup } = await setup();
    const row = await backup({}, 'not a zip');
    tasks.insert({ kind: 'verify', status: 'running' });
    expect(refusal(await run('restore', { params: { filterByTk: row.id } }))).toMatchObject({ status: 409, code: 'BUSY' });
    expect(fs.existsSync(path.join(service.paths.archives, String(row.fileName)))).toBe(true);
  });
});
