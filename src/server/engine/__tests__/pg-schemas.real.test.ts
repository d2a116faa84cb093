// PostgreSQL: the main application's backup and restore touch its own schema only, never the schemas of
// sub-applications living in the same database (issue 15, item 2). Real PostgreSQL 15 on 127.0.0.1.
import { randomBytes } from 'crypto';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { postgresDumper as pg } from '../../dumpers/postgres';
import type { DbConfig } from '../../dumpers/types';
import { captureTool, runTool } from '../../process/run';
import { restoreDump } from '../restore';

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
