// Retention policies and notes in a real app: the schedule tab's preview names exactly the backups a real scheduled
// run then deletes (archives and off-site copies in a real S3-compatible server too), pinned and manual ones stay;
// a note given to Backup now is on the row, in the manifest and in the CLI list.
// Needs a fresh build (the standalone CLI runs from dist/cli/standalone.js).
import { spawn } from 'child_process';
import fs from 'fs';
import path from 'path';
import { SETTINGS, STORAGE_DIR, TASKS } from '../../src/constants';
import { readManifest } from '../../src/server/archive';
import { remoteFolder } from '../../src/server/offsite/keys';
import { listTables, quoteIdent, targetOfEnv, withConn } from '../helpers/inspect';
import { startRealApp, waitTaskApi, type RealApp } from '../helpers/real-app';
import { port } from '../helpers/run-scope';
import { S3_KEYS, startLocalS3, type LocalS3 } from '../helpers/s3';

jest.setTimeout(900000);

const ROOT = path.resolve(__dirname, '..', '..');
const STANDALONE = path.join(ROOT, 'dist', 'cli', 'standalone.js');
const STORAGE = 'bm-retention-s3';
const FOLDER = remoteFolder('nb', 'main');
const HOUR = 3600 * 1000;
const DAY = 24 * HOUR;

/**
 * A fixed-offset zone where it is about noon now (Etc/GMT-N is UTC+N): "N days ago" at this hour, give or take two
 * hours, falls on the N-th local day back, whenever the test runs.
 */
function noonZone(now: Date): { timezone: string; offsetHours: number } {
  let offset = 12 - now.getUTCHours();
  if (offset > 14) offset -= 24;
  if (offset < -12) offset += 24;
  return { timezone: offset === 0 ? 'UTC' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`, offsetHours: offset };
}

describe('retention policy, pins and notes in a real app', () => {
  let s3: LocalS3;
  let app: RealApp;

  const archive = (fileName: string) => path.join(app.storage, STORAGE_DIR, 'main', fileName);
  const ok = async (p: string, body?: unknown) => {
    const r = await app.api(p, body === undefined ? {} : { body });
    if (r.status !== 200) throw new Error(`${p}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body.data;
  };
  const tasks = async (): Promise<Record<string, any>[]> => ok(`${TASKS}:list?pageSize=200`);
  async function backupNow(values: Record<string, unknown> = {}): Promise<Record<string, any>> {
    const started = await ok(`${TASKS}:create`, { includeUploads: false, includePlugins: false, ...values });
    const done = await waitTaskApi(app, started.id);
    expect(done).toMatchObject({ status: 'succeeded', error: null });
    return done;
  }
  /** Rewrites rows behind the app's back: what only time (and the scheduler) would otherwise give them. */
  async function backdate(id: number, origin: string, at: Date): Promise<void> {
    await withConn(targetOfEnv(app.env), async (c) => {
      const table = (await listTables(c)).find((t) => /backups_?manager_?tasks$/i.test(t));
      if (!table) throw new Error('task table not found');
      const underscored = table.includes('_');
      const col = (name: string) => quoteIdent(c.dialect, underscored ? name.replace(/[A-Z]/g, (m) => `_${m.toLowerCase()}`) : name);
      // SQLite: Sequelize's own text format; PostgreSQL: an ISO timestamp.
      const when = c.dialect === 'sqlite' ? `'${at.toISOString().replace('T', ' ').replace('Z', ' +00:00')}'` : `'${at.toISOString()}'`;
      await c.query(
        `UPDATE ${quoteIdent(c.dialect, table)} SET ${col('origin')} = '${origin}', ${col('finishedAt')} = ${when}, ` +
          `${col('createdAt')} = ${when}, ${col('startedAt')} = ${when} WHERE ${col('id')} = ${id}`,
      );
    });
  }
  function standaloneList(): Promise<{ code: number | null; stdout: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [STANDALONE, 'list'], { cwd: app.appDir, env: { ...process.env, ...app.env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout }));
    });
  }

  beforeAll(async () => {
    s3 = await startLocalS3('bm-retention');
    app = await startRealApp({ name: 'retention', port: port(13190) });
    await ok('storages:create', {
      name: STORAGE,
      title: 'Retention test bucket',
      type: 's3',
      path: 'nb',
      options: { region: 'us-east-1', endpoint: s3.endpoint, bucket: s3.bucket, ...S3_KEYS },
    });
    await ok(`${SETTINGS}:update?filterByTk=1`, { offsiteStorage: STORAGE, offsiteUnencrypted: true, includeUploads: false, includePlugins: false });
  });

  afterAll(async () => {
    await app?.stop();
    await s3?.close();
  });

  it('a note given to Backup now is on the row, in the manifest and in the CLI list; it can be edited on the row', async () => {
    const note = 'before the v2.3 upgrade — 升级前';
    const done = await backupNow({ note: `  ${note}\n` });
    expect(done.note).toBe(note);
    expect((await readManifest(archive(done.fileName))).note).toBe(note);

    const plain = await backupNow();
    expect(plain.note ?? null).toBeNull();
    expect('note' in (await readManifest(archive(plain.fileName)))).toBe(false);

    // The standalone CLI has no rows: it reads the note from the manifest.
    const list = await standaloneList();
    expect(list.code).toBe(0);
    const line = (name: string) => list.stdout.split('\n').find((l) => l.startsWith(name)) ?? '';
    expect(line(done.fileName)).toContain(`"${note}"`);
    expect(line(plain.fileName)).not.toContain('"');

    // Edited on the row (the manifest keeps what it was written with); too long is refused.
    expect(await ok(`${TASKS}:note?filterByTk=${done.id}`, { note: 'kept for the audit' })).toMatchObject({ note: 'kept for the audit' });
    expect((await ok(`${TASKS}:get?filterByTk=${done.id}`)).note).toBe('kept for the audit');
    const tooLong = await app.api(`${TASKS}:note?filterByTk=${done.id}`, { body: { note: 'x'.repeat(501) } });
    expect([tooLong.status, tooLong.body.errors?.[0]?.code]).toEqual([422, 'NOTE_INVALID']);
    expect(await ok(`${TASKS}:note?filterByTk=${plain.id}`, { note: '' })).toMatchObject({ note: null });
    // Anonymous callers reach neither action.
    for (const p of [`${TASKS}:note?filterByTk=${done.id}`, `${TASKS}:pin?filterByTk=${done.id}`, `${SETTINGS}:retentionPreview`]) {
      expect((await app.api(p, { body: {}, token: null })).status).toBeGreaterThanOrEqual(401);
    }
    for (const t of [done, plain]) await ok(`${TASKS}:destroy?filterByTk=${t.id}`, {});
  });

  it('the preview names exactly what the next scheduled run deletes, local and off-site; pinned and manual stay', async () => {
    const now = new Date();
    const { timezone, offsetHours } = noonZone(now);
    const ago = (days: number, hours = 0) => new Date(now.getTime() - days * DAY - hours * HOUR);
    // Each fixture is a real backup with its off-site copy, then given its age (and origin) in the table.
    const fixture: Record<string, { origin: string; at: Date; id?: number; fileName?: string }> = {
      A: { origin: 'scheduled', at: ago(1) }, // daily: yesterday
      B: { origin: 'scheduled', at: ago(2) }, // daily: the newest of 2 days ago
      C: { origin: 'scheduled', at: ago(2, 2) }, // same day as B, older: deleted
      D: { origin: 'scheduled', at: ago(3) }, // beyond 3 days with a backup: deleted
      E: { origin: 'scheduled', at: ago(10) }, // pinned: stays
      F: { origin: 'manual', at: ago(40) }, // manual: stays
      G: { origin: 'scheduled', at: ago(400) }, // deleted
    };
    for (const [name, f] of Object.entries(fixture)) {
      const done = await backupNow({ note: `fixture ${name}` });
      expect(done.remote).toMatchObject({ storage: STORAGE });
      await backdate(done.id, f.origin, f.at);
      Object.assign(f, { id: Number(done.id), fileName: done.fileName });
    }
    expect(await ok(`${TASKS}:pin?filterByTk=${fixture.E.id}`, { pinned: true })).toMatchObject({ pinned: true });
    expect((await ok(`${TASKS}:get?filterByTk=${fixture.E.id}`)).pinned).toBe(true);

    // One run only, about 25 s from now, in the noon zone (6-field cron: seconds first); the stored policy keeps 50.
    const run = new Date(Date.now() + 25000);
    const local = new Date(run.getTime() + offsetHours * HOUR);
    const cron = `${local.getUTCSeconds()} ${local.getUTCMinutes()} ${local.getUTCHours()} * * *`;
    await ok(`${SETTINGS}:update?filterByTk=1`, { enabled: true, cron, timezone, keepLast: 50, keepDaily: null });
    const policy = { keepLast: 1, keepDaily: 3, timezone };
    const preview = async (values: Record<string, unknown>) =>
      ((await ok(`${SETTINGS}:retentionPreview`, values)) as { destroy: { id: number; offsite: boolean; note: string }[] }).destroy;
    expect(await preview({})).toEqual([]);
    const doomed = await preview(policy);
    const ids = (names: string) => names.split('').map((n) => fixture[n].id as number);
    expect(doomed.map((r) => Number(r.id)).sort((a, b) => a - b)).toEqual(ids('CDG'));
    expect(doomed.every((r) => r.offsite)).toBe(true);
    expect(doomed.map((r) => r.note).sort()).toEqual(['fixture C', 'fixture D', 'fixture G']);
    // Read-only: nothing changed yet; a policy Save would refuse is refused the same way.
    expect((await tasks()).filter((t) => t.kind === 'backup')).toHaveLength(7);
    const bad = await app.api(`${SETTINGS}:retentionPreview`, { body: { keepLast: 0 } });
    expect([bad.status, bad.body.errors?.[0]?.code]).toEqual([422, 'KEEP_LAST_INVALID']);

    await ok(`${SETTINGS}:update?filterByTk=1`, policy);
    // The real scheduled run: a backup, then retention.
    let scheduledRun: Record<string, any> | undefined;
    for (const deadline = Date.now() + 240000; ; ) {
      const rows = await tasks();
      scheduledRun = rows.find((t) => t.origin === 'scheduled' && !Object.values(fixture).some((f) => f.id === Number(t.id)));
      const busy = rows.some((t) => ['pending', 'running'].includes(t.status));
      // Retention deletes newest first: G, the oldest, goes last.
      if (scheduledRun?.status === 'succeeded' && !busy && !rows.some((t) => Number(t.id) === fixture.G.id)) break;
      if (Date.now() > deadline) throw new Error(`no retention run: ${JSON.stringify(rows.map((t) => [t.id, t.origin, t.status]))}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    await ok(`${SETTINGS}:update?filterByTk=1`, { enabled: false });

    const left = (await tasks()).filter((t) => t.kind === 'backup').map((t) => Number(t.id));
    expect(left.sort((a, b) => a - b)).toEqual([...ids('ABEF'), Number(scheduledRun!.id)].sort((a, b) => a - b));
    const remote = (await s3.client.list(FOLDER)).map((o) => o.key.slice(FOLDER.length));
    for (const name of 'CDG') {
      expect(fs.existsSync(archive(fixture[name].fileName!))).toBe(false);
      expect(await s3.client.head(FOLDER + fixture[name].fileName)).toBeNull();
    }
    for (const name of 'ABEF') {
      expect(fs.existsSync(archive(fixture[name].fileName!))).toBe(true);
      expect(remote).toContain(fixture[name].fileName);
    }

    // Unpinned, E is the policy's again: the preview now names it (10 days old, beyond the 3 days).
    await ok(`${TASKS}:pin?filterByTk=${fixture.E.id}`, { pinned: false });
    expect((await preview(policy)).map((r) => Number(r.id))).toContain(fixture.E.id);
  });
});
