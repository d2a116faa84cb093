import { spawn } from 'child_process';
import fs from 'fs';
import http from 'http';
import os from 'os';
import path from 'path';
import { TASKS } from '../../src/constants';
import { readManifest } from '../../src/server/archive';
import { signIn, startRealApp, waitTaskApi, type RealApp } from '../helpers/real-app';
import { dataDigest, insertStatements, listFiles, quoteIdent, schemaObjects, schemaStatements, targetOfEnv, withConn, type Conn } from '../helpers/inspect';
import { itIf, port, runNs } from '../helpers/run-scope';

// A power cut during a restore: the server kills itself (SIGKILL) at a chosen step through the test-only switch
// BM_TEST_CRASH_FILE (restore/crash.ts), the test kills what is left of its process group (or, once, leaves the
// database tool running as an orphan), then starts the app again as an admin would. Whatever instant the crash hit,
// the app must come up with exactly the data, schema objects and upload files of before the restore (rolled back
// from the safety backup) or of the backup (completed forward when the safety backup was off), the task row saying
// which, no tool left running, nothing left in staging.

// eslint-disable-next-line @typescript-eslint/no-var-requires
const { pidsOfGroup } = require('../../scripts/proc-group');

jest.setTimeout(1800000);

const PORT = port(13180);
const STANDALONE = path.resolve(__dirname, '..', '..', 'dist', 'cli', 'standalone.js');
const PREFIX = 'bm_crash_';
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bm-crash-'));
const CRASH_FILE = path.join(work, 'crash-at');
// Read by the server at each crash point; set before the server starts so it inherits them.
process.env.BM_TEST_CRASH_FILE = CRASH_FILE;
// SQLite's database step is a rename (atomic, milliseconds): its crash point is the step's start, where the journal
// already says 'begun'; the server databases crash while their restore tool runs.
const DB_MID = (process.env.DB_DIALECT || 'sqlite') === 'sqlite' ? 'db:main' : 'db:main:mid';
const EXT = { dialect: 'postgres' as const, host: '127.0.0.1', port: 5432, user: 'postgres', password: 'postgres', database: `bm_crash_ext_${runNs()}${process.env.DB_DIALECT || 'sqlite'}` };
const extDigest = () => withConn(EXT, (c) => dataDigest(c));
// The steps whose crash handling touches no database tool (maintenance, the storage folders, the commit, an upload)
// are crashed on SQLite, whose database file lives in the storage folder too; the crashes during a safety backup
// (its dump tool running) on SQLite and PostgreSQL; every engine gets the crashes that interrupt its own restore
// tool (the database step, a rollback after the upgrade, the forward completion, the standalone command, a data
// source). Issue 21: each engine-free crash was run twice, about 40 s each on a slow machine.
const DIALECT = process.env.DB_DIALECT || 'sqlite';
const EVERY_STEP = DIALECT === 'sqlite';
const DUMP_STEPS = DIALECT === 'sqlite' || DIALECT === 'postgres';
// Not registered at all elsewhere (rather than skipped): they run in the other passes.
const itAllSteps = itIf(EVERY_STEP);
const itDumpSteps = itIf(DUMP_STEPS);
const NOTIFICATIONS = ['notificationChannels', 'notificationInAppMessages', 'notificationSendLogs'];
const TOOLS = /^(pg_restore|pg_dump|psql|mariadb|mysql|mariadb-dump|mysqldump|sqlite3)$/;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let app: RealApp;
let backup: { id: number; fileName: string };
let excluded: string[] = [];
let atBackup: Awaited<ReturnType<typeof state>>;

const db = <T>(fn: (c: Conn) => Promise<T>, readonly = true) => withConn(targetOfEnv(app.env), fn, { readonly });
const archives = () => path.join(app.storage, 'backups-manager', 'main');
const uploads = () => path.join(app.storage, 'uploads');

async function api(p: string, init?: Parameters<RealApp['api']>[1]) {
  let r = await app.api(p, init);
  if (r.status === 401) {
    app.token = await signIn(app.url);
    r = await app.api(p, init);
  }
  return r;
}

/** Every table's rows (runtime and sign-in tables aside), the test's view/trigger/indexes, every upload and key file. */
async function state() {
  return {
    data: await db((c) => dataDigest(c, excluded)),
    objects: await db((c) => schemaObjects(c, PREFIX)),
    uploads: await listFiles(uploads()),
    key: fs.readFileSync(path.join(app.storage, 'apps', 'main', 'aes_key.dat')).toString('hex'),
  };
}

const messages = async () => Number((await db((c) => c.query<{ n: number }>('SELECT COUNT(*) AS n FROM ' + quoteIdent(c.dialect, 'notificationInAppMessages'))))[0].n);

async function change(tag: string) {
  expect((await api('users:create', { body: { email: `${tag}@example.com`, password: 'x1234567' } })).status).toBe(200);
  await db((c) => c.query(`UPDATE ${PREFIX}items SET qty = qty + 1 WHERE code = 'c1'`), false);
  await db((c) => c.query(`INSERT INTO ${PREFIX}items (code) VALUES ('${tag}')`), false);
  fs.writeFileSync(path.join(uploads(), 'crash', 'a.txt'), `changed by ${tag}`);
  fs.writeFileSync(path.join(uploads(), 'crash', `${tag}.txt`), tag);
}

/** What staging, journals and set-aside folders a restore may leave: nothing once the app is up again. */
function debris() {
  const tmp = path.join(archives(), '.tmp');
  const journal = path.join(archives(), '.journal', 'restore');
  return {
    tmp: fs.existsSync(tmp) ? fs.readdirSync(tmp) : [],
    journal: fs.existsSync(journal) ? fs.readdirSync(journal) : [],
    aside: [...fs.readdirSync(app.storage), ...fs.readdirSync(path.join(app.storage, 'apps', 'main'))].filter((n) => n.includes('.bm-old-')),
    pids: fs.existsSync(path.join(app.storage, 'backups-manager', '.pids')) ? fs.readdirSync(path.join(app.storage, 'backups-manager', '.pids')) : [],
  };
}

const commOf = (pid: number) => {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
};

/**
 * Starts `request` with the crash point armed, waits for the server to kill itself there, then kills the rest of
 * its process group: everything (a power cut), or everything but the database tools (a server killed alone).
 * Answers the task id and the pids of the tools left running.
 */
async function crashDuring(point: string, request: () => Promise<{ status: number; body: any }>, leaveTools = false) {
  fs.writeFileSync(CRASH_FILE, point);
  const group = app.processGroup();
  const r = await request();
  expect(r.status).toBe(200);
  const deadline = Date.now() + 90000;
  // The server removes the file right before it kills itself.
  while (fs.existsSync(CRASH_FILE) && Date.now() < deadline) await sleep(100);
  if (fs.existsSync(CRASH_FILE)) {
    fs.rmSync(CRASH_FILE, { force: true });
    const row = (await api(`${TASKS}:get?filterByTk=${r.body.data.id}`)).body?.data;
    throw new Error(`crash point ${point} was never reached; the task is ${row?.status}/${row?.phase}`);
  }
  for (let i = 0; i < 100; i++) {
    const alive = await fetch(`${app.url}/api/__health_check`).then(() => true, () => false);
    if (!alive) break;
    await sleep(100);
  }
  const left = pidsOfGroup(group) as number[];
  const tools = left.filter((pid) => TOOLS.test(commOf(pid)));
  for (const pid of left) {
    if (leaveTools && tools.includes(pid)) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  return { taskId: r.body.data.id as number, group, tools: leaveTools ? tools : [] };
}

async function startAgain(group: number) {
  for (let i = 0; i < 100 && (pidsOfGroup(group) as number[]).some((p) => !TOOLS.test(commOf(p))); i++) await sleep(100);
  await app.start();
  app.token = await signIn(app.url);
}

/**
 * The backup's row now. A rollback from a safety backup made by the standalone command brings back a task list
 * rebuilt from the archives on disk (its own rows are runtime data), with new ids.
 */
async function backupId(): Promise<number> {
  const list = (await api(`${TASKS}:list?pageSize=200`)).body.data as { id: number; kind: string; fileName: string }[];
  const row = list.find((t) => t.kind === 'backup' && t.fileName === backup.fileName);
  if (!row) throw new Error(`the backup ${backup.fileName} is not listed`);
  return row.id;
}

const restore = (safetyBackup: boolean) => async () => api(`${TASKS}:restore`, { body: { taskId: await backupId(), safetyBackup } });

beforeAll(async () => {
  app = await startRealApp({ name: 'crash', port: PORT });
  await db(async (c) => {
    for (const s of [...schemaStatements(app.dialect, PREFIX), ...insertStatements(`${PREFIX}items`, 1, 20000)]) await c.query(s);
  }, false);
  fs.mkdirSync(path.join(uploads(), 'crash'), { recursive: true });
  fs.writeFileSync(path.join(uploads(), 'crash', 'a.txt'), 'as backed up');

  // An external PostgreSQL database registered as a data source (rows written as NocoBase's own plugins store
  // them, see data-sources.test.ts), big enough that its restore tool runs for a while.
  await withConn({ ...EXT, database: 'postgres' }, async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${EXT.database} WITH (FORCE)`);
    await c.query(`CREATE DATABASE ${EXT.database}`);
  });
  await withConn(EXT, async (c) => {
    await c.query('CREATE TABLE ext_items (id integer PRIMARY KEY, note text)');
    await c.query(`INSERT INTO ext_items SELECT g, 'row ' || g || repeat('x', 80) FROM generate_series(1, 300000) g`);
  });
  await db(async (c) => {
    const q = (id: string) => quoteIdent(c.dialect, id);
    const options = JSON.stringify({ host: EXT.host, port: EXT.port, username: EXT.user, password: 'unused', database: EXT.database });
    await c.query(
      `INSERT INTO ${q('dataSources')} (${['key', 'displayName', 'type', 'options', 'enabled', 'fixed', 'createdAt', 'updatedAt'].map(q).join(', ')}) ` +
        `VALUES ('ext_crash', 'ext', 'postgres', '${options}', ${app.dialect === 'sqlite' ? 1 : 'true'}, ${app.dialect === 'sqlite' ? 0 : 'false'}, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)`,
    );
  }, false);

  // PostgreSQL: two parallel jobs whatever the cores, so the database step's crash kills the server while
  // `pg_restore -j 2` and its forked workers run, and the recovery must stop them all (restore/recover.ts).
  if (app.dialect === 'postgres') expect((await api('backupsManagerSettings:update?filterByTk=1', { body: { dumpJobs: 2 } })).status).toBe(200);
  const r = await api(`${TASKS}:create`, { body: { dataSources: ['ext_crash'] } });
  expect(r.status).toBe(200);
  backup = await waitTaskApi(app, r.body.data.id);
  expect(backup).toMatchObject({ status: 'succeeded' });
  const manifest = await readManifest(path.join(archives(), backup.fileName));
  if (app.dialect === 'postgres') expect(manifest.database).toMatchObject({ dumpFormat: 'directory', dumpJobs: 2 });
  // Runtime tables travel in no backup (their rows are not restored by design); tables a sign-in writes to change
  // between two looks at the same app: both are left out of the comparison, and the rest must be equal.
  // The notification tables get the recovery's own message to the admins (counted in the tests instead).
  excluded = [...manifest.database.excludedTableData, TASKS, ...NOTIFICATIONS];
  const a = await db((c) => dataDigest(c, excluded));
  app.token = await signIn(app.url);
  const b = await db((c) => dataDigest(c, excluded));
  // Tables NocoBase rewrites at every start (e.g. its AI skills' timestamps) differ after any restart.
  await app.restart();
  app.token = await signIn(app.url);
  const c2 = await db((c) => dataDigest(c, excluded));
  excluded.push(...Object.keys(a).filter((t) => a[t] !== b[t] || b[t] !== c2[t]));
  // eslint-disable-next-line no-console
  console.log(`[crash] tables a sign-in or a restart change, left out of the comparison: ${excluded.join(', ')}`);
  atBackup = await state();
});

afterAll(async () => {
  fs.rmSync(CRASH_FILE, { force: true });
  await app?.stop();
  if (app) fs.rmSync(app.storage, { recursive: true, force: true });
  fs.rmSync(work, { recursive: true, force: true });
  await withConn({ ...EXT, database: 'postgres' }, (c) => c.query(`DROP DATABASE IF EXISTS ${EXT.database} WITH (FORCE)`)).catch(() => undefined);
});

describe.each([...['stage'], ...(DUMP_STEPS ? ['safety'] : []), ...(EVERY_STEP ? ['maintenance'] : [])])('crash at %s, before any live change', (point) => {
  it('comes back unchanged, the restore marked as interrupted', async () => {
    await change(`before-${point}`);
    const before = await state();
    const crash = await crashDuring(point, restore(true));
    await startAgain(crash.group);

    expect(await state()).toEqual(before);
    const row = await waitTaskApi(app, crash.taskId);
    expect(row).toMatchObject({ kind: 'restore', status: 'failed', errorCode: 'RESTORE_INTERRUPTED_UNCHANGED' });
    expect(debris()).toEqual({ tmp: [], journal: [], aside: [], pids: [] });
  });
});

describe.each([
  // [crash point, leave the database tool running as an orphan]
  [DB_MID, true],
  ...(EVERY_STEP ? ([['storage', false], ['storage:mid', false]] as const) : []),
  ['finish', false],
] as const)('crash at %s with the safety backup on', (point, leaveTools) => {
  it('comes back as it was before the restore, rolled back from the safety backup', async () => {
    await change(`before-${point.replace(/\W/g, '-')}`);
    const before = await state();
    expect(before).not.toEqual(atBackup);
    const sent = await messages();
    const crash = await crashDuring(point, restore(true), leaveTools);
    if (leaveTools && app.dialect !== 'sqlite') expect(crash.tools.length).toBeGreaterThan(0);
    await startAgain(crash.group);

    expect(await state()).toEqual(before);
    const row = await waitTaskApi(app, crash.taskId);
    expect(row).toMatchObject({ kind: 'restore', status: 'failed', errorCode: 'RESTORE_INTERRUPTED_ROLLED_BACK' });
    expect(row.error).toContain('safety backup');
    // The admins were told (one in-app message; the safety backup put back the table as it was before it).
    expect(await messages()).toBe(sent + 1);
    // The tools the killed server left were stopped before the recovery touched the database.
    expect((pidsOfGroup(crash.group) as number[]).filter((p) => TOOLS.test(commOf(p)))).toEqual([]);
    expect(debris()).toEqual({ tmp: [], journal: [], aside: [], pids: [] });
  });
});

// The restore had run NocoBase's upgrade, which writes its version row and its migrations log; everything else is
// the backup's.
const withoutUpgrade = (x: Awaited<ReturnType<typeof state>>) => ({ ...x, data: { ...x.data, applicationVersion: '', migrations: '' } });

itAllSteps('a crash after the last step keeps the restore (the app may already have served it) and only cleans up', async () => {
  await change('before-commit');
  const crash = await crashDuring('commit', restore(true));
  await startAgain(crash.group);

  expect(withoutUpgrade(await state())).toEqual(withoutUpgrade(atBackup));
  const row = await waitTaskApi(app, crash.taskId);
  expect(row).toMatchObject({ kind: 'restore', status: 'succeeded', errorCode: 'RESTORE_INTERRUPTED_COMMITTED' });
  expect(debris()).toEqual({ tmp: [], journal: [], aside: [], pids: [] });
});

// The row says succeeded before the originals set aside are removed (restore/runner.ts, cleanUp).
itAllSteps('a crash while the restore removes what it replaced keeps the restore and its row, and the next start cleans up', async () => {
  await change('before-cleanup');
  const crash = await crashDuring('cleanup', restore(true));
  await startAgain(crash.group);

  expect(withoutUpgrade(await state())).toEqual(withoutUpgrade(atBackup));
  const row = await waitTaskApi(app, crash.taskId);
  expect(row).toMatchObject({ kind: 'restore', status: 'succeeded', phase: 'done', errorCode: null });
  expect(debris()).toEqual({ tmp: [], journal: [], aside: [], pids: [] });
});

it('a crash mid-restore without a safety backup completes the restore from the verified copy', async () => {
  await change('before-forward');
  expect(await state()).not.toEqual(atBackup);
  const crash = await crashDuring(DB_MID, restore(false));
  await startAgain(crash.group);

  expect(await state()).toEqual(atBackup);
  const row = await waitTaskApi(app, crash.taskId);
  expect(row).toMatchObject({ kind: 'restore', status: 'succeeded', errorCode: 'RESTORE_INTERRUPTED_COMPLETED' });
  expect(debris()).toEqual({ tmp: [], journal: [], aside: [], pids: [] });
});

itDumpSteps.each(['backup:mid@50', 'backup:written'])('a crash during the safety backup (%s) changes nothing and lists no half archive', async (point) => {
  await change(`before-${point.replace(/\W/g, '-')}`);
  const before = await state();
  const archivesBefore = fs.readdirSync(archives()).filter((f) => f.endsWith('.nbbm')).sort();
  const crash = await crashDuring(point, restore(true));
  await startAgain(crash.group);

  expect(await state()).toEqual(before);
  const row = await waitTaskApi(app, crash.taskId);
  expect(row).toMatchObject({ kind: 'restore', status: 'failed', errorCode: 'RESTORE_INTERRUPTED_UNCHANGED' });
  const list = (await api(`${TASKS}:list?pageSize=200`)).body.data as any[];
  const listed = list.filter((t) => t.kind === 'backup' && t.status === 'succeeded').map((t) => t.fileName);
  // The interrupted safety backup is a failed row without a file; every archive on disk is a listed good one.
  expect(fs.readdirSync(archives()).filter((f) => f.endsWith('.nbbm')).sort()).toEqual(archivesBefore);
  expect(archivesBefore.every((f) => listed.includes(f))).toBe(true);
  expect(debris()).toEqual({ tmp: [], journal: [], aside: [], pids: [] });
});

/** The standalone command as an admin runs it in the app folder, with the app's environment (and the crash switch). */
function standalone(args: string[]): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [STANDALONE, ...args], { cwd: app.appDir, env: { ...process.env, ...app.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

it('the standalone restore killed mid-database is rolled back by `nb-backups recover`, the app stopped', async () => {
  await change('before-standalone');
  const before = await state();
  await app.stop();
  fs.writeFileSync(CRASH_FILE, DB_MID);
  const killed = await standalone(['restore', path.join(archives(), backup.fileName), '--yes', '--skip-upgrade', '--json']);
  expect({ signal: killed.signal, armed: fs.existsSync(CRASH_FILE) }).toEqual({ signal: 'SIGKILL', armed: false });

  const recovered = await standalone(['recover', '--json']);
  expect(recovered.code).toBe(0);
  expect(JSON.parse(recovered.stdout.trim().split('\n').pop() as string).recovered).toEqual([expect.objectContaining({ action: 'rollback' })]);
  const again = await standalone(['recover', '--json']);
  expect(JSON.parse(again.stdout.trim().split('\n').pop() as string).recovered).toEqual([]);

  await app.start();
  app.token = await signIn(app.url);
  expect(await state()).toEqual(before);
  expect(debris()).toEqual({ tmp: [], journal: [], aside: [], pids: [] });
});

it('a crash while a data source is restored alone rolls that source back and leaves the app as it was', async () => {
  await withConn(EXT, (c) => c.query(`UPDATE ext_items SET note = 'changed' WHERE id <= 10; DELETE FROM ext_items WHERE id > 299990`));
  const extBefore = await extDigest();
  const appBefore = await state();
  const body = { taskId: await backupId(), safetyBackup: true, apps: [], dataSources: ['ext_crash'] };
  const crash = await crashDuring('db:source:ext_crash:mid@200', () => api(`${TASKS}:restore`, { body }), true);
  await startAgain(crash.group);

  expect(await extDigest()).toEqual(extBefore);
  expect(await state()).toEqual(appBefore);
  const row = await waitTaskApi(app, crash.taskId);
  expect(row).toMatchObject({ kind: 'restore', status: 'failed', errorCode: 'RESTORE_INTERRUPTED_ROLLED_BACK' });
  expect(debris()).toEqual({ tmp: [], journal: [], aside: [], pids: [] });
});

itAllSteps('a power cut in the middle of an upload leaves no partial file once the app is up again', async () => {
  const dir = path.join(archives(), '.uploads');
  const group = app.processGroup();
  // Half of a body the server expects to be 64 MB long, then silence: the server is writing its partial file.
  const req = http.request(`${app.url}/api/${TASKS}:upload`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${app.token}`, 'Content-Type': 'application/octet-stream', 'Content-Length': String(64 << 20) },
  });
  req.on('error', () => undefined);
  req.write(Buffer.alloc(32 << 20, 1));
  for (let i = 0; i < 100 && !fs.readdirSync(dir).some((f) => f.endsWith('.partial')); i++) await sleep(100);
  expect(fs.readdirSync(dir).filter((f) => f.endsWith('.partial'))).toHaveLength(1);
  for (const pid of pidsOfGroup(group) as number[]) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  req.destroy();
  await startAgain(group);
  expect(fs.readdirSync(dir)).toEqual([]);
  expect(debris()).toEqual({ tmp: [], journal: [], aside: [], pids: [] });
});
