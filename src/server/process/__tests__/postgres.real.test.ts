// Real pg_dump/pg_restore/psql against the local PostgreSQL (127.0.0.1:5432, trust auth, user postgres).
import { randomBytes } from 'crypto';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { postgresDumper as pg } from '../../dumpers/postgres';
import type { DbConfig, ToolInfo } from '../../dumpers/types';
import { ToolError, ToolNotFoundError } from '../errors';
import { captureTool, runTool } from '../run';
import { failure } from './failure';

jest.setTimeout(120_000);

const PASSWORD = 'Pg-S3cret-' + randomBytes(4).toString('hex');
const id = randomBytes(4).toString('hex');
const SRC = `bm_unit_${id}_src`;
const DST = `bm_unit_${id}_dst`;
const base: DbConfig = { dialect: 'postgres', host: '127.0.0.1', port: 5432, user: 'postgres', password: PASSWORD };
const src: DbConfig = { ...base, database: SRC };
const dst: DbConfig = { ...base, database: DST };

let tmp: string;
let tool: ToolInfo;

const PSQL = ['-X', '-q', '-tA', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-U', 'postgres'];
/** Admin SQL through psql (tests may build specs by hand). */
const sql = (database: string, query: string) =>
  captureTool({
    command: 'psql',
    args: [...PSQL, '-d', database, '-c', query],
    env: {},
  });

async function counts(cfg: DbConfig): Promise<Record<string, number>> {
  const tables = pg.parseTableList(await captureTool(pg.listTablesSpec(cfg, tool)));
  const result: Record<string, number> = {};
  for (const table of tables) result[table] = pg.parseCount(await captureTool(pg.countRowsSpec(cfg, tool, table)));
  return result;
}

async function dumpTo(cfg: DbConfig, file: string, excludeTableData: string[], onSpawn?: (pid: number) => void) {
  const out = fs.createWriteStream(file);
  for (const spec of pg.dumpPlan(cfg, tool, { tmpDir: tmp, excludeTableData })) {
    await runTool(spec, { stdout: out, onSpawn });
  }
  await new Promise<void>((resolve, reject) => out.end(() => resolve()).on('error', reject));
}

async function restore(cfg: DbConfig, file: string) {
  await runTool(pg.resetSpec(cfg, tool, { tmpDir: tmp }));
  const plan = pg.restoreSpec(cfg, tool, { tmpDir: tmp }, file);
  await runTool(plan.spec, { stdin: plan.stdinFile });
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bm-pg-'));
  tool = pg.parseToolVersion(await captureTool(pg.versionSpec()));
  await sql('postgres', `CREATE DATABASE ${SRC}`);
  await sql('postgres', `CREATE DATABASE ${DST}`);
  await sql(
    SRC,
    `CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL, payload bytea);
     INSERT INTO items (name, payload)
       SELECT 'item ' || g, decode(md5(g::text), 'hex') FROM generate_series(1, 200000) g;
     CREATE TABLE audit (id serial PRIMARY KEY, item_id int, at timestamptz DEFAULT now());
     CREATE FUNCTION log_item() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN INSERT INTO audit (item_id) VALUES (NEW.id); RETURN NEW; END $$;
     CREATE TRIGGER items_audit AFTER INSERT ON items FOR EACH ROW EXECUTE FUNCTION log_item();
     INSERT INTO items (name) VALUES ('with trigger');
     CREATE VIEW item_names AS SELECT name FROM items;
     CREATE TABLE "Odd ""Name"".x" (v text);
     INSERT INTO "Odd ""Name"".x" VALUES ('a'), ('b');
     CREATE TABLE runtime_locks (k text);
     INSERT INTO runtime_locks SELECT 'lock ' || g FROM generate_series(1, 10) g;
     CREATE SCHEMA "app ""s""";
     CREATE TABLE "app ""s""".things (n int);
     INSERT INTO "app ""s""".things SELECT generate_series(1, 5);
     CREATE TABLE "app ""s""".cache (n int);
     INSERT INTO "app ""s""".cache SELECT generate_series(1, 3);`,
  );
});

afterAll(async () => {
  for (const db of [SRC, DST]) await sql('postgres', `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
  fs.rmSync(tmp, { recursive: true, force: true });
});

it('reads the tool and server versions', async () => {
  expect(tool.version).toMatch(/^\d+\.\d+/);
  const server = pg.parseServerVersion(await captureTool(pg.serverVersionSpec(src, tool)));
  expect(server).toMatch(/^\d+\.\d+/);
  expect(pg.clientTooOld(tool.version, server)).toBeNull();
});

it('dumps and restores a whole database; the password never reaches argv', async () => {
  const file = path.join(tmp, 'whole.dump');
  const seen: { cmdline: string; environ: string }[] = [];
  process.env.DB_PASSWORD = 'server-own-password';
  try {
    await dumpTo(src, file, ['runtime_locks'], (pid) => {
      seen.push({
        cmdline: fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8'),
        environ: fs.readFileSync(`/proc/${pid}/environ`, 'utf8'),
      });
    });
  } finally {
    delete process.env.DB_PASSWORD;
  }
  expect(seen).toHaveLength(1);
  expect(seen[0].cmdline).toContain('pg_dump');
  expect(seen[0].cmdline).toContain(SRC);
  expect(seen[0].cmdline).not.toContain(PASSWORD);
  expect(seen[0].environ.split('\0')).toContain(`PGPASSWORD=${PASSWORD}`);
  expect(seen[0].environ).not.toContain('server-own-password');
  expect(fs.statSync(file).size).toBeGreaterThan(1000);

  // A table created after the backup must not survive the restore.
  await sql(DST, 'CREATE TABLE created_later (x int); INSERT INTO created_later VALUES (1);');
  await restore(dst, file);

  const before = await counts(src);
  const after = await counts(dst);
  expect(before).toMatchObject({ items: 200001, audit: 1, 'Odd "Name".x': 2, runtime_locks: 10 });
  expect(after).toEqual({ ...before, runtime_locks: 0 });
  expect(after).not.toHaveProperty('created_later');
  expect(await sql(DST, 'SELECT count(*) FROM item_names')).toBe('200001\n');
  // The trigger and its function came back too.
  await sql(DST, "INSERT INTO items (name) VALUES ('after restore')");
  expect(await sql(DST, 'SELECT count(*) FROM audit')).toBe('2\n');
});

it('dumps and restores one schema with an odd name', async () => {
  const schema = 'app "s"';
  const file = path.join(tmp, 'schema.dump');
  await dumpTo({ ...src, schema }, file, ['cache']);
  await sql(DST, 'CREATE SCHEMA IF NOT EXISTS "app ""s"""; CREATE TABLE "app ""s""".stray (x int);');
  await restore({ ...dst, schema }, file);
  expect(await counts({ ...dst, schema })).toEqual({ cache: 0, things: 5 });
  expect(await counts({ ...src, schema })).toEqual({ cache: 3, things: 5 });
});

it('fails with a scrubbed ToolError on a wrong database', async () => {
  const error = await failure(runTool(pg.dumpSpec({ ...src, database: `${SRC}_missing` }, tool, { tmpDir: tmp })));
  expect(error).toBeInstanceOf(ToolError);
  expect(error.command).toBe('pg_dump');
  expect(error.exitCode).toBe(1);
  expect(error.message).toMatch(/does not exist/);
  expect(error.message).not.toContain(PASSWORD);
});

it('reports a missing dump tool', async () => {
  const error = await failure(captureTool(pg.versionSpec({ dump: '/nonexistent/bin/pg_dump' })));
  expect(error).toBeInstanceOf(ToolNotFoundError);
  expect(error).toMatchObject({ command: 'pg_dump', exitCode: null });
  expect(error.message).toContain('pg_dump was not found');
});
