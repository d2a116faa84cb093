import crypto from 'crypto';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { STORAGE_DIR, TASKS } from '../../src/constants';
import { extractVerified, readManifest, type Manifest } from '../../src/server/archive';
import { buildZip, type RawEntry } from '../../src/server/archive/__tests__/helpers';
import { signIn, startRealApp, waitTaskApi, type RealApp } from '../helpers/real-app';
import { dataDigest, insertStatements, listFiles, targetOfEnv, withConn, type Conn } from '../helpers/inspect';
import type { DbConfig } from '../../src/server/dumpers/types';
import { backupPaths } from '../../src/server/paths';
import { preflightReport } from '../../src/server/preflight/checks';
import { gatherTargetFacts } from '../../src/server/preflight/facts';
import { itOnce, port } from '../helpers/run-scope';

jest.setTimeout(900000);

// Issue 16: the restore pre-flight on a real NocoBase. Every refused case must leave the data and files as they were.

const PORT = port(13400);
const PREFIX = 'pf_';
// eslint-disable-next-line @typescript-eslint/no-var-requires
const EN: Record<string, string> = require('../../src/locale/en-US.json');

describe('restore pre-flight on a real app', () => {
  let app: RealApp;
  let work: string;
  let good: Record<string, any>;
  let goodFile: string;
  let manifest: Manifest;
  let atBackup: { data: Record<string, string>; files: Record<string, string> };
  const freeSpaceFile = path.join(os.tmpdir(), `pf-free-space-${process.pid}`);

  const archives = () => path.join(app.storage, STORAGE_DIR, 'main');
  const db = <T>(fn: (c: Conn) => Promise<T>) => withConn(targetOfEnv(app.env), fn, { readonly: app.dialect === 'sqlite' });
  const upload = (body: Buffer) =>
    app.api(`${TASKS}:upload`, { method: 'POST', body, headers: { 'Content-Type': 'application/octet-stream' } });

  /** Our table's rows and every uploaded file's hash: what a restore must bring back and a refusal must not touch. */
  async function state() {
    const data = await db(async (c) => Object.fromEntries(Object.entries(await dataDigest(c)).filter(([t]) => t.startsWith(PREFIX))));
    return { data, files: await listFiles(path.join(app.storage, 'uploads')) };
  }

  /** The app's own backup packed again with its manifest's requirements edited (unsigned: restored with trustForeign). */
  async function crafted(name: string, edit: (m: Manifest) => void): Promise<Buffer> {
    const staging = fs.mkdtempSync(path.join(work, 'x-'));
    try {
      const { pathOf } = await extractVerified(goodFile, manifest, staging);
      const m: Manifest = JSON.parse(JSON.stringify(manifest));
      edit(m);
      const entries: RawEntry[] = m.entries.map((e) => ({ name: e.path, data: fs.readFileSync(pathOf(e.path)) }));
      const out = path.join(work, name);
      await buildZip(out, [...entries, { name: 'manifest.json', data: JSON.stringify(m) }]);
      return fs.readFileSync(out);
    } finally {
      fs.rmSync(staging, { recursive: true, force: true });
    }
  }

  const checkOf = (report: any, id: string) => report.checks.find((c: any) => c.id === id);

  /** Upload, read the report, ask for the restore: refused with 409 and the code, nothing touched. */
  async function refused(body: Buffer, code: string, opts: { acceptWarnings?: boolean } = {}): Promise<any> {
    const before = await state();
    const tasksBefore = (await app.api(`${TASKS}:list`)).body.meta.count;
    const up = await upload(body);
    expect(up.status).toBe(200);
    const report = up.body.data.summary.preflight;
    const r = await app.api(`${TASKS}:restore`, {
      body: { uploadId: up.body.data.uploadId, safetyBackup: false, trustForeign: true, acceptWarnings: !!opts.acceptWarnings },
    });
    expect(r.status).toBe(409);
    expect(r.body.errors[0].code).toBe(code);
    expect(r.body.errors[0].message).not.toMatch(/\{\{/);
    // The same checks (the upload's report counts a safety backup, this restore is asked without one).
    const levels = (rep: any) => rep.checks.map((c: any) => `${c.id} ${c.level} ${c.code}`);
    expect(levels(r.body.errors[0].preflight)).toEqual(levels(report));
    expect(await state()).toEqual(before);
    expect((await app.api(`${TASKS}:list`)).body.meta.count).toBe(tasksBefore);
    return { report, error: r.body.errors[0] };
  }

  beforeAll(async () => {
    app = await startRealApp({ name: 'pf_preflight', port: PORT, env: { BM_TEST_FREE_SPACE_FILE: freeSpaceFile } });
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'pf-preflight-'));
    await withConn(targetOfEnv(app.env), async (c) => {
      await c.query(`CREATE TABLE ${PREFIX}items (code VARCHAR(40) PRIMARY KEY, qty INTEGER, note VARCHAR(200))`);
      for (const s of insertStatements(`${PREFIX}items`, 1, 500)) await c.query(s);
    });
    fs.mkdirSync(path.join(app.storage, 'uploads', 'docs'), { recursive: true });
    fs.writeFileSync(path.join(app.storage, 'uploads', 'docs', 'a.bin'), crypto.randomBytes(64 * 1024));
    const created = await app.api(`${TASKS}:create`, { body: {} });
    expect(created.status).toBe(200);
    good = await waitTaskApi(app, created.body.data.id);
    expect(good.status).toBe('succeeded');
    goodFile = path.join(archives(), good.fileName);
    manifest = await readManifest(goodFile);
    atBackup = await state();
  }, 900000);

  afterAll(async () => {
    fs.rmSync(freeSpaceFile, { force: true });
    await app?.stop();
    if (app) fs.rmSync(app.storage, { recursive: true, force: true });
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('the manifest records what a restore must match, and the app reads the same facts back', async () => {
    const req = manifest.requirements!;
    expect(req.nocobaseVersion).toBe(manifest.app.version);
    expect(req.db.underscored).toBe(false);
    const names = req.plugins!.map((p) => p.name);
    expect(names).toEqual(expect.arrayContaining(['@nbkit/plugin-backups-manager', 'users', 'acl']));
    expect(req.plugins!.every((p) => p.enabled === true && typeof p.version === 'string' && p.version !== '')).toBe(true);
    if (app.dialect === 'postgres') expect(req.dumpFormat).toMatchObject({ tool: 'pg_dump', formatVersion: expect.stringMatching(/^1\.1[3-9]$/) });
    if (app.dialect === 'mariadb') {
      const lctn = await db(async (c) => Number((await c.query<{ v: number }>('SELECT @@lower_case_table_names AS v'))[0].v));
      expect(req.db.lowerCaseTableNames).toBe(lctn);
    }
    const r = await app.api(`${TASKS}:inspect?filterByTk=${good.id}`);
    expect(r.status).toBe(200);
    const report = r.body.data.summary.preflight;
    expect({ blocking: report.blocking, warnings: report.warnings, upgrade: report.upgrade }).toEqual({ blocking: 0, warnings: 0, upgrade: false });
    expect(checkOf(report, 'plugins').code).toBe('PREFLIGHT_OK_PLUGINS');
    expect(checkOf(report, 'privileges').level).toBe('ok');
    expect(checkOf(report, 'disk').level).toBe('ok');
  });

  it('a plugin enabled in the backup that is not installed here blocks, named', async () => {
    const body = await crafted('plugin.nbbm', (m) =>
      m.requirements!.plugins!.push({ name: 'pf-ghost', packageName: '@pf/plugin-ghost', version: '1.2.3', enabled: true, inArchive: false }),
    );
    const { report, error } = await refused(body, 'PREFLIGHT_BLOCKED');
    expect(checkOf(report, 'plugin:pf-ghost')).toMatchObject({ level: 'blocking', code: 'PREFLIGHT_PLUGIN_MISSING', params: { plugin: '@pf/plugin-ghost', version: '1.2.3' } });
    expect(error.message).toContain('plugin:pf-ghost');
  });

  it('a backup made with DB_UNDERSCORED=true into an app without it blocks', async () => {
    const { report } = await refused(await crafted('underscored.nbbm', (m) => (m.requirements!.db.underscored = true)), 'PREFLIGHT_BLOCKED');
    expect(checkOf(report, 'underscored')).toMatchObject({ level: 'blocking', code: 'PREFLIGHT_UNDERSCORED_MISMATCH', params: { backup: 'true', current: 'false' } });
  });

  it('another table prefix (and on PostgreSQL another schema) blocks', async () => {
    const { report } = await refused(
      await crafted('prefix.nbbm', (m) => {
        m.requirements!.db.tablePrefix = 'other_';
        if (app.dialect === 'postgres') m.requirements!.db.schema = 'other_schema';
      }),
      'PREFLIGHT_BLOCKED',
    );
    expect(checkOf(report, 'prefix')).toMatchObject({ level: 'blocking', params: { backup: 'other_', current: '-' } });
    if (app.dialect === 'postgres') expect(checkOf(report, 'schema')).toMatchObject({ level: 'blocking', params: { backup: 'other_schema', current: 'public' } });
  });

  it('too little free disk for staging and the safety backup blocks', async () => {
    fs.writeFileSync(freeSpaceFile, String(1024 * 1024));
    try {
      const { report } = await refused(fs.readFileSync(goodFile), 'PREFLIGHT_BLOCKED');
      expect(checkOf(report, 'disk')).toMatchObject({ level: 'blocking', code: 'PREFLIGHT_DISK_SPACE', params: { free: '1 MiB' } });
    } finally {
      fs.rmSync(freeSpaceFile, { force: true });
    }
  });

  if (process.env.DB_DIALECT === 'postgres') {
    it('a dump in an archive format newer than this pg_restore reads blocks before any change', async () => {
      const { report } = await refused(await crafted('format.nbbm', (m) => (m.requirements!.dumpFormat = { tool: 'pg_dump', version: '99.0', formatVersion: '1.99' })), 'PREFLIGHT_BLOCKED');
      expect(checkOf(report, 'dumpFormat')).toMatchObject({ level: 'blocking', code: 'PREFLIGHT_DUMP_FORMAT_NEWER', params: { format: '1.99' } });
    });
  }

  if (process.env.DB_DIALECT === 'mariadb') {
    it('lower_case_table_names of another server, names lower case: a warning that must be accepted', async () => {
      const here = manifest.requirements!.db.lowerCaseTableNames!;
      const body = await crafted('lctn.nbbm', (m) => {
        m.requirements!.db.lowerCaseTableNames = here === 0 ? 1 : 0;
      });
      const { report } = await refused(body, 'PREFLIGHT_WARNINGS_NOT_ACCEPTED');
      expect(checkOf(report, 'lowerCaseTableNames')).toMatchObject({ level: 'warning', code: 'PREFLIGHT_LOWER_CASE_TABLE_NAMES_DIFFER' });
    });
  }

  // The two restores at equal versions (web and command line) decide on the upgrade the same way on every engine;
  // each engine's restore at equal versions, upgrade skipped, is tested in restore-roundtrip.test.ts and
  // recovery.test.ts (the standalone command). They run in the SQLite pass only (about 50 s of a slow machine's
  // PostgreSQL and MariaDB passes each); the restore that runs the upgrade, below, runs on every engine.
  itOnce('equal versions: the app restarts without NocoBase upgrade, and the data and files come back', async () => {
    await withConn(targetOfEnv(app.env), (c) => c.query(`DELETE FROM ${PREFIX}items WHERE qty > 4`));
    fs.rmSync(path.join(app.storage, 'uploads', 'docs', 'a.bin'));
    fs.writeFileSync(path.join(app.storage, 'uploads', 'later.txt'), 'after the backup');
    expect(await state()).not.toEqual(atBackup);
    const r = await app.api(`${TASKS}:restore?filterByTk=${good.id}`, { body: { safetyBackup: false } });
    expect(r.status).toBe(200);
    expect(r.body.data.options.upgrade).toBe(false);
    const done = await waitTaskApi(app, r.body.data.id);
    expect(done.status).toBe('succeeded');
    expect(done.options.phases).toContain('restarting');
    expect(done.options.phases).not.toContain('upgrading');
    expect(await state()).toEqual(atBackup);
  });

  itOnce('nb-backups restore at equal versions: the report, no `yarn nocobase upgrade`, and the app starts on the restored data', async () => {
    await withConn(targetOfEnv(app.env), (c) => c.query(`DELETE FROM ${PREFIX}items WHERE qty > 2`));
    await app.stop();
    const { spawn } = require('child_process') as typeof import('child_process');
    const cli = path.resolve(__dirname, '..', '..', 'dist', 'cli', 'standalone.js');
    const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [cli, 'restore', good.fileName, '--yes', '--no-safety-backup', '--json'], {
        cwd: app.appDir,
        env: { ...process.env, ...app.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    const json = JSON.parse(r.stdout.trim().split('\n').pop() || '{}');
    expect({ code: r.code, ok: json.ok, upgraded: json.upgraded, upgrade: json.preflight?.upgrade, blocking: json.preflight?.blocking }).toEqual({
      code: 0,
      ok: true,
      upgraded: false,
      upgrade: false,
      blocking: 0,
    });
    expect(r.stderr).toContain('Pre-flight checks:');
    expect(r.stderr).toContain("no `yarn nocobase upgrade` needed");
    expect(r.stderr).not.toContain('Running `yarn nocobase upgrade`');
    await app.start();
    app.token = await signIn(app.url);
    expect(await state()).toEqual(atBackup);
  });

  it('an older NocoBase in the manifest: a warning to accept, then the upgrade runs', async () => {
    const body = await crafted('older.nbbm', (m) => {
      m.requirements!.nocobaseVersion = '2.2.14';
      m.app.version = '2.2.14';
    });
    const { report } = await refused(body, 'PREFLIGHT_WARNINGS_NOT_ACCEPTED');
    expect(report.upgrade).toBe(true);
    expect(checkOf(report, 'nocobase')).toMatchObject({ level: 'warning', code: 'PREFLIGHT_NOCOBASE_OLDER', params: { backup: '2.2.14' } });
    expect(EN[`${checkOf(report, 'nocobase').code}_FIX`]).toBeTruthy();

    const up = await upload(body);
    const r = await app.api(`${TASKS}:restore`, {
      body: { uploadId: up.body.data.uploadId, safetyBackup: false, trustForeign: true, acceptWarnings: true },
    });
    expect(r.status).toBe(200);
    expect(r.body.data.options.upgrade).toBe(true);
    const done = await waitTaskApi(app, r.body.data.id);
    expect(done.status).toBe('succeeded');
    expect(done.options.phases).toContain('upgrading');
    expect(await state()).toEqual(atBackup);
  });
});

// Privileges, read as a real non-superuser role: the restore drops and creates the schema (PostgreSQL) or the
// database (MariaDB/MySQL), which such a role may not do until it is granted.
const server = process.env.DB_DIALECT;
if (server === 'postgres' || server === 'mariadb') {
  describe(`privileges of a role that is not a superuser (${server})`, () => {
    const pg = server === 'postgres';
    const dbName = `pf_priv_${server}`;
    let work: string;
    const admin = (sql: string) => {
      const { spawnSync } = require('child_process') as typeof import('child_process');
      const r = pg
        ? spawnSync('psql', ['-X', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-U', 'postgres', '-d', sql.includes('OWNER TO') || sql.includes('GRANT') ? dbName : 'postgres', '-c', sql], { env: { ...process.env, PGPASSWORD: 'postgres' }, encoding: 'utf8' })
        : spawnSync('mariadb', ['-h', '127.0.0.1', '-u', 'root', '-e', sql], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`${sql}: ${r.stderr}`);
      return r.stdout;
    };
    const limitedDb = (): DbConfig => ({ dialect: server as DbConfig['dialect'], host: '127.0.0.1', port: pg ? 5432 : 3306, database: dbName, user: 'pf_limited', password: 'pf-limited' });
    const facts = () =>
      gatherTargetFacts({ db: limitedDb(), underscored: false, appDir: work, paths: backupPaths(work, 'main'), stagingBytes: 0, safetyBackup: false });

    beforeAll(() => {
      work = fs.mkdtempSync(path.join(os.tmpdir(), 'pf-priv-'));
      if (pg) {
        admin(`DROP DATABASE IF EXISTS ${dbName}`);
        admin('DROP ROLE IF EXISTS pf_limited');
        admin(`CREATE ROLE pf_limited LOGIN PASSWORD 'pf-limited'`);
        admin(`CREATE DATABASE ${dbName}`);
      } else {
        admin(`DROP DATABASE IF EXISTS ${dbName}; DROP USER IF EXISTS 'pf_limited'@'%'; CREATE DATABASE ${dbName}; CREATE USER 'pf_limited'@'%' IDENTIFIED BY 'pf-limited'; GRANT SELECT ON ${dbName}.* TO 'pf_limited'@'%'`);
      }
    });
    afterAll(() => {
      if (pg) {
        admin(`DROP DATABASE IF EXISTS ${dbName}`);
        admin('DROP ROLE IF EXISTS pf_limited');
      } else admin(`DROP DATABASE IF EXISTS ${dbName}; DROP USER IF EXISTS 'pf_limited'@'%'`);
      fs.rmSync(work, { recursive: true, force: true });
    });

    it('blocks while the role may not drop and create what a restore replaces, and passes once granted', async () => {
      const before = await facts();
      expect(before.privileges?.ok).toBe(false);
      if (pg) {
        expect(before.privileges?.missing).toBe(`ownership of schema "public", CREATE on database "${dbName}" (user pf_limited)`);
      } else {
        expect(before.privileges?.missing).toMatch(new RegExp(`^DROP on database \`${dbName}\`, CREATE on database \`${dbName}\` \\(user pf_limited@`));
      }
      const report = preflightReport({ dialect: server, appVersion: '2.2.15' }, before);
      expect(report.checks.find((c) => c.id === 'privileges')).toMatchObject({ level: 'blocking', code: 'PREFLIGHT_PRIVILEGES' });

      if (pg) {
        admin('ALTER SCHEMA public OWNER TO pf_limited');
        admin(`GRANT CREATE ON DATABASE ${dbName} TO pf_limited`);
      } else admin(`GRANT ALL ON ${dbName}.* TO 'pf_limited'@'%'`);
      expect((await facts()).privileges).toEqual({ ok: true, missing: '' });
    });

    if (!pg) {
      it("reads the server's lower_case_table_names", async () => {
        const expected = Number(admin('SELECT @@lower_case_table_names').trim().split('\n').pop());
        expect((await facts()).db.lowerCaseTableNames).toBe(expected);
      });
    }
  });
}
