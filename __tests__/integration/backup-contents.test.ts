import crypto from 'crypto';
import fs from 'fs';
import os from 'os';
import path from 'path';
import type { MockServer } from '@nocobase/test';
import { FORMAT, FORMAT_VERSION_DUMP_DIR, FORMAT_VERSION_PLAIN, NAMESPACE } from '../../src/constants';
import { dumpHeadEntry, extractVerified, readManifest, verifyArchive } from '../../src/server/archive';
import type { Manifest } from '../../src/server/archive';
import { getDumper } from '../../src/server/dumpers';
import type { DbConfig, ToolDumper } from '../../src/server/dumpers/types';
import { createBackup } from '../../src/server/engine/backup';
import { checkTools } from '../../src/server/engine/tool-check';
import { runTool } from '../../src/server/process/run';
import { getService } from '../../src/server/service';
import { adminAgent, dialect, startApp, TASKS, useTempStorage, waitTask } from '../helpers/server';
import {
  connect,
  exerciseObjects,
  insertStatements,
  isMysqlFamily,
  listTables,
  rowCounts,
  schemaObjects,
  schemaStatements,
  sha256,
  sha256File,
  withConn,
  type Conn,
  type DbTarget,
} from '../helpers/inspect';
import { findJson } from '../../src/server/db/find-json';

jest.setTimeout(300000);

const PREFIX = 'bm_bc_';
const ROWS = 3000;
const en = (key: string, params: Record<string, string> = {}) => {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  let text: string = require('../../src/locale/en-US.json')[key];
  for (const [k, v] of Object.entries(params)) text = text.split(`{{${k}}}`).join(v);
  return text;
};

const binaryParser = (res: any, cb: (err: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => cb(null, Buffer.concat(chunks)));
};

describe('Backup now: what the archive holds', () => {
  let app: MockServer;
  let storage: string;
  let agent: Awaited<ReturnType<typeof adminAgent>>;
  let apiPrefix: string;
  const uploadFiles: Record<string, Buffer> = {
    'a.txt': Buffer.from('hello uploads\n'),
    'empty.txt': Buffer.alloc(0),
    'nested/deep/b.bin': crypto.randomBytes(300 * 1024),
    'ünï cødé ☃.txt': Buffer.from('unicode name'),
  };

  const live = (): DbTarget => {
    const cfg = getService(app).dbConfig();
    return { dialect: cfg.dialect as DbTarget['dialect'], host: cfg.host, port: cfg.port, user: cfg.user, password: cfg.password, database: cfg.database, storage: cfg.storage };
  };

  beforeAll(async () => {
    storage = useTempStorage();
    app = await startApp();
    // A plugin handed to the mock server as a class has no package to load its server locale from (a real app
    // loads dist/locale/en-US.json by package name): give i18n the same file, so messages render as in production.
    app.i18n.addResourceBundle('en-US', NAMESPACE, require('../../src/locale/en-US.json'), true, true);
    apiPrefix = (app.resourcer.options as { prefix?: string }).prefix || '';
    agent = await adminAgent(app);
    const sql = app.db.sequelize;
    for (const s of schemaStatements(dialect, PREFIX)) await sql.query(s);
    for (const s of insertStatements(`${PREFIX}items`, 1, ROWS)) await sql.query(s);
    for (const [rel, data] of Object.entries(uploadFiles)) {
      const p = path.join(storage, 'uploads', rel);
      fs.mkdirSync(path.dirname(p), { recursive: true });
      fs.writeFileSync(p, data);
    }
  });

  afterAll(async () => {
    if (app) {
      const drop = dialect === 'postgres' ? [`DROP VIEW IF EXISTS ${PREFIX}items_view`, `DROP TABLE IF EXISTS ${PREFIX}items CASCADE`, `DROP FUNCTION IF EXISTS ${PREFIX}touch() CASCADE`]
        : isMysqlFamily(dialect) ? [`DROP VIEW IF EXISTS ${PREFIX}items_view`, `DROP TABLE IF EXISTS ${PREFIX}items`, `DROP FUNCTION IF EXISTS ${PREFIX}double`, `DROP PROCEDURE IF EXISTS ${PREFIX}count`]
        : [`DROP VIEW IF EXISTS ${PREFIX}items_view`, `DROP TABLE IF EXISTS ${PREFIX}items`];
      for (const s of drop) await app.db.sequelize.query(s).catch(() => undefined);
      await app.destroy();
    }
    fs.rmSync(storage, { recursive: true, force: true });
  });

  async function backupNow(): Promise<Record<string, any>> {
    const res = await agent.resource(TASKS).create({ values: { includeUploads: true, includePlugins: true } });
    expect(res.status).toBe(200);
    const task = await waitTask(app, res.body.data.id);
    expect(task.error).toBeNull();
    expect(task.status).toBe('succeeded');
    return task;
  }

  it('holds a manifest, intact checksums, the uploads and a dump that restores every object into a scratch database', async () => {
    if (dialect === 'postgres') {
      const set = await agent.post(`${apiPrefix}/backupsManagerSettings:update?filterByTk=1`).send({ dumpJobs: 2 });
      expect(set.status).toBe(200);
    }
    const task = await backupNow();
    const service = getService(app);
    const file = path.join(service.paths.archives, task.fileName);
    expect(fs.existsSync(file)).toBe(true);
    expect(Number(task.size)).toBe(fs.statSync(file).size);

    // The manifest: format, app, database, parts, and every upload with its size and checksum.
    const manifest = await readManifest(file);
    // PostgreSQL with two jobs (the setting, through the API): the directory format, a folder of entries.
    const jobs = dialect === 'postgres' ? 2 : 1;
    const dumpEntry = dialect === 'sqlite' ? 'db/main.sqlite' : jobs > 1 ? 'db/main.dir' : 'db/main.dump';
    expect(manifest).toMatchObject({
      format: FORMAT,
      formatVersion: jobs > 1 ? FORMAT_VERSION_DUMP_DIR : FORMAT_VERSION_PLAIN,
      app: { name: app.name, version: app.getVersion() },
      plugin: { name: NAMESPACE },
      database: { dialect: service.dbConfig().dialect, dump: dumpEntry },
      origin: 'manual',
    });
    if (dialect === 'postgres') {
      expect(manifest.database).toMatchObject({ dumpFormat: jobs > 1 ? 'directory' : 'custom', dumpJobs: jobs });
      expect(task.summary).toMatchObject({ dumpFormat: manifest.database.dumpFormat, dumpJobs: jobs });
    }
    expect(service.dbConfig().dialect).toBe(dialect);
    expect(manifest.parts).toEqual(expect.arrayContaining(['database', 'uploads']));
    expect(manifest.database.excludedTableData).toContain(app.db.getCollection(TASKS).model.tableName);
    expect(manifest.database.serverVersion).toBeTruthy();
    if (dialect !== 'sqlite') {
      // Asked through the app's connection (no client process): what the client tool says.
      const cfg = service.dbConfig();
      const viaClient = await checkTools(getDumper(cfg.dialect) as ToolDumper, cfg, os.tmpdir());
      expect(manifest.database.serverVersion).toBe(viaClient.serverVersion);
    }
    if (dialect !== 'sqlite') expect(manifest.database.tool).toBe(dialect === 'postgres' ? 'pg_dump' : dialect === 'mariadb' ? 'mariadb-dump' : 'mysqldump');
    const entries = Object.fromEntries(manifest.entries.map((e) => [e.path, e]));
    expect(entries[dumpHeadEntry(manifest.database)].size).toBeGreaterThan(0);
    for (const [rel, data] of Object.entries(uploadFiles)) {
      // Each file's permission bits travel with it (restored as they were).
      const mode = fs.statSync(path.join(storage, 'uploads', rel)).mode & 0o777;
      expect(entries[`storage/uploads/${rel}`]).toEqual({ path: `storage/uploads/${rel}`, size: data.length, sha256: sha256(data), mode });
    }
    expect(manifest.entries.filter((e) => e.path.startsWith('storage/uploads/')).length).toBe(Object.keys(uploadFiles).length);
    expect(summaryMatches(task.summary, manifest)).toBe(true);

    // Every entry's content matches its size and SHA-256.
    await expect(verifyArchive(file)).resolves.toMatchObject({ entries: manifest.entries });

    // The dump, restored into a scratch database with the dumper's own restore command, holds every object and row.
    const staging = fs.mkdtempSync(path.join(os.tmpdir(), 'bm-bc-staging-'));
    try {
      const { pathOf } = await extractVerified(file, manifest, staging);
      for (const [rel, data] of Object.entries(uploadFiles)) {
        expect(fs.readFileSync(pathOf(`storage/uploads/${rel}`)).equals(data)).toBe(true);
      }
      // A directory-format dump is the staged folder its entries were extracted into.
      const dumpHead = pathOf(dumpHeadEntry(manifest.database));
      await withScratch(manifest, dumpEntry === dumpHeadEntry(manifest.database) ? dumpHead : path.dirname(dumpHead), staging, async (scratch) => {
        await withConn(live(), async (liveConn) => {
          const liveObjects = await schemaObjects(liveConn, PREFIX);
          const scratchObjects = await schemaObjects(scratch, PREFIX);
          // The objects exist at all (and are not two empty lists comparing equal).
          expect(liveObjects.views.length).toBe(1);
          expect(liveObjects.triggers.length).toBe(1);
          expect(liveObjects.indexes.length).toBeGreaterThanOrEqual(dialect === 'sqlite' ? 2 : 3);
          expect(liveObjects.routines.length).toBe(dialect === 'postgres' ? 1 : isMysqlFamily(dialect) ? 2 : 0);
          expect(JSON.stringify(liveObjects.columns)).toMatch(/n\/a/);
          expect(scratchObjects).toEqual(liveObjects);

          // Row counts: every table as live, except the runtime tables whose rows a backup leaves out.
          const excluded = manifest.database.excludedTableData;
          const liveCounts = await rowCounts(liveConn);
          const scratchCounts = await rowCounts(scratch);
          expect(Object.keys(scratchCounts)).toEqual(Object.keys(liveCounts));
          expect(liveCounts[`${PREFIX}items`]).toBe(ROWS);
          for (const t of Object.keys(liveCounts)) {
            expect({ t, n: scratchCounts[t] }).toEqual({ t, n: excluded.includes(t) ? 0 : liveCounts[t] });
          }
          // The rows themselves, not only their number.
          const q = `SELECT id, code, qty, note, touched FROM ${PREFIX}items ORDER BY id`;
          expect(await scratch.query(q)).toEqual(await liveConn.query(q));
        });
        // The restored objects work: trigger, defaults, unique index, view, routines.
        await exerciseObjects(scratch, PREFIX);
      });
    } finally {
      fs.rmSync(staging, { recursive: true, force: true });
    }
  });

  it('lets exactly one of two simultaneous Backup now requests start', async () => {
    const repo = app.db.getRepository(TASKS);
    const before = await repo.count();
    const [a, b] = await Promise.all([
      agent.resource(TASKS).create({ values: {} }),
      agent.resource(TASKS).create({ values: {} }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    const ok = a.status === 200 ? a : b;
    const busy = a.status === 200 ? b : a;
    expect(busy.body.errors[0]).toEqual({ code: 'BUSY', message: en('BUSY') });
    expect(await repo.count()).toBe(before + 1);
    const task = await waitTask(app, ok.body.data.id);
    expect(task.status).toBe('succeeded');
  });

  it('fails tasks a crash left running and removes leftovers at start-up', async () => {
    const service = getService(app);
    // The previous test's backup row says succeeded a moment before its slot is free (its temporary folder is
    // removed in between): seen as a failure here on a loaded CI machine.
    for (const until = Date.now() + 15_000; service.exclusive.running && Date.now() < until; ) await new Promise((r) => setTimeout(r, 50));
    expect(service.exclusive.running).toBeNull();
    const repo = service.repo;
    const running = await repo.create({ values: { kind: 'backup', origin: 'manual', status: 'running', phase: 'dumping database', progress: 40 } });
    const pending = await repo.create({ values: { kind: 'restore', origin: 'upload', status: 'pending', phase: 'queued' } });
    const leftover = path.join(service.paths.tmp, 'backup-999999', 'db.part');
    fs.mkdirSync(path.dirname(leftover), { recursive: true });
    fs.writeFileSync(leftover, crypto.randomBytes(1024));
    const partialUpload = path.join(service.paths.uploads, `${'a'.repeat(32)}.partial`);
    fs.writeFileSync(partialUpload, 'half an upload');

    await service.onAppStarted();

    for (const id of [running.get('id'), pending.get('id')]) {
      const row = (await repo.findOne({ filterByTk: id as string })).toJSON();
      expect(row).toMatchObject({ status: 'failed', errorCode: 'INTERRUPTED', error: en('INTERRUPTED') });
      expect(row.finishedAt).toBeTruthy();
    }
    expect(fs.existsSync(leftover)).toBe(false);
    expect(fs.existsSync(path.dirname(leftover))).toBe(false);
    expect(fs.existsSync(partialUpload)).toBe(false);
    expect(fs.existsSync(service.paths.tmp)).toBe(true);
    // A finished backup is left alone.
    const done = await repo.find({ filter: { status: 'succeeded' } });
    expect(done.length).toBeGreaterThan(0);
  });

  it('lists again, at start-up, the archives on disk that the task table lost (and only readable ones)', async () => {
    const service = getService(app);
    const repo = service.repo;
    const before = await findJson<Record<string, any>>(repo, { filter: { kind: 'backup', status: 'succeeded' }, sort: ['id'] });
    expect(before.length).toBeGreaterThan(0);
    // An encrypted one too: its origin and parts stay hidden until the password is given.
    const enc = await agent.post(`${apiPrefix}/${TASKS}:create`).set('X-Backups-Manager-Password', 'rediscover-me').send({ includeUploads: false });
    expect(enc.status).toBe(200);
    const encrypted = await waitTask(app, enc.body.data.id);
    expect(encrypted.status).toBe('succeeded');
    const foreign = path.join(service.paths.archives, 'not-a-backup.nbbm');
    fs.writeFileSync(foreign, 'just some bytes');
    // As after a restore by other means (raw tools, the built-in Backup manager): the rows are gone, the files stay.
    await app.db.getModel(TASKS).destroy({ where: {} });
    // More than a second on: a row dated "now" could not pass for the backup's own date, even to the second.
    await new Promise((r) => setTimeout(r, 1100));

    await service.onAppStarted();

    const rows = await findJson<Record<string, any>>(repo, { sort: ['id'] });
    const byName = new Map<string, Record<string, any>>(rows.map((r) => [r.fileName, r]));
    expect(byName.has('not-a-backup.nbbm')).toBe(false);
    expect(fs.readFileSync(foreign, 'utf8')).toBe('just some bytes'); // left alone
    for (const old of [...before, encrypted]) {
      const row = byName.get(old.fileName);
      expect(row).toMatchObject({ kind: 'backup', status: 'succeeded', size: old.size, fileName: old.fileName });
      // The backup's own date, to the second (MySQL's DATETIME keeps no milliseconds).
      const seconds = (d: string) => Math.floor(new Date(d).getTime() / 1000);
      expect(seconds(row!.createdAt)).toBe(seconds(row!.summary.createdAt));
    }
    expect(byName.get(encrypted.fileName)!.summary).toMatchObject({ encrypted: true, dialect: dialect });
    expect(rows).toHaveLength(before.length + 1);

    // Downloadable and restorable like any backup; a second start adds nothing.
    const again = await agent.get(`${apiPrefix}/${TASKS}:download?filterByTk=${byName.get(before[0].fileName)!.id}`).buffer(true).parse(binaryParser);
    expect(again.status).toBe(200);
    expect(sha256(again.body)).toBe(await sha256File(path.join(service.paths.archives, before[0].fileName)));
    await service.onAppStarted();
    expect(await repo.count()).toBe(rows.length);
    fs.rmSync(foreign);
  });

  it('downloads only for an admin, with the exact bytes on disk', async () => {
    const task = (await app.db.getRepository(TASKS).findOne({ filter: { status: 'succeeded', kind: 'backup' }, sort: ['-id'] })).toJSON();
    const url = `${apiPrefix}/${TASKS}:download?filterByTk=${task.id}`;

    const anonymous = await app.agent().get(url);
    expect(anonymous.status).toBe(401);

    const email = `member-${Date.now()}@example.com`;
    const member = await app.db.getRepository('users').create({ values: { email, password: 'member-pass-123', roles: ['member'] } });
    const memberAgent = await app.agent().login(member, 'member');
    const refused = await memberAgent.get(url);
    expect(refused.status).toBe(403);
    expect(refused.body.errors?.[0]?.message).toBeTruthy();

    const res = await agent.get(url).buffer(true).parse(binaryParser);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/octet-stream');
    expect(res.headers['content-disposition']).toContain(task.fileName);
    const file = path.join(getService(app).paths.archives, task.fileName);
    expect(Number(res.headers['content-length'])).toBe(fs.statSync(file).size);
    expect(sha256(res.body as Buffer)).toBe(await sha256File(file));
  });

  it('names the missing dump tool and how to install it', async () => {
    const service = getService(app);
    const archivesDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bm-bc-notool-'));
    const input = {
      db: service.dbConfig(),
      app: { name: app.name, version: app.getVersion() },
      plugin: { name: NAMESPACE, version: '0.0.0' },
      storage: service.paths.storage,
      archivesDir,
      tmpDir: path.join(archivesDir, '.tmp'),
      fileName: 'notool.nbbm',
      include: { uploads: true, plugins: true },
      excludeTableData: [],
      origin: 'manual',
    };
    try {
      if (dialect === 'sqlite') {
        // SQLite is backed up without any client tool: a configured tool path is irrelevant and PATH is not needed.
        const savedPath = process.env.PATH;
        process.env.PATH = '/nonexistent';
        try {
          const result = await createBackup({ ...input, tools: { dump: '/nonexistent/sqlite3' } });
          expect(result.manifest.database.dump).toBe('db/main.sqlite');
        } finally {
          process.env.PATH = savedPath;
        }
        await expect(verifyArchive(path.join(archivesDir, 'notool.nbbm'))).resolves.toBeTruthy();
        return;
      }
      const dumpName = getDumper(dialect).kind === 'tool' ? (getDumper(dialect) as ToolDumper).defaultTools.dump : '';
      const missing = `/nonexistent/${dumpName}`;
      const err = await createBackup({ ...input, tools: { dump: missing } }).then(
        () => null,
        (e) => e,
      );
      expect(err).toMatchObject({ name: 'BackupError', code: 'TOOL_MISSING', params: { tool: missing } });
      const message = service.describe(err);
      expect(message).toContain(`The database tool ${missing} is not installed on the server.`);
      expect(message).toMatch(dialect === 'postgres' ? /postgresql-client/ : /mariadb-client|mysql-client/);
      expect(fs.readdirSync(archivesDir).filter((f) => f.endsWith('.nbbm') || f.endsWith('.partial'))).toEqual([]);

      // The same through Backup now, with no client tools on PATH: the task fails with the message.
      const savedPath = process.env.PATH;
      process.env.PATH = '/nonexistent';
      let task: Record<string, any>;
      try {
        const res = await agent.resource(TASKS).create({ values: {} });
        expect(res.status).toBe(200);
        task = await waitTask(app, res.body.data.id);
      } finally {
        process.env.PATH = savedPath;
      }
      expect(task).toMatchObject({ status: 'failed', errorCode: 'TOOL_MISSING' });
      expect(task.error).toContain(`The database tool ${dumpName} is not installed on the server.`);
      expect(fs.existsSync(path.join(service.paths.archives, String(task.fileName)))).toBe(false);
    } finally {
      fs.rmSync(archivesDir, { recursive: true, force: true });
    }
  });
});

function summaryMatches(summary: Record<string, any>, manifest: Manifest): boolean {
  expect(summary).toMatchObject({
    appName: manifest.app.name,
    appVersion: manifest.app.version,
    dialect: manifest.database.dialect,
    parts: manifest.parts,
    excludedTableData: manifest.database.excludedTableData,
  });
  return true;
}

/**
 * Restores the dump into a fresh scratch database (never the app's) and hands a connection to `fn`; the scratch
 * database is dropped afterwards. PostgreSQL and the MySQL family use the dumper's own restoreSpec through runTool;
 * SQLite's dump is the database file itself.
 */
async function withScratch(manifest: Manifest, dumpFile: string, staging: string, fn: (c: Conn) => Promise<void>): Promise<void> {
  if (dialect === 'sqlite') {
    const c = await connect({ dialect: 'sqlite', storage: dumpFile });
    try {
      return await fn(c);
    } finally {
      await c.close();
    }
  }
  const base = dbConfigOfEnv();
  const name = `bm_scratch_${crypto.randomBytes(4).toString('hex')}`;
  const admin: DbTarget = { dialect, host: base.host, port: base.port, user: base.user, password: base.password, database: dialect === 'postgres' ? 'postgres' : undefined };
  await withConn(admin, (c) => c.query(dialect === 'postgres' ? `CREATE DATABASE ${name}` : `CREATE DATABASE ${name} CHARACTER SET utf8mb4`));
  try {
    const cfg: DbConfig = { ...base, database: name };
    const dumper = getDumper(dialect) as ToolDumper;
    const tmpDir = path.join(staging, '.tools');
    fs.mkdirSync(tmpDir, { recursive: true, mode: 0o700 });
    const { tool } = await checkTools(dumper, cfg, tmpDir);
    const plan = dumper.restoreSpec(cfg, tool, { tmpDir, jobs: manifest.database.dumpJobs }, dumpFile);
    await runTool(plan.spec, { stdin: plan.stdinFile });
    const c = await connect({ ...admin, database: name });
    try {
      // Not the live database by accident.
      expect(await listTables(c)).toContain(`${PREFIX}items`);
      await fn(c);
    } finally {
      await c.close();
    }
  } finally {
    await withConn(admin, (c) => c.query(dialect === 'postgres' ? `DROP DATABASE IF EXISTS ${name} WITH (FORCE)` : `DROP DATABASE IF EXISTS ${name}`));
  }
  expect(manifest.database.dialect).toBe(dialect);
}

function dbConfigOfEnv(): DbConfig {
  return {
    dialect,
    host: process.env.DB_HOST || '127.0.0.1',
    port: Number(process.env.DB_PORT) || (dialect === 'postgres' ? 5432 : 3306),
    user: process.env.DB_USER,
    password: process.env.DB_PASSWORD,
  };
}
