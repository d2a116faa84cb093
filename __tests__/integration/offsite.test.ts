import fs from 'fs';
import path from 'path';
import { SETTINGS, STORAGE_DIR, TASKS } from '../../src/constants';
import { remoteFolder } from '../../src/server/offsite/keys';
import { startRealApp, waitTaskApi, type RealApp } from '../helpers/real-app';
import { listFiles, sha256, sha256File } from '../helpers/inspect';
import { S3_KEYS, startLocalS3, type LocalS3 } from '../helpers/s3';
import { port } from '../helpers/run-scope';
import { waitFor } from '../helpers/wait-for';

jest.setTimeout(900000);

const NOTES = 'bm_offsite_notes';
const STORAGE = 'bm-s3';
const FOLDER = remoteFolder('nb', 'main');

describe('off-site copies in a real S3-compatible storage', () => {
  let s3: LocalS3;
  let app: RealApp;
  let backup: Record<string, any>;

  const archive = (fileName: string) => path.join(app.storage, STORAGE_DIR, 'main', fileName);
  const uploads = () => path.join(app.storage, 'uploads', 'offsite-test');
  const ok = async (p: string, body?: unknown) => {
    const r = await app.api(p, body === undefined ? {} : { body });
    if (r.status !== 200) throw new Error(`${p}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body.data;
  };
  const notes = async () => ((await ok(`${NOTES}:list?pageSize=100&sort=id`)) as { id: number; title: string }[]).map((n) => [n.id, n.title]);
  const tasks = async (): Promise<Record<string, any>[]> => ok(`${TASKS}:list?pageSize=200`);
  const remoteNames = async () => (await s3.client.list(FOLDER)).map((o) => o.key.slice(FOLDER.length)).sort();
  const storageRow = (name: string, options: Record<string, unknown>) => ({
    name,
    title: `Test ${name}`,
    type: 's3',
    path: 'nb',
    options: { region: 'us-east-1', endpoint: s3.endpoint, bucket: s3.bucket, ...S3_KEYS, ...options },
  });
  async function download(id: number | string): Promise<{ status: number; hash: string }> {
    const r = await fetch(`${app.url}/api/${TASKS}:download?filterByTk=${id}`, { headers: { Authorization: `Bearer ${app.token}` } });
    return { status: r.status, hash: sha256(Buffer.from(await r.arrayBuffer())) };
  }
  async function runBackup(values: Record<string, unknown> = {}): Promise<Record<string, any>> {
    const started = await ok(`${TASKS}:create`, values);
    const done = await waitTaskApi(app, started.id);
    expect(done).toMatchObject({ status: 'succeeded', error: null });
    return done;
  }

  beforeAll(async () => {
    s3 = await startLocalS3();
    app = await startRealApp({ name: 'offsite', port: port(13130) });
    await ok('collections:create', { name: NOTES, fields: [{ name: 'title', type: 'string', interface: 'input' }] });
    for (const title of ['one', 'two', 'three']) await ok(`${NOTES}:create`, { title });
    fs.mkdirSync(uploads(), { recursive: true });
    fs.writeFileSync(path.join(uploads(), 'a.txt'), 'attachment before the backup');
  });

  afterAll(async () => {
    await app?.stop();
    await s3?.close();
  });

  it('offers the file manager storages, says why one cannot hold copies, and never shows a secret', async () => {
    await ok('storages:create', storageRow(STORAGE, {}));
    const storages = await app.api(`${SETTINGS}:storages`);
    expect(storages.status).toBe(200);
    expect(storages.body.data).toEqual(
      expect.arrayContaining([
        { name: STORAGE, title: `Test ${STORAGE}`, type: 's3', supported: true },
        expect.objectContaining({ type: 'local', supported: false, reason: 'A local storage is on this server: it is no off-site copy.' }),
      ]),
    );
    const update = (offsiteStorage: unknown) => app.api(`${SETTINGS}:update?filterByTk=1`, { body: { offsiteStorage } });
    const unknown = await update('nope');
    expect([unknown.status, unknown.body.errors?.[0]]).toEqual([400, { code: 'OFFSITE_STORAGE_UNKNOWN', message: 'Unknown storage: nope' }]);
    expect((await update('local')).body.errors?.[0]?.code).toBe('OFFSITE_LOCAL_STORAGE');
    expect((await ok(`${SETTINGS}:get`)).offsiteStorage).toBeNull();
    const saved = await update(STORAGE);
    expect([saved.status, saved.body.data.offsiteStorage]).toEqual([200, STORAGE]);
    for (const answer of [storages.body, saved.body, await ok(`${SETTINGS}:get`)]) {
      expect(JSON.stringify(answer)).not.toContain(S3_KEYS.secretAccessKey);
    }
  });

  it('copies a backup off-site; downloads and restores from the copy once the local file is gone', async () => {
    const before = { notes: await notes(), uploads: await listFiles(uploads()) };
    backup = await runBackup();
    expect(backup.remote).toMatchObject({ storage: STORAGE, size: Number(backup.size) });
    expect(backup.local).toBe(true);
    expect(await remoteNames()).toEqual([backup.fileName]);
    const localHash = await sha256File(archive(backup.fileName));
    expect(await s3.sha256(FOLDER + backup.fileName)).toBe(localHash);
    expect(JSON.stringify(await tasks())).not.toContain(S3_KEYS.secretAccessKey);

    // The server loses its archive: the list says where it still is, the download comes from the bucket.
    fs.rmSync(archive(backup.fileName));
    const row = (await tasks()).find((t) => t.id === backup.id);
    expect([row?.local, row?.remote?.storage]).toEqual([false, STORAGE]);
    expect(await download(backup.id)).toEqual({ status: 200, hash: localHash });

    // Change the data and the files, then restore the backup that is only off-site.
    await ok(`${NOTES}:create`, { title: 'after the backup' });
    await ok(`${NOTES}:destroy?filterByTk=${before.notes[0][0]}`);
    fs.writeFileSync(path.join(uploads(), 'a.txt'), 'changed after the backup');
    fs.writeFileSync(path.join(uploads(), 'b.txt'), 'added after the backup');
    expect(await notes()).not.toEqual(before.notes);
    const restore = await ok(`${TASKS}:restore`, { taskId: backup.id, safetyBackup: false });
    const restored = await waitTaskApi(app, restore.id, 600000);
    expect(restored).toMatchObject({ status: 'succeeded', error: null });
    expect(await notes()).toEqual(before.notes);
    expect(await listFiles(uploads())).toEqual(before.uploads);
    // Fetched back whole, under its own name.
    expect(await sha256File(archive(backup.fileName))).toBe(localHash);
  });

  it('a failed upload leaves a good local backup that says why', async () => {
    await ok('storages:create', storageRow('bm-s3-bad-key', { accessKeyId: 'NOT-THE-KEY' }));
    await ok(`${SETTINGS}:update?filterByTk=1`, { offsiteStorage: 'bm-s3-bad-key' });
    const done = await runBackup({ includeUploads: false, includePlugins: false }).finally(() =>
      ok(`${SETTINGS}:update?filterByTk=1`, { offsiteStorage: STORAGE }),
    );
    expect(done.remote).toBeNull();
    expect(done.local).toBe(true);
    expect(done.remoteError).toMatch(/^The off-site storage answered with an error: InvalidAccessKeyId/);
    expect(done.remoteError).not.toContain(S3_KEYS.secretAccessKey);
    expect(await remoteNames()).toEqual([backup.fileName]);
    // Unticked in the dialog: no copy is tried at all.
    const skipped = await runBackup({ includeUploads: false, includePlugins: false, offsite: false });
    expect([skipped.remote, skipped.remoteError, skipped.local]).toEqual([null, null, true]);
    await ok(`${TASKS}:destroy?filterByTk=${skipped.id}`);
    await ok(`${TASKS}:destroy?filterByTk=${done.id}`);
  });

  it('lists copies only in the bucket, forgets copies removed there, and deletes both copies', async () => {
    const foreign = `main_20250101-000000-000.nbbm`;
    await s3.client.upload(archive(backup.fileName), FOLDER + foreign);
    await s3.client.upload(path.join(uploads(), 'a.txt'), `${FOLDER}notes.txt`);
    await s3.client.remove(FOLDER + backup.fileName);
    expect(await ok(`${TASKS}:syncOffsite`, {})).toEqual({ added: [foreign], gone: [backup.fileName] });
    const rows = await tasks();
    const listed = rows.find((t) => t.fileName === foreign);
    expect(listed).toMatchObject({ kind: 'backup', status: 'succeeded', local: false, remote: { storage: STORAGE } });
    expect(rows.find((t) => t.id === backup.id)).toMatchObject({ local: true, remote: null });
    // Its manifest is read from the fetched copy: the same backup under another name.
    const inspect = await ok(`${TASKS}:inspect?filterByTk=${listed!.id}`);
    expect(inspect.summary).toMatchObject({ appName: 'main', dialect: app.dialect === 'mysql' ? 'mysql' : app.dialect });
    expect(fs.existsSync(archive(foreign))).toBe(true);
    // A second check adds nothing.
    expect(await ok(`${TASKS}:syncOffsite`, {})).toEqual({ added: [], gone: [] });

    await ok(`${TASKS}:destroy?filterByTk=${listed!.id}`);
    expect(await s3.client.head(FOLDER + foreign)).toBeNull();
    expect(fs.existsSync(archive(foreign))).toBe(false);
    expect(await remoteNames()).toEqual(['notes.txt']);
  });

  it('retention deletes the off-site copies of the scheduled backups it removes', async () => {
    const seen = new Set<string>();
    await ok(`${SETTINGS}:update?filterByTk=1`, {
      enabled: true,
      // Plain archives off-site must be chosen explicitly (no password here).
      offsiteUnencrypted: true,
      cron: '*/3 * * * * *',
      timezone: 'UTC',
      keepLast: 1,
      includeUploads: false,
      includePlugins: false,
    });
    const deadline = Date.now() + 300000;
    for (;;) {
      const scheduled = (await tasks()).filter((t) => t.origin === 'scheduled' && t.status === 'succeeded');
      scheduled.forEach((t) => seen.add(t.fileName));
      if (seen.size >= 3 && scheduled.length === 1) break;
      if (Date.now() > deadline) throw new Error(`scheduled backups seen: ${[...seen].join(', ')}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    await ok(`${SETTINGS}:update?filterByTk=1`, { enabled: false });
    for (let i = 0; i < 120 && (await tasks()).some((t) => ['pending', 'running'].includes(t.status)); i++) {
      await new Promise((r) => setTimeout(r, 500));
    }
    // A retention run that began before the schedule was switched off may still be deleting: its bucket copy goes
    // first, then its row. Read the rows once the bucket and the rows agree (or give up and let the checks say why).
    await waitFor(
      async () => {
        const copies = (await tasks()).filter((t) => t.remote).map((t) => t.fileName);
        return JSON.stringify(await remoteNames()) === JSON.stringify([...copies, 'notes.txt'].sort());
      },
      { timeoutMs: 60000, intervalMs: 500, what: 'the bucket to hold exactly the listed copies' },
    ).catch(() => undefined);
    const rows = await tasks();
    const kept = rows.filter((t) => t.origin === 'scheduled' && t.status === 'succeeded').map((t) => t.fileName);
    const withCopies = rows.filter((t) => t.remote).map((t) => t.fileName);
    // Every scheduled backup had its copy; the bucket holds exactly the copies of the rows still listed.
    expect(kept.length).toBeGreaterThanOrEqual(1);
    for (const name of kept) expect(withCopies).toContain(name);
    expect(await remoteNames()).toEqual([...withCopies, 'notes.txt'].sort());
    for (const gone of [...seen].filter((n) => !kept.includes(n))) {
      expect(await s3.client.head(FOLDER + gone)).toBeNull();
      expect(fs.existsSync(archive(gone))).toBe(false);
    }
  });
});
