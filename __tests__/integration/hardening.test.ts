import { spawn, spawnSync, type ChildProcess } from 'child_process';
import crypto from 'crypto';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { monitorEventLoopDelay, performance } from 'perf_hooks';
import { SETTINGS, SETTINGS_ROW_ID, STORAGE_DIR, TASKS } from '../../src/constants';
import { readHeader, readManifest } from '../../src/server/archive';
import { restoreCleanedUp, signIn, startRealApp, waitTaskApi, type RealApp } from '../helpers/real-app';
import { dataDigest, listFiles, quoteIdent, rowCounts, targetOfEnv, withConn, type Conn } from '../helpers/inspect';
import { port } from '../helpers/run-scope';

// Hardening: encrypted backups through the API, no password in logs or the database, the app's keys travel with a
// backup (a secret restored on another server still decrypts), no debris after refused or failed work, memory and
// event-loop behaviour of a 50,000-file backup, busy refusals both ways, task outcomes that survive a restart.
//
// The 'hard' server is started by startRealApp (install), then re-started here with the same command and environment
// but with its output captured to a file, logs at debug level (console and files), and a preload that samples the
// event-loop delay inside the server process (see PROBE): the password search covers everything the process wrote.

jest.setTimeout(1800000);

const PORT = port(13160);
const PORT2 = port(13161);
const RUN = crypto.randomBytes(6).toString('hex');
// Non-ASCII on purpose (header values are Latin-1 at best): it travels URI-encoded. PW_TAG, used nowhere else, is an
// ASCII needle that would also be found if the password landed anywhere in another encoding.
const PW_TAG = crypto.randomBytes(6).toString('hex');
const PASSWORD = `Härte-Ωmega-密码-${PW_TAG}`;
const WRONG = `Härte-Ωmega-密码-wrong`;
const PW_HEADER = 'X-Backups-Manager-Password';
const withPassword = (pw: string) => ({ [PW_HEADER]: encodeURIComponent(pw) });
const SECRET_NAME = 'BM_HARD_SECRET';
const SECRET_VALUE = `sëcret-value-${crypto.randomBytes(8).toString('hex')}`;
// Upload names that must not show in an encrypted archive (the plain one carries them in its ZIP directory).
const UPLOAD_NAMES = [`confidential-Øresund-${RUN}.pdf`, `payroll/salaries-${RUN}.csv`];
// 5,000 files (BM_HARDENING_FILES raises it). 50,000 and 500,000, with their memory and latency targets, are the
// benchmark's many-files scenario (2.4 min of CI's time at 50,000); here the bounds carry a margin that holds on a
// shared 2-core machine.
const SCALE = Number(process.env.BM_HARDENING_FILES) || 5000;

/**
 * Preloaded into the server process (NODE_OPTIONS=--require), measurement only:
 * - every 100 ms, appends the largest event-loop delay of the interval (perf_hooks.monitorEventLoopDelay, 10 ms
 *   resolution, so a reading includes up to 10 ms of the timer itself) to <dir>/<pid>.log. NocoBase 2.2.15 has no
 *   metric of its own for this;
 * - when <dir>/<pid>.log.gc appears, runs two full garbage collections and writes process.memoryUsage() to
 *   <dir>/<pid>.log.gcresult: what the process still holds, as opposed to garbage V8 has not collected yet.
 * The yarn and CLI wrapper processes load it too and write their own files; the server's is picked by the pid that
 * listens on the port.
 */
const PROBE = `
const fs = require('fs');
const path = require('path');
const { monitorEventLoopDelay } = require('perf_hooks');
const dir = process.env.BM_ELD_DIR;
if (dir) {
  require('v8').setFlagsFromString('--expose-gc');
  const gc = require('vm').runInNewContext('gc');
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  const file = path.join(dir, process.pid + '.log');
  setInterval(() => {
    fs.appendFileSync(file, Date.now() + ' ' + (h.max / 1e6).toFixed(1) + '\\n');
    h.reset();
    if (fs.existsSync(file + '.gc')) {
      fs.rmSync(file + '.gc');
      gc();
      gc();
      fs.writeFileSync(file + '.gcresult', JSON.stringify(process.memoryUsage()));
    }
  }, 25).unref();
}
`;

const T0 = Date.now();
// eslint-disable-next-line no-console
const step = (what: string) => console.log(`[hardening] ${((Date.now() - T0) / 1000).toFixed(1)} s: ${what}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : 0;
};

describe('hardening', () => {
  let app: RealApp;
  let work: string;
  let outputFile: string;
  let probeFile: string;
  let probeDir: string;
  let server: ChildProcess | null = null;
  let plain: any; // backup task, no password
  let encrypted: any; // backup task, with PASSWORD
  let encryptedRestore: any; // the successful restore of `encrypted`
  let rolledBack: any; // the restore that failed and was rolled back

  const archives = () => path.join(app.storage, STORAGE_DIR, 'main');
  const archiveFile = (task: { fileName: string }) => path.join(archives(), task.fileName);
  const keyFile = (a: RealApp) => path.join(a.storage, 'apps', 'main', 'aes_key.dat');
  const db = <T>(a: RealApp, fn: (c: Conn) => Promise<T>, readonly = true) => withConn(targetOfEnv(a.env), fn, { readonly });
  const q = (c: Conn, name: string) => quoteIdent(c.dialect, name);
  const notLogs = (rel: string) => rel === 'logs' || rel.startsWith('logs/');
  const isDbFile = (rel: string) => /^db\/app\.sqlite(-journal|-wal|-shm)?$/.test(rel);
  const storageFiles = () => listFiles(app.storage, notLogs);

  /** Signed-in API call; signs in again once if a restore replaced the token table meanwhile. */
  async function api(a: RealApp, p: string, init?: Parameters<RealApp['api']>[1]) {
    let r = await a.api(p, init);
    if (r.status === 401) {
      a.token = await signIn(a.url);
      r = await a.api(p, init);
    }
    return r;
  }

  const errorOf = (r: { status: number; body: any }) => ({ status: r.status, code: r.body?.errors?.[0]?.code });

  async function waitHealthy(url: string, child: ChildProcess): Promise<void> {
    const deadline = Date.now() + 180000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) {
        const tail = fs.readFileSync(outputFile, 'utf8').slice(-3000);
        throw new Error(`NocoBase exited with code ${child.exitCode}; its output ends with:\n${tail}`);
      }
      try {
        if ((await fetch(`${url}/api/__health_check`)).ok) return;
      } catch {
        /* not up yet */
      }
      await sleep(300);
    }
    throw new Error('NocoBase did not become healthy within 180 s');
  }

  /** Every process of this app (its storage folder is unique to it): yarn, the CLI and the server. */
  function appPids(): number[] {
    const pids: number[] = [];
    for (const d of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      try {
        if (fs.readFileSync(`/proc/${d}/environ`, 'utf8').split('\0').includes(`STORAGE_PATH=${app.storage}`)) pids.push(Number(d));
      } catch {
        /* gone, or not ours to read */
      }
    }
    return pids;
  }

  /** Until every process of the app has exited (a stopping server may hold the port or its socket a little longer). */
  async function waitAppGone(): Promise<void> {
    for (let i = 0; i < 120 && appPids().length; i++) await sleep(250);
    const left = appPids();
    if (left.length) throw new Error(`processes of the app still running: ${left.join(', ')}`);
  }

  /** The same command as the harness (yarn start --launch-mode direct), output captured. */
  async function startServer(): Promise<void> {
    await waitAppGone();
    const fd = fs.openSync(outputFile, 'a');
    const child = spawn('yarn', ['--silent', 'start', '--launch-mode', 'direct'], {
      cwd: app.appDir,
      detached: true,
      stdio: ['ignore', fd, fd],
      env: {
        ...process.env,
        ...app.env,
        APP_PORT: String(PORT),
        LOGGER_LEVEL: 'debug',
        LOGGER_TRANSPORT: 'console,file',
        BM_ELD_DIR: probeDir,
        NODE_OPTIONS: `${process.env.NODE_OPTIONS || ''} --require ${probeFile}`.trim(),
      },
    });
    fs.closeSync(fd);
    server = child;
    await waitHealthy(app.url, child);
    const pid = serverPid(PORT);
    if (!appPids().includes(pid)) throw new Error(`port ${PORT} is answered by process ${pid}, not by this app`);
  }

  async function stopServer(): Promise<void> {
    const child = server;
    if (!child) return;
    server = null;
    const exited = new Promise<void>((r) => (child.exitCode !== null ? r() : child.once('exit', () => r())));
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      /* gone */
    }
    await Promise.race([exited, sleep(30000)]);
    await waitAppGone();
  }

  /** The NocoBase server process: the one listening on the port. */
  function serverPid(port: number): number {
    const out = spawnSync('ss', ['-Hltnp', `sport = :${port}`], { encoding: 'utf8' }).stdout;
    const m = /pid=(\d+)/.exec(out);
    if (!m) throw new Error(`no process listens on ${port}: ${out}`);
    return Number(m[1]);
  }

  const rssOf = async (pid: number) => {
    const status = await fs.promises.readFile(`/proc/${pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
  };

  /** Polls a task every 100 ms until it ends, recording each status/phase/progress it showed (503s of a restart skipped). */
  async function followTask(id: number | string, timeoutMs = 900000) {
    const seen: { at: number; key: string }[] = [];
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const g = await app.api(`${TASKS}:get?filterByTk=${id}`).catch(() => ({ status: 0, body: null }));
      if (g.status === 401) app.token = await signIn(app.url).catch(() => app.token);
      const row = g.status === 200 ? g.body?.data : null;
      if (row) {
        const key = `${row.status}/${row.phase}/${row.progress}`;
        if (seen[seen.length - 1]?.key !== key) seen.push({ at: Date.now(), key });
        if (!['pending', 'running'].includes(row.status)) return { row, seen };
      }
      if (Date.now() > deadline) throw new Error(`task ${id} still ${row?.status} (${row?.phase})`);
      await sleep(100);
    }
  }

  async function backup(headers: Record<string, string> = {}, body: Record<string, unknown> = {}) {
    const r = await api(app, `${TASKS}:create`, { body, headers });
    expect(r.status).toBe(200);
    return waitTaskApi(app, r.body.data.id);
  }

  /** Every table's rows, the row counts of the main ones, and every storage file with its hash (logs aside). */
  async function liveState() {
    const data = await db(app, (c) => dataDigest(c));
    const counts = await db(app, (c) => rowCounts(c, ['users', 'attachments', 'environmentVariables', TASKS]));
    return { data, counts, files: await storageFiles() };
  }

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'bm-hard-work-'));
    outputFile = path.join(work, 'server-output.log');
    probeDir = path.join(work, 'eld');
    fs.mkdirSync(probeDir);
    probeFile = path.join(work, 'eld-probe.js');
    fs.writeFileSync(probeFile, PROBE);

    app = await startRealApp({ name: 'hard', port: PORT });
    step('hard installed and started');
    await app.stop();
    await startServer();
    step('hard restarted with its output captured');
    app.token = await signIn(app.url);

    // A secret environment variable: NocoBase stores it encrypted with storage/apps/main/aes_key.dat. The system
    // title renders it ({{$env...}}), which is how the API shows it decrypted.
    const env = await api(app, 'environmentVariables:create', { body: { name: SECRET_NAME, type: 'secret', value: SECRET_VALUE } });
    expect(env.status).toBe(200);
    expect((await api(app, 'systemSettings:put', { body: { raw_title: `{{$env.${SECRET_NAME}}}` } })).status).toBe(200);
    expect((await api(app, 'systemSettings:get')).body.data.title).toBe(SECRET_VALUE);
    const stored = await db(app, (c) => c.query(`SELECT ${q(c, 'value')} AS v FROM ${q(c, 'environmentVariables')} WHERE ${q(c, 'name')} = '${SECRET_NAME}'`));
    expect(stored[0].v).toMatch(/^[0-9a-f]{64,}$/); // iv + ciphertext, hex
    expect(stored[0].v).not.toContain(SECRET_VALUE);

    for (const name of UPLOAD_NAMES) {
      fs.mkdirSync(path.dirname(path.join(app.storage, 'uploads', name)), { recursive: true });
      fs.writeFileSync(path.join(app.storage, 'uploads', name), crypto.randomBytes(40 * 1024));
    }
  }, 900000);

  afterAll(async () => {
    // Each step even if one before it failed: no server or folder left behind.
    try {
      await stopServer();
    } finally {
      try {
        await app?.stop();
      } finally {
        if (app) fs.rmSync(app.storage, { recursive: true, force: true, maxRetries: 5 });
        if (work) fs.rmSync(work, { recursive: true, force: true });
      }
    }
  });

  it('encrypted backup through the API: opaque archive, password required and checked before anything, then restored', async () => {
    plain = await backup();
    expect(plain).toMatchObject({ status: 'succeeded', encrypted: false });
    step('plain backup done');
    encrypted = await backup(withPassword(PASSWORD));
    step('encrypted backup done');
    expect(encrypted).toMatchObject({ status: 'succeeded', encrypted: true, error: null });
    expect(encrypted.summary.encrypted).toBe(true);

    // The keys travel in both archives; the plain one shows the names and the key bytes, the encrypted one none.
    const key = fs.readFileSync(keyFile(app));
    expect(key.length).toBe(32);
    const plainManifest = await readManifest(archiveFile(plain));
    expect(plainManifest.entries.map((e) => e.path)).toEqual(expect.arrayContaining(['keys/apps/aes_key.dat']));
    expect(plainManifest.parts).toContain('keys');
    const plainBytes = fs.readFileSync(archiveFile(plain));
    const encBytes = fs.readFileSync(archiveFile(encrypted));
    const uploads = UPLOAD_NAMES.map((n) => fs.readFileSync(path.join(app.storage, 'uploads', n)));
    const needles = [
      ...UPLOAD_NAMES.flatMap((n) => [`storage/uploads/${n}`, path.basename(n)]).map((s) => Buffer.from(s, 'utf8')),
      Buffer.from(RUN, 'utf8'),
      key,
      ...uploads.map((u) => u.subarray(0, 64)),
    ];
    for (const n of needles) expect(plainBytes.includes(n)).toBe(true); // the search does find them when present
    for (const n of needles) expect(encBytes.includes(n)).toBe(false);
    const header = await readHeader(archiveFile(encrypted));
    expect(header.encrypted).toBe(true);
    await expect(readManifest(archiveFile(encrypted))).rejects.toMatchObject({ code: 'PASSWORD_REQUIRED' });
    const encManifest = await readManifest(archiveFile(encrypted), { password: PASSWORD });
    expect(encManifest.entries.map((e) => e.path)).toEqual(
      expect.arrayContaining(['keys/apps/aes_key.dat', ...UPLOAD_NAMES.map((n) => `storage/uploads/${n}`)]),
    );

    // Changes after the backup, to be undone by the restore.
    const users = async () => (await api(app, 'users:list')).body.meta.count;
    const usersBefore = await users();
    expect((await api(app, 'users:create', { body: { email: `late-${RUN}@example.com`, password: 'x1234567' } })).status).toBe(200);
    fs.writeFileSync(path.join(app.storage, 'uploads', 'added-later.txt'), 'later');
    fs.rmSync(path.join(app.storage, 'uploads', UPLOAD_NAMES[0]));

    // No password, an empty one, a wrong one: refused before any task or file exists; nothing live touched.
    const before = await liveState();
    const restore = (headers: Record<string, string>) => api(app, `${TASKS}:restore`, { body: { taskId: encrypted.id }, headers });
    expect(errorOf(await restore({}))).toEqual({ status: 400, code: 'PASSWORD_REQUIRED' });
    expect(errorOf(await restore({ [PW_HEADER]: '' }))).toEqual({ status: 400, code: 'PASSWORD_REQUIRED' });
    expect(errorOf(await restore(withPassword(WRONG)))).toEqual({ status: 422, code: 'PASSWORD_WRONG' });
    // A raw (not URI-encoded) value is read as it is: here simply another wrong password.
    expect(errorOf(await restore({ [PW_HEADER]: `x${PW_TAG}` }))).toEqual({ status: 422, code: 'PASSWORD_WRONG' });
    expect(await liveState()).toEqual(before);

    const r = await restore(withPassword(PASSWORD));
    expect(r.status).toBe(200);
    encryptedRestore = await waitTaskApi(app, r.body.data.id);
    step('encrypted restore done');
    expect(encryptedRestore).toMatchObject({ kind: 'restore', status: 'succeeded', encrypted: true, error: null });
    expect(await users()).toBe(usersBefore);
    expect(fs.readFileSync(path.join(app.storage, 'uploads', UPLOAD_NAMES[0]))).toEqual(uploads[0]);
    expect(fs.existsSync(path.join(app.storage, 'uploads', 'added-later.txt'))).toBe(false);
    expect((await api(app, 'systemSettings:get')).body.data.title).toBe(SECRET_VALUE);
    expect(fs.readFileSync(keyFile(app))).toEqual(key);
  });

  it('never writes the password to logs, process output or the database; settings answer only hasPassword', async () => {
    const upd = await api(app, `${SETTINGS}:update?filterByTk=${SETTINGS_ROW_ID}`, { body: { keepLast: 5 }, headers: withPassword(PASSWORD) });
    expect(upd.status).toBe(200);
    expect(upd.body.data.hasPassword).toBe(true);
    const got = await api(app, `${SETTINGS}:get`);
    expect(got.status).toBe(200);
    expect(got.body.data.hasPassword).toBe(true);
    expect(got.body.data).not.toHaveProperty('password');
    expect(got.body.data).not.toHaveProperty('passwordSealed');
    const gotText = JSON.stringify(got.body);
    expect(gotText).not.toContain(PW_TAG);

    // The row itself holds the password sealed with APP_KEY only.
    const rows = await db(app, (c) => c.query(`SELECT * FROM ${q(c, SETTINGS)}`));
    expect(rows).toHaveLength(1);
    expect(String(rows[0].passwordSealed)).toMatch(/^v1:/);
    const tasks = await db(app, (c) => c.query(`SELECT * FROM ${q(c, TASKS)}`));
    expect(tasks.length).toBeGreaterThan(2);

    const forms = [PASSWORD, encodeURIComponent(PASSWORD), JSON.stringify(PASSWORD).slice(1, -1), PW_TAG].map((s) => Buffer.from(s, 'utf8'));
    // JSON with \\u escapes, and the Latin-1 reading of the UTF-8 bytes (a raw header value), for completeness.
    forms.push(Buffer.from(JSON.stringify(PASSWORD).replace(/[\u0080-\uffff]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`).slice(1, -1)));
    forms.push(Buffer.from(Buffer.from(PASSWORD, 'utf8').toString('latin1'), 'utf8'));
    const hits = (buf: Buffer) => forms.filter((f) => buf.includes(f)).map((f) => f.toString());
    expect(hits(Buffer.from(JSON.stringify(rows)))).toEqual([]);
    expect(hits(Buffer.from(JSON.stringify(tasks)))).toEqual([]);

    // Every file of the storage (logs, database file on SQLite, archives, journals) and the process output.
    const logs = path.join(app.storage, 'logs');
    const logFiles = Object.entries(await listFiles(logs)).filter(([, v]) => v !== 'dir');
    expect(logFiles.length).toBeGreaterThan(0);
    const logText = logFiles.map(([rel]) => fs.readFileSync(path.join(logs, rel), 'utf8')).join('\n');
    // The logs are on: they hold the requests that carried the password (create, restore, settings update).
    expect(logText).toContain(`${TASKS}:create`);
    expect(logText).toContain(`${TASKS}:restore`);
    expect(logText).toContain(`${SETTINGS}:update`);
    const found: Record<string, string[]> = {};
    for (const [rel, kind] of Object.entries(await listFiles(app.storage))) {
      if (kind === 'dir' || kind.startsWith('symlink:')) continue;
      const h = hits(fs.readFileSync(path.join(app.storage, rel)));
      if (h.length) found[rel] = h;
    }
    const output = fs.readFileSync(outputFile);
    expect(output.length).toBeGreaterThan(0);
    const h = hits(output);
    if (h.length) found['<process output>'] = h;
    expect(found).toEqual({});
  });

  it('carries the app keys: a secret restored on a new server with other keys still decrypts', async () => {
    // Another application: its own APP_KEY (the test process's environment gives every server the same one).
    const app2 = await startRealApp({ name: 'hard2', port: PORT2, env: { APP_KEY: `hard2-${RUN}` } });
    step('hard2 installed and started');
    try {
      expect(fs.readFileSync(keyFile(app2))).not.toEqual(fs.readFileSync(keyFile(app)));
      expect((await api(app2, 'systemSettings:get')).body.data.title).not.toBe(SECRET_VALUE);

      const upload = async (file: string) =>
        api(app2, `${TASKS}:upload`, { method: 'POST', body: fs.readFileSync(file), headers: { 'Content-Type': 'application/octet-stream' } });
      // An encrypted upload is judged by its plain header and kept; the restore asks for the password.
      const up = await upload(archiveFile(encrypted));
      expect(up.status).toBe(200);
      // Signed with the first server's APP_KEY: made elsewhere for this one.
      expect(up.body.data.summary).toMatchObject({ encrypted: true, appName: 'main', dialect: app.dialect, provenance: 'elsewhere' });
      // A refused restore removes its upload (issue 15, item 10): each attempt uploads again.
      const restore2 = async (headers: Record<string, string>, trustForeign?: boolean) => {
        const again = await upload(archiveFile(encrypted));
        expect(again.status).toBe(200);
        return api(app2, `${TASKS}:restore`, { body: { uploadId: again.body.data.uploadId, trustForeign }, headers });
      };
      expect(errorOf(await restore2({}))).toEqual({ status: 400, code: 'PASSWORD_REQUIRED' });
      expect(errorOf(await restore2(withPassword(WRONG)))).toEqual({ status: 422, code: 'PASSWORD_WRONG' });
      expect(errorOf(await restore2(withPassword(PASSWORD)))).toEqual({ status: 422, code: 'FOREIGN_ARCHIVE_NEEDS_ACK' });
      const r = await restore2(withPassword(PASSWORD), true);
      expect(r.status).toBe(200);
      const done = await waitTaskApi(app2, r.body.data.id);
      step('restore on hard2 done');
      expect(done).toMatchObject({ status: 'succeeded', origin: 'upload', encrypted: true, error: null });

      // The old server's key is now the new server's, and NocoBase decrypts the restored secret with it.
      expect(fs.readFileSync(keyFile(app2))).toEqual(fs.readFileSync(keyFile(app)));
      expect((await api(app2, 'systemSettings:get')).body.data.title).toBe(SECRET_VALUE);
      const value = (a: RealApp) =>
        db(a, async (c) => (await c.query(`SELECT ${q(c, 'value')} AS v FROM ${q(c, 'environmentVariables')} WHERE ${q(c, 'name')} = '${SECRET_NAME}'`))[0]?.v);
      expect(await value(app2)).toBe(await value(app));
    } finally {
      await app2.stop();
      fs.rmSync(app2.storage, { recursive: true, force: true });
    }
  });

  it('leaves no debris after a rejected upload, a wrong password, a refused or a failed backup', async () => {
    const before = await liveState();

    // Random bytes uploaded: refused, and the partial upload is gone.
    const junk = await api(app, `${TASKS}:upload`, {
      method: 'POST',
      body: crypto.randomBytes(256 * 1024),
      headers: { 'Content-Type': 'application/octet-stream' },
    });
    expect(errorOf(junk)).toEqual({ status: 422, code: 'NOT_AN_ARCHIVE' });
    // Wrong password for a listed backup.
    expect(errorOf(await api(app, `${TASKS}:restore`, { body: { taskId: encrypted.id }, headers: withPassword(WRONG) }))).toEqual({
      status: 422,
      code: 'PASSWORD_WRONG',
    });
    // Backups refused up front: data exclusion that is not a list, or names an unknown collection.
    for (const excludeCollections of ['users', ['no_such_collection'], [42]]) {
      expect(errorOf(await api(app, `${TASKS}:create`, { body: { excludeCollections }, headers: withPassword(PASSWORD) }))).toEqual({
        status: 400,
        code: 'COLLECTION_UNKNOWN',
      });
    }
    expect(await liveState()).toEqual(before);

    // A backup that fails halfway (after the database dump went into the archive): uploads is a file, not a folder.
    const uploads = path.join(app.storage, 'uploads');
    const aside = path.join(work, 'uploads-aside');
    fs.renameSync(uploads, aside);
    try {
      fs.writeFileSync(uploads, 'not a folder');
      const failedBefore = await liveState();
      const failed = await backup(withPassword(PASSWORD));
      expect(failed).toMatchObject({ status: 'failed', errorCode: 'SOURCE_FAILED' });
      expect(failed.error).toContain('storage/uploads');
      const after = await liveState();
      // Only the task row was added (and so the SQLite file changed); no archive, no partial file, no staging.
      expect(after.counts).toEqual({ ...failedBefore.counts, [TASKS]: failedBefore.counts[TASKS] + 1 });
      const files = (s: typeof after) => Object.fromEntries(Object.entries(s.files).filter(([rel]) => !isDbFile(rel)));
      expect(files(after)).toEqual(files(failedBefore));
      expect(fs.existsSync(path.join(archives(), failed.fileName))).toBe(false);
      expect(fs.readdirSync(path.join(archives(), '.tmp'))).toEqual([]);
      expect((await api(app, `${TASKS}:destroy?filterByTk=${failed.id}`, { method: 'POST' })).status).toBe(200);
    } finally {
      fs.rmSync(uploads, { force: true });
      fs.renameSync(aside, uploads);
    }
  });

  it('keeps the outcome of a successful and of a rolled-back restore across a restart', async () => {
    // A password sent with a plain archive is ignored (no password error): the restore starts. It is then made to
    // fail after the database was replaced: the folder the live uploads are set aside to is taken (ENOTEMPTY).
    const r = await api(app, `${TASKS}:restore`, { body: { taskId: plain.id }, headers: withPassword(WRONG) });
    expect(r.status).toBe(200);
    const blocker = path.join(app.storage, `uploads.bm-old-${r.body.data.id}`);
    fs.mkdirSync(blocker);
    fs.writeFileSync(path.join(blocker, 'x'), 'x');
    try {
      rolledBack = await waitTaskApi(app, r.body.data.id, 600000);
    } finally {
      fs.rmSync(blocker, { recursive: true, force: true });
    }
    step('rolled-back restore done');
    expect(rolledBack).toMatchObject({ kind: 'restore', status: 'failed', errorCode: 'RESTORE_FAILED_ROLLED_BACK' });
    expect(rolledBack.error).toMatch(/ENOTEMPTY|not empty/i);
    expect((await api(app, 'systemSettings:get')).body.data.title).toBe(SECRET_VALUE);

    await stopServer();
    await startServer();
    step('restarted');
    app.token = await signIn(app.url);
    for (const t of [encryptedRestore, rolledBack]) {
      const row = (await api(app, `${TASKS}:get?filterByTk=${t.id}`)).body.data;
      expect(row).toMatchObject({ id: t.id, kind: 'restore', status: t.status, errorCode: t.errorCode, error: t.error, phase: t.phase });
    }
  });

  it(`backs up ${SCALE} attachments and files with flat memory and no event-loop stall; busy both ways; restore answers at once`, async () => {
    // Rows in NocoBase's attachments table (one statement) and one small file each in storage/uploads.
    await db(app, async (c) => {
      const [storage] = await c.query(`SELECT id FROM ${q(c, 'storages')} WHERE ${q(c, 'default')} = ${c.dialect === 'sqlite' ? 1 : 'true'}`);
      const cols = ['createdAt', 'updatedAt', 'title', 'filename', 'extname', 'size', 'mimetype', 'path', 'meta', 'url', 'storageId'].map((n) => q(c, n)).join(', ');
      if (c.dialect === 'postgres') {
        await c.query(`INSERT INTO attachments (${cols}) SELECT now(), now(), 'scale-' || g, 'scale-' || g || '.txt', '.txt', 24, 'text/plain', '', '{}',
          '/storage/uploads/scale/scale-' || g || '.txt', ${storage.id} FROM generate_series(1, ${SCALE}) AS g`);
      } else if (c.dialect === 'sqlite') {
        await c.query(`WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < ${SCALE})
          INSERT INTO attachments (${cols}) SELECT strftime('%Y-%m-%d %H:%M:%f', 'now') || ' +00:00', strftime('%Y-%m-%d %H:%M:%f', 'now') || ' +00:00',
          'scale-' || n, 'scale-' || n || '.txt', '.txt', 24, 'text/plain', '', '{}', '/storage/uploads/scale/scale-' || n || '.txt', ${storage.id} FROM g`);
      } else {
        await c.query(`INSERT INTO attachments (${cols}) SELECT NOW(), NOW(), CONCAT('scale-', seq), CONCAT('scale-', seq, '.txt'), '.txt', 24, 'text/plain', '', '{}',
          CONCAT('/storage/uploads/scale/scale-', seq, '.txt'), ${storage.id} FROM seq_1_to_${SCALE}`);
      }
    }, false);
    const scaleDir = path.join(app.storage, 'uploads', 'scale');
    fs.mkdirSync(scaleDir, { recursive: true });
    for (let i = 1; i <= SCALE; i += 500) {
      await Promise.all(
        Array.from({ length: Math.min(500, SCALE - i + 1) }, (_, k) => fs.promises.writeFile(path.join(scaleDir, `scale-${i + k}.txt`), `file ${i + k} ${RUN}\n`)),
      );
    }
    step(`${SCALE} rows and files created`);
    const attachments = async () => (await db(app, (c) => rowCounts(c, ['attachments']))).attachments;
    const attachmentsBefore = await attachments();
    expect(attachmentsBefore).toBeGreaterThanOrEqual(SCALE);

    const pid = serverPid(PORT);
    const eldFile = path.join(probeDir, `${pid}.log`);
    expect(fs.existsSync(eldFile)).toBe(true);
    const eldBetween = (from: number, to: number) =>
      fs
        .readFileSync(eldFile, 'utf8')
        .trim()
        .split('\n')
        .map((l) => l.split(' ').map(Number))
        .filter(([t]) => t > from && t <= to + 25)
        .map(([, ms]) => ms);
    /** Memory the server holds after two full collections (see PROBE); outside the measured window. */
    const heldAfterGc = async () => {
      fs.writeFileSync(`${eldFile}.gc`, '');
      for (let i = 0; i < 200 && !fs.existsSync(`${eldFile}.gcresult`); i++) await sleep(100);
      const m = JSON.parse(fs.readFileSync(`${eldFile}.gcresult`, 'utf8'));
      fs.rmSync(`${eldFile}.gcresult`);
      return m.heapUsed + m.external;
    };

    // Samplers, from outside: the server's RSS every 25 ms from /proc/<pid>/status; the health check (answered by
    // NocoBase's gateway on the server's event loop, no database, no auth) every 25 ms, one at a time, timed here.
    // Inside: the event-loop delay written by PROBE every 25 ms. (At 100 ms a 5,000-file backup that had become as
    // quick as 0.5 s left too few samples to judge.)
    const heldBefore = await heldAfterGc();
    const clientLoop = monitorEventLoopDelay({ resolution: 10 });
    let sampling = true;
    const rss: { at: number; bytes: number }[] = [];
    const health: { at: number; ms: number }[] = [];
    const rssLoop = (async () => {
      while (sampling) {
        rss.push({ at: Date.now(), bytes: await rssOf(pid) });
        await sleep(25);
      }
    })();
    const healthLoop = (async () => {
      while (sampling) {
        const t0 = performance.now();
        const res = await fetch(`${app.url}/api/__health_check`);
        await res.text();
        health.push({ at: Date.now(), ms: performance.now() - t0 });
        await sleep(25);
      }
    })();
    let started = 0;
    let finished = 0;
    let big: any;
    let idleRss = 0;
    let idleHealth = 0;
    try {
      await sleep(3000); // idle baseline, same samplers
      idleRss = median(rss.map((x) => x.bytes));
      idleHealth = median(health.map((x) => x.ms));
      clientLoop.enable();
      started = Date.now();
      const created = await api(app, `${TASKS}:create`, { body: {} });
      expect(created.status).toBe(200);
      // A restore while the backup runs: refused, nothing started.
      expect(errorOf(await api(app, `${TASKS}:restore`, { body: { taskId: plain?.id ?? created.body.data.id } }))).toEqual({
        status: 409,
        code: 'BUSY',
      });
      big = (await followTask(created.body.data.id)).row;
      finished = Date.now();
      step('scale backup done');
    } finally {
      clientLoop.disable();
      sampling = false;
      await Promise.all([rssLoop, healthLoop]);
    }
    const heldAfter = await heldAfterGc();
    expect(big.status).toBe('succeeded');

    const during = health.filter((x) => x.at > started && x.at <= finished);
    const duringRss = rss.filter((x) => x.at > started && x.at <= finished).map((x) => x.bytes);
    const eld = eldBetween(started, finished);
    const MB = 1024 * 1024;
    const report = {
      files: SCALE,
      backupSeconds: (finished - started) / 1000,
      archiveMB: Math.round(big.size / MB),
      idleRssMB: Math.round(idleRss / MB),
      peakRssGrowthMB: Math.round((Math.max(...duringRss) - idleRss) / MB),
      heldAfterGcGrowthMB: Math.round((heldAfter - heldBefore) / MB),
      idleHealthMs: Math.round(idleHealth),
      worstHealthMs: Math.round(Math.max(...during.map((x) => x.ms))),
      slowestHealthMs: during.map((x) => Math.round(x.ms)).sort((a, b) => b - a).slice(0, 5),
      testProcessWorstLoopDelayMs: Math.round(clientLoop.max / 1e6) - 10,
      worstEventLoopDelayMs: Math.max(...eld) - 10,
      samples: { health: during.length, rss: duringRss.length, eventLoop: eld.length },
    };
    // eslint-disable-next-line no-console
    console.log(`[hardening] ${JSON.stringify(report)}`);
    expect(Math.min(during.length, duringRss.length, eld.length)).toBeGreaterThan(5);
    // Memory: what the backup leaves held, after full collections, stays under 64 MB. The peak RSS is reported above
    // but not bounded here: inside NocoBase 2.2.15 short-lived objects of any stream-heavy work are promoted to V8's
    // old space (about 10 KB per stream round trip, against 0.25 KB in a bare Node process), so the peak grows with the
    // number of files as uncollected garbage (hundreds of MB for 50,000 files) whatever the plugin holds.
    expect(heldAfter - heldBefore).toBeLessThan(64 * MB);
    // 5,000 files stay within 64 MB of peak RSS growth as well.
    if (SCALE <= 5000) expect(report.peakRssGrowthMB).toBeLessThan(64);
    // No stall: a backup that blocked the event loop for the length of its file walk (seconds at this scale) fails
    // here. The bound is wide on purpose: on a shared 2-core CI machine a health check or timer can wait a few hundred
    // ms for the CPU whatever the server does (seen: 214 ms against a 200 ms bound). Latency targets (p99 < 2 x idle)
    // are measured by the benchmark on a quiet machine.
    expect(report.worstHealthMs).toBeLessThan(idleHealth + 1500);
    expect(report.worstEventLoopDelayMs).toBeLessThan(1000);
    const manifest = await readManifest(archiveFile(big));
    expect(manifest.entries.filter((e) => e.path.startsWith('storage/uploads/scale/'))).toHaveLength(SCALE);

    // Damage after the backup, undone by the restore.
    await db(app, (c) => c.query(`DELETE FROM attachments WHERE title LIKE 'scale-%'`), false);
    fs.rmSync(scaleDir, { recursive: true });
    expect(await attachments()).toBe(attachmentsBefore - SCALE);

    const archivesBefore = fs.readdirSync(archives()).sort();
    const t0 = Date.now();
    // Without a safety backup (the other restores here make one): the same validation, progress and busy slot.
    const r = await api(app, `${TASKS}:restore`, { body: { taskId: big.id, safetyBackup: false } });
    const answeredMs = Date.now() - t0;
    expect(r.status).toBe(200);
    expect(r.body.data.status).toBe('pending');
    // A backup while the restore runs: refused.
    const refused = await api(app, `${TASKS}:create`, { body: {}, headers: withPassword(PASSWORD) });
    expect(errorOf(refused)).toEqual({ status: 409, code: 'BUSY' });

    // Progress as the API reports it (503 while NocoBase is in maintenance).
    const followed = await followTask(r.body.data.id);
    const totalMs = Date.now() - t0;
    const last = followed.row;
    const seen = followed.seen.map((x) => x.key);
    step('scale restore done');
    // eslint-disable-next-line no-console
    console.log(`[hardening] restore answered in ${answeredMs} ms; progress seen: ${seen.join(' → ')}`);
    // "Replies at once" means before the work: the answer is the pending task (asserted above), long before the
    // restore ends. Speed itself is the benchmark's job (docs/benchmarks.md), not a timed test; this bound only
    // catches a request that does the restore's work inline.
    expect(answeredMs).toBeLessThan(Math.max(10000, totalMs / 2));
    expect(last).toMatchObject({ status: 'succeeded', phase: 'done', progress: 100, error: null });
    // The API shows it moving: a running state before the end (it validates, then NocoBase answers 503 until the data
    // is replaced), progress never going back. How many states a 100 ms poll catches depends on speed: since small
    // files are extracted in one pass and equal versions skip the upgrade, a MariaDB restore here can go from
    // validating/0 straight to done.
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(seen[seen.length - 1]).toBe('succeeded/done/100');
    expect(seen.filter((s) => s.startsWith('running/validating/')).length).toBeGreaterThanOrEqual(1);
    const progress = seen.map((s) => Number(s.split('/')[2]));
    expect(progress).toEqual([...progress].sort((a, b) => a - b));

    expect(await attachments()).toBe(attachmentsBefore);
    expect(fs.readdirSync(scaleDir)).toHaveLength(SCALE);
    expect(fs.readFileSync(path.join(scaleDir, `scale-${SCALE}.txt`), 'utf8')).toBe(`file ${SCALE} ${RUN}\n`);
    // The refused backup left nothing: no task, no archive, no staging.
    const list = (await api(app, `${TASKS}:list?pageSize=200`)).body.data;
    expect(list.filter((t: any) => t.kind === 'backup' && Number(t.id) > Number(big.id))).toEqual([]);
    expect(fs.readdirSync(archives()).sort()).toEqual(archivesBefore);
    // The restore's staging goes after its row says succeeded (restore/runner.ts, cleanUp).
    await restoreCleanedUp(app, r.body.data.id);
    expect(fs.readdirSync(path.join(archives(), '.tmp'))).toEqual([]);
  });
});
