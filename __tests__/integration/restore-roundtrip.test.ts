import crypto from 'crypto';
import fs from 'fs';
import path from 'path';
import { STORAGE_DIR, TASKS } from '../../src/constants';
import { startRealApp, waitTaskApi, type RealApp } from '../helpers/real-app';
import {
  exerciseObjects,
  insertStatements,
  isMysqlFamily,
  listFiles,
  listTables,
  schemaObjects,
  schemaStatements,
  sha256,
  sha256File,
  targetOfEnv,
  withConn,
  type Conn,
} from '../helpers/inspect';
import { port } from '../helpers/run-scope';

jest.setTimeout(900000);

const PREFIX = 'bm_rt_';
const TABLE = `${PREFIX}items`;
const ROWS = 1500;

/** The restore-relevant state: our objects and rows, the users, every file under uploads and plugins. */
interface State {
  objects: Awaited<ReturnType<typeof schemaObjects>>;
  rows: Record<string, unknown>[];
  tables: string[];
  users: number;
  uploads: Record<string, string>;
  plugins: Record<string, string>;
}

describe('restore round trip in a real app', () => {
  let app: RealApp;
  let backed: State;
  let backupTask: Record<string, any>;

  const db = <T>(fn: (c: Conn) => Promise<T>) => withConn(targetOfEnv(app.env), fn);
  const exec = (statements: string[]) =>
    db(async (c) => {
      for (const s of statements) await c.query(s);
    });
  const uploads = () => path.join(app.storage, 'uploads');
  const plugins = () => path.join(app.storage, 'plugins');
  const write = (file: string, data: Buffer | string) => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, data);
  };

  async function users(): Promise<number> {
    const r = await app.api('users:list?pageSize=1');
    expect(r.status).toBe(200);
    return r.body.meta.count;
  }

  async function capture(): Promise<State> {
    const dbState = await db(async (c) => ({
      objects: await schemaObjects(c, PREFIX),
      rows: (await listTables(c)).includes(TABLE) ? await c.query(`SELECT id, code, qty, note, touched FROM ${TABLE} ORDER BY id`) : [],
      tables: (await listTables(c)).filter((t) => t.startsWith(PREFIX)),
    }));
    return { ...dbState, users: await users(), uploads: await listFiles(uploads()), plugins: await listFiles(plugins()) };
  }

  async function restore(body: Record<string, unknown>): Promise<Record<string, any>> {
    const r = await app.api(`${TASKS}:restore`, { body });
    expect(r.status).toBe(200);
    expect(r.body.data).toMatchObject({ kind: 'restore', status: 'pending' });
    const task = await waitTaskApi(app, r.body.data.id, 600000);
    expect(task.error).toBeNull();
    expect(task).toMatchObject({ status: 'succeeded', phase: 'done', errorCode: null });
    return task;
  }

  /** Rows changed, objects and a table dropped, a table added, files deleted, changed and added, a user added. */
  async function mutate(tag: string): Promise<void> {
    const drops =
      app.dialect === 'postgres'
        ? [`DROP VIEW ${TABLE}_view`, `DROP TABLE ${TABLE} CASCADE`, `DROP FUNCTION ${PREFIX}touch() CASCADE`]
        : isMysqlFamily(app.dialect)
          ? [`DROP VIEW ${TABLE}_view`, `DROP TABLE ${TABLE}`, `DROP FUNCTION ${PREFIX}double`, `DROP PROCEDURE ${PREFIX}count`]
          : [`DROP VIEW ${TABLE}_view`, `DROP TABLE ${TABLE}`];
    await exec([
      `UPDATE ${TABLE} SET qty = qty + 100, note = 'changed ${tag}' WHERE id <= 50`,
      `DELETE FROM ${TABLE} WHERE id > 1000`,
      ...insertStatements(TABLE, ROWS + 1, ROWS + 20),
    ]);
    const changed = await db((c) => c.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${TABLE} WHERE note = 'changed ${tag}'`));
    expect(Number(changed[0].n)).toBe(50);
    await exec([...drops, `CREATE TABLE ${PREFIX}after_${tag} (id int PRIMARY KEY, label varchar(20))`, `INSERT INTO ${PREFIX}after_${tag} VALUES (1, 'late')`]);

    fs.rmSync(path.join(uploads(), 'a.txt'));
    write(path.join(uploads(), 'nested', 'deep', 'b.bin'), crypto.randomBytes(2048));
    write(path.join(uploads(), `added-${tag}.txt`), 'added after the backup');
    write(path.join(uploads(), `new-${tag}`, 'x.txt'), 'a new folder');
    fs.rmSync(plugins(), { recursive: true, force: true });
    const created = await app.api('users:create', { body: { email: `after-${tag}-${Date.now()}@example.com`, password: 'x1234567' } });
    expect(created.status).toBe(200);

    const now = await capture();
    expect(now.tables).toEqual([`${PREFIX}after_${tag}`]);
    expect(now.users).toBe(backed.users + 1);
    expect(now.uploads).not.toEqual(backed.uploads);
    expect(now.plugins).toEqual({});
  }

  function expectBackedUpState(now: State): void {
    expect(now.tables).toEqual(backed.tables);
    expect(now.objects).toEqual(backed.objects);
    expect(now.rows).toEqual(backed.rows);
    expect(now.users).toBe(backed.users);
    expect(now.uploads).toEqual(backed.uploads);
    expect(now.plugins).toEqual(backed.plugins);
  }

  beforeAll(async () => {
    app = await startRealApp({ name: 'rt', port: port(13120) });
  }, 600000);

  afterAll(async () => {
    await app?.stop();
    if (app) fs.rmSync(app.storage, { recursive: true, force: true });
  });

  it('backs up, then a restore from the list brings back rows, objects, files and plugins', async () => {
    await exec([...schemaStatements(app.dialect, PREFIX), ...insertStatements(TABLE, 1, ROWS)]);
    write(path.join(uploads(), 'a.txt'), 'kept a');
    write(path.join(uploads(), 'nested', 'deep', 'b.bin'), crypto.randomBytes(100 * 1024));
    write(path.join(uploads(), 'ünï cødé.txt'), 'unicode');
    write(path.join(plugins(), 'bm-rt-marker.txt'), 'plugins folder marker');
    write(path.join(plugins(), 'bm-rt-notes', 'readme.md'), '# notes');

    backed = await capture();
    expect(backed.rows.length).toBe(ROWS);
    expect(backed.objects.views.length).toBe(1);
    expect(backed.objects.triggers.length).toBe(1);
    expect(backed.objects.routines.length).toBe(app.dialect === 'postgres' ? 1 : isMysqlFamily(app.dialect) ? 2 : 0);
    expect(backed.objects.indexes.length).toBeGreaterThanOrEqual(2);
    expect(Object.keys(backed.uploads)).toEqual(expect.arrayContaining(['a.txt', 'nested/deep/b.bin', 'ünï cødé.txt']));
    expect(Object.keys(backed.plugins)).toEqual(expect.arrayContaining(['bm-rt-marker.txt', 'bm-rt-notes/readme.md']));

    const created = await app.api(`${TASKS}:create`, { body: { includeUploads: true, includePlugins: true } });
    expect(created.status).toBe(200);
    backupTask = await waitTaskApi(app, created.body.data.id);
    expect(backupTask.error).toBeNull();
    expect(backupTask.status).toBe('succeeded');
    expect(backupTask.summary.parts).toEqual(expect.arrayContaining(['database', 'uploads', 'plugins']));

    await mutate('one');

    // Restore the backup as picked from the list.
    const list = await app.api(`${TASKS}:list`);
    const row = list.body.data.find((t: any) => t.kind === 'backup' && t.fileName === backupTask.fileName);
    expect(row).toMatchObject({ status: 'succeeded', id: backupTask.id });
    const task = await restore({ taskId: row.id });
    expect(task.origin).toBe('manual');

    expectBackedUpState(await capture());
    // The restored objects work: trigger, defaults, unique index, view and routines.
    await db((c) => exerciseObjects(c, PREFIX));

    // The history survived the restore: the backup, the restore and its safety backup.
    const after = (await app.api(`${TASKS}:list`)).body.data;
    expect(after.find((t: any) => t.id === backupTask.id)).toMatchObject({ status: 'succeeded', fileName: backupTask.fileName });
    expect(after.find((t: any) => t.id === task.id)).toMatchObject({ kind: 'restore', status: 'succeeded' });
    expect(after.filter((t: any) => t.kind === 'backup' && t.origin === 'safety' && t.status === 'succeeded').length).toBe(1);
  });

  it('downloads the archive, uploads it back and restores the upload', async () => {
    expect(backupTask).toBeTruthy();
    const onDisk = path.join(app.storage, STORAGE_DIR, 'main', backupTask.fileName);
    const dl = await fetch(`${app.url}/api/${TASKS}:download?filterByTk=${backupTask.id}`, { headers: { Authorization: `Bearer ${app.token}` } });
    expect(dl.status).toBe(200);
    const bytes = Buffer.from(await dl.arrayBuffer());
    expect(sha256(bytes)).toBe(await sha256File(onDisk));

    await mutate('two');

    const up = await app.api(`${TASKS}:upload`, { method: 'POST', body: bytes, headers: { 'Content-Type': 'application/octet-stream' } });
    expect(up.status).toBe(200);
    const { uploadId, summary } = up.body.data;
    expect(uploadId).toMatch(/^[a-f0-9]{32}$/);
    expect(summary).toMatchObject({
      appName: 'main',
      dialect: app.dialect,
      size: bytes.length,
      appVersion: backupTask.summary.appVersion,
      createdAt: backupTask.summary.createdAt,
    });
    expect(summary.parts).toEqual(backupTask.summary.parts);

    const task = await restore({ uploadId });
    expect(task.origin).toBe('upload');
    expectBackedUpState(await capture());
  });
});
