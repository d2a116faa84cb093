import { spawn } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { SETTINGS, SETTINGS_ROW_ID } from '../../src/constants';
import { EXIT } from '../../src/server/cli/exit-codes';
import { signIn, startRealApp, type RealApp } from '../helpers/real-app';
import { isMysqlFamily, targetOfEnv, withConn } from '../helpers/inspect';
import { port } from '../helpers/run-scope';

jest.setTimeout(900000);

// Issue 22 item 3: the readiness panel's action and `nb-backups doctor` on a real app, with the database client tools
// on PATH and hidden from it.

const dialect = process.env.DB_DIALECT || 'sqlite';
const PORT = port(13477);
const CLI = path.resolve(__dirname, '..', '..', 'dist', 'cli', 'standalone.js');
// Every database client a backup could run: a PATH that lacks them all.
const DB_TOOLS = new Set(['pg_dump', 'pg_restore', 'psql', 'mariadb-dump', 'mariadb', 'mysqldump', 'mysql']);
// Trust authentication ignores it; it must never show up in an answer.
const SECRET = 'bm-ready-secret-4711';
const EN: Record<string, string> = JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', '..', 'src', 'locale', 'en-US.json'), 'utf8'));

/**
 * A folder of links to every command on this PATH but the database tools: the same machine (node, yarn, sh...) with
 * pg_dump and the others not installed. A shadowing script would be found and fail instead, which is another case.
 */
function toolLessPath(dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  // Node itself as a file of this folder, not a link: yarn puts the folder of node's real path on the PATH of what it
  // runs (/usr/bin here, where pg_dump is).
  const node = path.join(dir, 'node');
  try {
    fs.linkSync(fs.realpathSync(process.execPath), node);
  } catch {
    fs.copyFileSync(fs.realpathSync(process.execPath), node);
    fs.chmodSync(node, 0o755);
  }
  for (const folder of (process.env.PATH || '').split(':')) {
    let names: string[] = [];
    try {
      names = fs.readdirSync(folder);
    } catch {
      continue;
    }
    for (const name of names) {
      const link = path.join(dir, name);
      if (DB_TOOLS.has(name) || fs.existsSync(link)) continue;
      fs.symlinkSync(path.join(folder, name), link);
    }
  }
  return dir;
}

function runCli(args: string[], env: Record<string, string>, cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

type Check = { id: string; level: string; code: string; params: Record<string, string>; message: string };

describe('readiness on a real app', () => {
  let app: RealApp;
  let work: string;
  let hiddenPath: string;
  const normalPath = process.env.PATH || '';

  const readiness = async () => {
    const r = await app.api(`${SETTINGS}:readiness`);
    expect(r.status).toBe(200);
    return r.body.data as { checks: Check[]; blocking: number; warnings: number };
  };
  const byId = (checks: Check[]) => Object.fromEntries(checks.map((c) => [c.id, c]));

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'bm-readiness-'));
    hiddenPath = toolLessPath(path.join(work, 'bin'));
    app = await startRealApp({ name: 'readiness', port: PORT });
    // An external PostgreSQL source (the machine's server), selected for the schedule: a backup would dump it too.
    // Stored as NocoBase's external data source plugins store it (they are not on this project's registry).
    const q = (id: string) => (isMysqlFamily(dialect) ? `\`${id}\`` : `"${id}"`);
    const options = JSON.stringify({ host: '127.0.0.1', port: 5432, username: 'postgres', password: SECRET, database: 'postgres' });
    await withConn(targetOfEnv(app.env), (c) =>
      c.query(
        `INSERT INTO ${q('dataSources')} (${['key', 'displayName', 'type', 'options', 'enabled', 'fixed', 'createdAt', 'updatedAt'].map(q).join(', ')}) ` +
          `VALUES ('ext_pg', 'ext pg', 'postgres', '${options}', ${dialect === 'sqlite' ? 1 : 'true'}, ${dialect === 'sqlite' ? 0 : 'false'}, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)`,
      ),
    );
    const saved = await app.api(`${SETTINGS}:update?filterByTk=${SETTINGS_ROW_ID}`, {
      body: { enabled: true, cron: '0 3 * * *', timezone: 'Asia/Shanghai', dataSources: ['ext_pg'] },
    });
    expect(saved.status).toBe(200);
  });

  afterAll(async () => {
    await app?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('tools present: every line ok, before any backup was made (the estimate is the data on disk)', async () => {
    const report = await readiness();
    const lines = byId(report.checks);
    expect({ blocking: report.blocking, warnings: report.warnings }).toEqual({ blocking: 0, warnings: 0 });
    expect(Object.keys(lines)).toEqual(['tool:main', 'tool:ext_pg', 'disk', 'write', 'schedule']);
    expect(lines['tool:main']).toMatchObject(
      dialect === 'sqlite'
        ? { level: 'ok', code: 'READINESS_OK_NO_TOOL' }
        : { level: 'ok', code: 'READINESS_OK_TOOL', params: { source: 'main', dialect } },
    );
    expect(lines['tool:ext_pg']).toMatchObject({ level: 'ok', code: 'READINESS_OK_TOOL', params: { tool: 'pg_dump', dialect: 'postgres' } });
    expect(lines['tool:ext_pg'].params.serverVersion).toMatch(/^\d+/);
    expect(lines.disk).toMatchObject({ level: 'ok', code: 'READINESS_OK_DISK_SIZES' });
    expect(lines.write).toMatchObject({ level: 'ok', params: { where: path.join(app.storage, 'backups-manager', 'main') } });
    expect(lines.schedule).toMatchObject({ level: 'ok', code: 'READINESS_OK_SCHEDULE' });
    expect(lines.schedule.params.next).toMatch(/^\d{4}-\d\d-\d\d 03:00 Asia\/Shanghai$/);
    // No password of the source in the answer, and the probe file is gone.
    expect(JSON.stringify(report)).not.toContain(SECRET);
    expect(fs.readdirSync(path.join(app.storage, 'backups-manager', 'main')).filter((n) => n.startsWith('.readiness'))).toEqual([]);
  });

  it('only admins: anonymous is refused', async () => {
    const r = await app.api(`${SETTINGS}:readiness`, { token: null });
    expect([401, 403]).toContain(r.status);
  });

  it('nb-backups doctor with the tools: exit 0 and the same lines', async () => {
    const r = await runCli(['doctor', '--json'], app.env, app.appDir);
    const json = JSON.parse(r.stdout.trim().split('\n').pop() || '{}');
    expect({ code: r.code, exitCode: json.exitCode, blocking: json.report?.blocking, warnings: json.report?.warnings }).toEqual({
      code: EXIT.OK,
      exitCode: EXIT.OK,
      blocking: 0,
      warnings: 0,
    });
    const lines = byId(json.report.checks);
    if (dialect === 'sqlite') {
      // The command line does not read SQLite's tables: the schedule line says so, the source is not checked.
      expect(Object.keys(lines)).toEqual(['tool:main', 'disk', 'write', 'schedule']);
      expect(lines.schedule.code).toBe('READINESS_SCHEDULE_NOT_READ');
    } else {
      expect(Object.keys(lines)).toEqual(['tool:main', 'tool:ext_pg', 'disk', 'write', 'schedule']);
      expect(lines.schedule).toMatchObject({ code: 'READINESS_OK_SCHEDULE', params: { timezone: 'Asia/Shanghai' } });
      expect(lines['tool:ext_pg']).toMatchObject({ level: 'ok', params: { tool: 'pg_dump' } });
    }
    const text = await runCli(['doctor'], app.env, app.appDir);
    expect(text.code).toBe(EXIT.OK);
    expect(text.stdout).toContain('Readiness:');
    expect(text.stdout).toContain('0 blocking, 0 warning(s): ready to back up.');
  });

  it('pg_dump not on PATH: the app answers blocking with the install fix; nothing else changes', async () => {
    await app.stop();
    app.env.PATH = hiddenPath;
    // yarn adds its global bin folder (/usr/bin here) to the PATH of what it runs, unless its prefix is elsewhere.
    app.env.YARN_PREFIX = work;
    await app.start();
    app.token = await signIn(app.url);
    const report = await readiness();
    const lines = byId(report.checks);
    expect(lines['tool:ext_pg']).toMatchObject({ level: 'blocking', code: 'READINESS_TOOL_MISSING_POSTGRES', params: { tool: 'pg_dump', source: 'ext_pg' } });
    expect(EN[`${lines['tool:ext_pg'].code}_FIX`]).toContain('apt-get install postgresql-client');
    if (dialect === 'sqlite') {
      expect(lines['tool:main']).toMatchObject({ level: 'ok', code: 'READINESS_OK_NO_TOOL' });
      expect(report.blocking).toBe(1);
    } else {
      const tool = { postgres: 'pg_dump', mariadb: 'mariadb-dump', mysql: 'mysqldump' }[dialect];
      expect(lines['tool:main']).toMatchObject({ level: 'blocking', params: { tool } });
      expect(lines['tool:main'].code).toBe(`READINESS_TOOL_MISSING_${dialect.toUpperCase()}`);
      expect(report.blocking).toBe(2);
    }
    expect([lines.disk.level, lines.write.level, lines.schedule.level]).toEqual(['ok', 'ok', 'ok']);
  });

  it('nb-backups doctor without the tools: the blocking exit code and the fix on stdout', async () => {
    const r = await runCli(['doctor'], { ...app.env, PATH: hiddenPath }, app.appDir);
    if (dialect === 'sqlite') {
      // SQLite needs no tool and the command line does not read the selected sources: nothing blocks.
      expect(r.code).toBe(EXIT.OK);
      return;
    }
    expect(r.code).toBe(EXIT.DOCTOR_BLOCKING);
    expect(r.stdout).toMatch(/\[BLOCKING\] Database main \(\w+\): \S+ was not found on this server's PATH/);
    expect(r.stdout).toContain('fix: Install the');
    expect(r.stdout).toMatch(/1 blocking, \d warning\(s\): backups will fail/);
  });

  it('nb-backups doctor: warnings only and blocking have their own exit codes (free disk against the last backup)', async () => {
    // The newest archive stands for today's backup size (100 MiB, sparse); the free space is set through the test
    // hook the restore pre-flight uses (a full disk cannot be made on a shared machine).
    const archives = path.join(app.storage, 'backups-manager', 'main');
    const last = path.join(archives, 'main_20261205-000000-000.nbbm');
    const freeFile = path.join(work, 'free-bytes');
    const MiB = 1024 * 1024;
    fs.writeFileSync(last, '');
    fs.truncateSync(last, 100 * MiB);
    try {
      const doctor = async (free: number) => {
        fs.writeFileSync(freeFile, String(free));
        const r = await runCli(['doctor', '--json'], { ...app.env, PATH: normalPath, BM_TEST_FREE_SPACE_FILE: freeFile }, app.appDir);
        const json = JSON.parse(r.stdout.trim().split('\n').pop() || '{}');
        return { code: r.code, disk: json.report.checks.find((c: Check) => c.id === 'disk'), blocking: json.report.blocking, warnings: json.report.warnings };
      };
      expect(await doctor(214 * MiB)).toMatchObject({ code: EXIT.DOCTOR_WARNINGS, blocking: 0, warnings: 1, disk: { level: 'warning', code: 'READINESS_DISK_TIGHT_LAST' } });
      expect(await doctor(100 * MiB)).toMatchObject({ code: EXIT.DOCTOR_BLOCKING, blocking: 1, disk: { level: 'blocking', code: 'READINESS_DISK_LOW_LAST' } });
      expect(await doctor(400 * MiB)).toMatchObject({ code: EXIT.OK, disk: { level: 'ok', code: 'READINESS_OK_DISK_LAST', params: { needed: '164 MiB' } } });
    } finally {
      fs.rmSync(last, { force: true });
    }
  });
});
