// PostgreSQL: the main application's backup and restore touch its own schema only, never the schemas of
// sub-applications living in the same database (issue 15, item 2); parallel dump and restore in the directory format
// (issue 19, item 4) round-trip, and an archive from before them still restores. Real PostgreSQL 15 on 127.0.0.1.
import { randomBytes } from 'crypto';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { postgresDumper as pg } from '../../dumpers/postgres';
import type { DbConfig } from '../../dumpers/types';
import { captureTool, runTool } from '../../process/run';
import { NAMESPACE } from '../../../constants';
import { ArchiveWriter } from '../../archive/writer';
import { readManifest } from '../../archive/reader';
import { restoreOffline } from '../../cli/offline-restore';
import { backupPaths, ensureDirs } from '../../paths';
import { createBackup } from '../backup';
import { buildManifest } from '../backup-manifest';
import { restoreDump, restoreJobs } from '../restore';
import { verifyBackup } from '../verify';

jest.setTimeout(120_000);

const DB = `bm_hb_schemas_${randomBytes(4).toString('hex')}`;
const main: DbConfig = { dialect: 'postgres', host: '127.0.0.1', port: 5432, user: 'postgres', database: DB };

let tmp: string;

const psql = (database: string, sql: string) =>
  captureTool({ command: 'psql', args: ['-X', '-q', '-tA', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-U', 'postgres', '-d', database, '-c', sql], env: {} });

async function dump(cfg: DbConfig, file: string) {
  const tool = pg.parseToolVersion(await captureTool(pg.versionSpec()));
  const out = await fs.promises.open(file, 'w', 0o600);
  try {
    for (const spec of pg.dumpPlan(cfg, tool, { tmpDir: tmp })) await runTool(spec, { stdout: out.fd });
  } finally {
    await out.close();
  }
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bm-hb-schemas-'));
  await psql('postgres', `CREATE DATABASE ${DB}`);
  // The main application in public, a sub-application (dbConnType new_schema) in its own schema of the same database.
  await psql(
    DB,
    `CREATE TABLE items (id int PRIMARY KEY); INSERT INTO items VALUES (1), (2);
     CREATE SCHEMA sub1; CREATE TABLE sub1.things (id int PRIMARY KEY); INSERT INTO sub1.things VALUES (1);`,
  );
});

afterAll(async () => {
  await psql('postgres', `DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
  fs.rmSync(tmp, { recursive: true, force: true });
});

it("leaves a sub-application's schema out of the main dump and untouched by the main restore", async () => {
  const file = path.join(tmp, 'main.dump');
  await dump(main, file);
  const toc = await captureTool({ command: 'pg_restore', args: ['-l', file], env: {} });
  expect(toc).toMatch(/TABLE public items/);
  expect(toc).not.toMatch(/sub1/);

  // Since the backup: the sub-application got rows and a new table, the main application a row.
  await psql(DB, 'INSERT INTO sub1.things VALUES (2), (3); CREATE TABLE sub1.created_later (x int); INSERT INTO sub1.created_later VALUES (1);');
  await psql(DB, 'INSERT INTO items VALUES (3)');

  await restoreDump(main, file, path.join(tmp, 'tools'));

  expect(await psql(DB, 'SELECT count(*) FROM items')).toBe('2\n');
  expect(await psql(DB, 'SELECT count(*) FROM sub1.things')).toBe('3\n');
  expect(await psql(DB, 'SELECT count(*) FROM sub1.created_later')).toBe('1\n');
});

it('restores only the target schema from an older dump that carried the whole database', async () => {
  const file = path.join(tmp, 'whole.dump');
  await runTool({ command: 'pg_dump', args: ['-Fc', '-h', '127.0.0.1', '-U', 'postgres', '-f', file, DB], env: {} });
  await psql(DB, 'INSERT INTO sub1.things VALUES (4); INSERT INTO items VALUES (4); CREATE TABLE sub1.newer (x int);');

  await restoreDump(main, file, path.join(tmp, 'tools'));

  expect(await psql(DB, 'SELECT count(*) FROM items')).toBe('2\n');
  expect(await psql(DB, 'SELECT count(*) FROM sub1.things')).toBe('4\n');
  expect(await psql(DB, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'sub1' AND table_name = 'newer'")).toBe('1\n');
});

it("restores the sub-application's own dump into its schema alone", async () => {
  const sub: DbConfig = { ...main, schema: 'sub1' };
  const file = path.join(tmp, 'sub1.dump');
  await dump(sub, file);
  await psql(DB, 'INSERT INTO sub1.things VALUES (5); INSERT INTO items VALUES (5);');
  await restoreDump(sub, file, path.join(tmp, 'tools'));
  expect(await psql(DB, 'SELECT count(*) FROM sub1.things')).toBe('4\n');
  expect(await psql(DB, 'SELECT count(*) FROM items')).toBe('3\n');
});

it('keeps an extension installed in the schema, which a dump of one schema does not carry', async () => {
  await psql(DB, 'CREATE EXTENSION citext; CREATE TABLE tags (name citext); INSERT INTO tags VALUES ($$A$$);');
  const file = path.join(tmp, 'ext.dump');
  await dump(main, file);
  await restoreDump(main, file, path.join(tmp, 'tools'));
  expect(await psql(DB, "SELECT count(*) FROM tags WHERE name = 'a'")).toBe('1\n');
  expect(await psql(DB, "SELECT extnamespace::regnamespace FROM pg_extension WHERE extname = 'citext'")).toBe('public\n');
});

describe('parallel dump and restore (directory format)', () => {
  const storage = () => path.join(tmp, 'parallel', 'storage');
  const paths = () => backupPaths(storage(), 'main');
  /** Everything a restore must bring back: rows, the sequence's position, the view, the function and trigger. */
  const state = async () =>
    [
      await psql(DB, 'SELECT id FROM items ORDER BY id'),
      await psql(DB, "SELECT last_value, is_called FROM orders_id_seq"),
      await psql(DB, 'SELECT count(*), sum(amount) FROM orders'),
      await psql(DB, 'SELECT * FROM order_totals ORDER BY item_id'),
      await psql(DB, "SELECT pg_get_functiondef('bump_total'::regproc)"),
      await psql(DB, "SELECT tgname FROM pg_trigger WHERE tgrelid = 'orders'::regclass AND NOT tgisinternal"),
    ].join('\n');
  const restore = (file: string) =>
    restoreOffline({ file, db: main, appName: 'main', appVersion: '2.2.15', paths: paths(), safetyBackup: true, safetyExclude: [], pluginVersion: '0.0.0', say: () => undefined });

  beforeAll(async () => {
    await ensureDirs(paths());
    // The extension test's table: a scratch database of verify has no citext (extensions are not in a schema's dump).
    await psql(DB, 'DROP TABLE tags; DROP EXTENSION citext;');
    await psql(
      DB,
      `CREATE TABLE orders (id serial PRIMARY KEY, item_id int REFERENCES items (id), amount numeric NOT NULL);
       CREATE TABLE totals (item_id int PRIMARY KEY, total numeric NOT NULL);
       CREATE FUNCTION bump_total() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
         INSERT INTO totals VALUES (NEW.item_id, NEW.amount)
           ON CONFLICT (item_id) DO UPDATE SET total = totals.total + EXCLUDED.total; RETURN NEW; END $$;
       CREATE TRIGGER orders_total AFTER INSERT ON orders FOR EACH ROW EXECUTE FUNCTION bump_total();
       INSERT INTO orders (item_id, amount) SELECT 1 + g % 2, g FROM generate_series(1, 20000) g;
       CREATE VIEW order_totals AS SELECT item_id, sum(amount) AS sum FROM orders GROUP BY item_id;`,
    );
  });

  it('backs up with 2 jobs into db/main.dir entries and restores them with pg_restore -j, the same data back', async () => {
    const before = await state();
    const tmpDir = path.join(tmp, 'parallel', 'backup-tmp');
    const { filePath, manifest } = await createBackup({
      db: main,
      app: { name: 'main', version: '2.2.15' },
      plugin: { name: NAMESPACE, version: '0.0.0' },
      storage: storage(),
      archivesDir: paths().archives,
      tmpDir,
      fileName: 'main_parallel.nbbm',
      include: { uploads: false, plugins: false },
      excludeTableData: [],
      origin: 'manual',
      jobs: 2,
    });
    expect(manifest.formatVersion).toBe(2);
    expect(manifest.database).toMatchObject({ dump: 'db/main.dir', dumpFormat: 'directory', dumpJobs: 2 });
    const dumpEntries = (await readManifest(filePath)).entries.filter((e) => e.path.startsWith('db/'));
    // The table of contents and one data file per table with rows, each an entry checked by SHA-256.
    expect(dumpEntries.map((e) => e.path)).toContain('db/main.dir/toc.dat');
    expect(dumpEntries.filter((e) => /^db\/main\.dir\/\d+\.dat\.gz$/.test(e.path)).length).toBeGreaterThanOrEqual(3);
    expect(dumpEntries.every((e) => /^[0-9a-f]{64}$/.test(e.sha256))).toBe(true);
    // The private dump folder is gone with the backup.
    expect(fs.readdirSync(tmpDir)).toEqual([]);

    // The drill's path: the folder restored into a scratch database, counts as recorded.
    const report = await verifyBackup(filePath, { db: main, tmpDir: path.join(tmp, 'parallel', 'verify') });
    expect(report).toMatchObject({ ok: true, mismatches: [], missing: [] });

    await psql(DB, "DROP VIEW order_totals; DELETE FROM orders WHERE id > 5; INSERT INTO items VALUES (9); CREATE TABLE later (x int);");
    const staged = path.join(paths().tmp, 'probe', 'db', 'main.dir');
    fs.mkdirSync(staged, { recursive: true });
    expect(await restoreJobs(pg, staged, 2)).toBe(2);
    expect(await restoreJobs(pg, staged, 1)).toBe(1);

    await restore(filePath);
    expect(await state()).toBe(before);
    expect(await psql(DB, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'later'")).toBe('0\n');
    // The trigger came back working.
    await psql(DB, 'INSERT INTO orders (item_id, amount) VALUES (1, 1000)');
    expect(await psql(DB, 'SELECT total FROM totals WHERE item_id = 1')).toBe(`${100010000 + 1000}\n`);
  });

  it('restores an archive from before parallel dumps (one custom-format entry, no dumpFormat, format version 1)', async () => {
    const before = await state();
    const dumpFile = path.join(tmp, 'old-style.dump');
    await dump(main, dumpFile);
    const file = path.join(paths().archives, 'main_old-style.nbbm');
    const writer = await ArchiveWriter.create(file, { tmpDir: paths().tmp });
    await writer.addFile('db/main.dump', dumpFile);
    const tool = pg.parseToolVersion(await captureTool(pg.versionSpec()));
    const draft = buildManifest({
      createdAt: new Date().toISOString(),
      app: { name: 'main', version: '2.2.15' },
      plugin: { name: NAMESPACE, version: '0.0.0' },
      origin: 'manual',
      db: main,
      serverVersion: '15',
      tool,
      dump: 'db/main.dump',
      excludedTableData: [],
      parts: ['database'],
      apps: [],
      dataSources: [],
      skippedDataSources: [],
    });
    const { manifest } = await writer.finish(draft);
    expect(manifest.formatVersion).toBe(1);
    expect('dumpFormat' in manifest.database).toBe(false);

    await psql(DB, 'DELETE FROM orders; INSERT INTO items VALUES (10);');
    await restore(file);
    expect(await state()).toBe(before);
  });
});
