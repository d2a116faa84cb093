import fs from 'fs';
import os from 'os';
import path from 'path';
import { TASKS } from '../../../constants';
import { encryptedArchive, PASSWORD } from '../../archive/__tests__/encrypted-helpers';
import { verifyBackup, type VerifyReport } from '../../engine/verify';
import { getService } from '../../service';
import { memoryApp, type MemoryRepository } from '../../tasks/__tests__/memory-store';
import { verifyAction } from '../verify';
import { call, fakeCtx, refusal, type FakeCtxOptions } from './fake-ctx';

jest.mock('@nocobase/server', () => ({ isTransient: () => false, AppSupervisor: { getInstance: () => ({}) } }));
// The scratch restore needs a database server: the run is replaced by its report; everything before it is real.
jest.mock('../../engine/verify', () => ({ ...jest.requireActual('../../engine/verify'), verifyBackup: jest.fn() }));
const scratchRun = verifyBackup as jest.MockedFunction<typeof verifyBackup>;

const report = (ok: boolean): VerifyReport => ({
  ok,
  tables: 1,
  mismatches: ok ? [] : [{ table: 'users', expected: 3, actual: 2 }],
  missing: [],
  counted: true,
  exact: false,
  entries: 2,
  dialect: 'postgres',
});

let storage: string;
const storageBefore = process.env.STORAGE_PATH;
beforeEach(async () => {
  storage = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'nbbm-verify-action-'));
  process.env.STORAGE_PATH = storage;
  scratchRun.mockReset();
});
afterEach(async () => {
  if (storageBefore === undefined) delete process.env.STORAGE_PATH;
  else process.env.STORAGE_PATH = storageBefore;
  await fs.promises.rm(storage, { recursive: true, force: true });
});

/** The real service over tables in memory, and a listed backup: an encrypted archive made elsewhere (unsigned). */
async function setup() {
  const { app, table } = await memoryApp({ dialect: 'postgres' });
  const service = getService(app);
  await fs.promises.mkdir(service.paths.archives, { recursive: true });
  const { file } = await encryptedArchive(service.paths.archives, 'main_1', { 'db/main.dump': Buffer.from('dump') });
  const tasks = table(TASKS);
  const backup = tasks.insert({ kind: 'backup', status: 'succeeded', fileName: path.basename(file), size: 123 });
  const verify = (opts: FakeCtxOptions = {}) => call(verifyAction, fakeCtx(app, opts));
  return { service, tasks, backup, verify };
}

/** Until the background run has recorded its outcome. */
async function settled(tasks: MemoryRepository) {
  for (let i = 0; i < 200; i++) {
    const row = tasks.rows.find((r) => r.kind === 'verify');
    if (row && row.status !== 'pending' && row.status !== 'running') return row;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('the verify run never ended');
}

describe('tasks:verify', () => {
  it('answers the pending verify task at once, then marks the backup verified', async () => {
    const { tasks, backup, verify } = await setup();
    scratchRun.mockResolvedValue(report(true));
    const ctx = await verify({ params: { filterByTk: backup.id, values: { trustForeign: true } }, password: PASSWORD, userId: 3 });
    expect(ctx.body).toMatchObject({ kind: 'verify', status: 'pending', createdById: 3, fileName: backup.fileName, size: 123, options: { backupTaskId: backup.id } });
    expect(ctx.body).not.toHaveProperty('slot');
    expect(await settled(tasks)).toMatchObject({ status: 'succeeded', progress: 100, summary: { ok: true } });
    expect(tasks.rows[0].verifiedAt).toBeInstanceOf(Date);
    expect(scratchRun.mock.calls[0][1]).toMatchObject({ password: PASSWORD, db: { dialect: 'postgres' } });
  });

  it('records differing row counts as a failed verify and clears the mark on the backup', async () => {
    const { tasks, backup, verify } = await setup();
    tasks.rows[0].verifiedAt = new Date(0);
    scratchRun.mockResolvedValue(report(false));
    await verify({ params: { filterByTk: backup.id, trustForeign: 'true' }, password: PASSWORD });
    const row = await settled(tasks);
    expect(row).toMatchObject({ status: 'failed', errorCode: 'VERIFY_MISMATCH' });
    expect(String(row.error)).toMatch(/^The backup did not restore as recorded: .*users/);
    expect(tasks.rows[0].verifiedAt).toBeNull();
  });

  it.each([
    ['without the acknowledgement for a backup made elsewhere', { password: PASSWORD }, 'FOREIGN_ARCHIVE_NEEDS_ACK'],
    ['without the password of an encrypted backup', { values: { trustForeign: true } }, 'PASSWORD_REQUIRED'],
    ['with a wrong password', { values: { trustForeign: true }, password: 'nope' }, 'PASSWORD_WRONG'],
  ])('refuses at once %s, creating no task', async (_name, opts, code) => {
    const { tasks, backup, verify } = await setup();
    const { password, ...params } = opts as { password?: string };
    const ctx = await verify({ params: { filterByTk: backup.id, ...params }, password });
    expect(refusal(ctx)).toMatchObject({ code });
    expect(ctx.status).toBeGreaterThanOrEqual(400);
    expect(ctx.status).toBeLessThan(500);
    expect(tasks.rows).toHaveLength(1);
    expect(scratchRun).not.toHaveBeenCalled();
  });

  it.each([
    ['an unknown backup', () => ({ filterByTk: 99 }), 404, 'NOT_FOUND'],
    ['a path for an id', () => ({ filterByTk: '../main_1.nbbm' }), 404, 'NOT_FOUND'],
  ])('refuses %s', async (_name, params, status, code) => {
    const { verify } = await setup();
    expect(refusal(await verify({ params: params() }))).toMatchObject({ status, code });
  });

  it('refuses a task that is not a finished backup, and a backup whose file is gone', async () => {
    const { tasks, verify } = await setup();
    const failed = tasks.insert({ kind: 'backup', status: 'failed', fileName: 'main_1.nbbm' });
    const gone = tasks.insert({ kind: 'backup', status: 'succeeded', fileName: 'gone.nbbm' });
    expect(refusal(await verify({ params: { filterByTk: failed.id } }))).toMatchObject({ status: 409, code: 'NOT_SUCCEEDED' });
    expect(refusal(await verify({ params: { filterByTk: gone.id } }))).toMatchObject({ status: 410, code: 'FILE_MISSING' });
  });

  it('refuses BUSY (409) while a task runs, in this process or another', async () => {
    const { service, tasks, backup, verify } = await setup();
    const params = { filterByTk: backup.id, values: { trustForeign: true } };
    const other = tasks.insert({ kind: 'backup', status: 'running' });
    expect(refusal(await verify({ params, password: PASSWORD }))).toMatchObject({ status: 409, code: 'BUSY' });
    other.status = 'failed';
    const release = service.exclusive.acquire(1000, 'restore');
    expect(refusal(await verify({ params, password: PASSWORD }))).toMatchObject({ status: 409, code: 'BUSY' });
    release();
    expect(tasks.rows.filter((r) => r.kind === 'verify')).toHaveLength(0);
  });
});
