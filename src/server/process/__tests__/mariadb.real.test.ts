// Real mariadb-dump/mariadb against the local MariaDB (127.0.0.1:3306, root without password).
import { randomBytes } from 'crypto';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { mariadbDumper as maria } from '../../dumpers/mariadb';
import { checkDump } from '../../engine/dump-check';
import { optionValue } from '../../dumpers/mysql-sql';
import type { CommandSpec, DbConfig, ToolInfo } from '../../dumpers/types';
import { ToolError, ToolNotFoundError } from '../errors';
import { captureTool, runTool } from '../run';
import { failure } from './failure';

jest.setTimeout(120_000);

// Characters an option file must escape or quote.
const PASSWORD = `Ma#ria"D\\b 's-${randomBytes(4).toString('hex')}`;
const id = randomBytes(4).toString('hex');
const SRC = `bm_unit_${id}_src`;
const DST = `bm_unit_${id}_dst`;
const USER = 'bm_unit';
const base: DbConfig = { dialect: 'mariadb', host: '127.0.0.1', port: 3306, user: USER, password: PASSWORD };
const src: DbConfig = { ...base, database: SRC };
const dst: DbConfig = { ...base, database: DST };

let tmp: string;
let tool: ToolInfo;

const root = (statement: string, database?: string) =>
  captureTool({
    command: 'mariadb',
    args: ['-h', '127.0.0.1', '-u', 'root', '-N', '-B', '-e', statement, ...(database ? [database] : [])],
    env: {},
  });
/** As the app's own user: it owns the routines, triggers and views it dumps, as in a real deployment. */
const asUser = (statement: string, database: string) => {
  const file = path.join(tmp, `setup-${randomBytes(4).toString('hex')}.cnf`);
  const content = `[client]\nuser=${USER}\npassword=${optionValue(PASSWORD)}\nhost=127.0.0.1\nprotocol=TCP\n`;
  return captureTool({
    command: 'mariadb',
    args: [`--defaults-extra-file=${file}`, '-e', statement, database],
    env: {},
    files: [{ path: file, content }],
  });
};
const literal = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

async function counts(cfg: DbConfig, using = tool): Promise<Record<string, number>> {
  const opts = { tmpDir: tmp };
  const tables = maria.parseTableList(await captureTool(maria.listTablesSpec(cfg, using, opts)));
  const result: Record<string, number> = {};
  for (const table of tables) {
    result[table] = maria.parseCount(await captureTool(maria.countRowsSpec(cfg, using, table, opts)));
  }
  return result;
}

type OnSpawn = (pid: number, spec: CommandSpec) => void;

async function dumpTo(file: string, using: ToolInfo, excludeTableData: string[], onSpawn?: OnSpawn) {
  const out = fs.createWriteStream(file);
  const plan = maria.dumpPlan(src, using, { tmpDir: tmp, excludeTableData });
  for (const spec of plan) await runTool(spec, { stdout: out, onSpawn: onSpawn && ((pid) => onSpawn(pid, spec)) });
  await new Promise<void>((resolve, reject) => out.end(() => resolve()).on('error', reject));
  return plan;
}

async function restore(file: string, using = tool) {
  // The statement check a restore runs first must let real dumps through (routines, triggers, views, events, data).
  await checkDump(dst, file, tmp);
  await runTool(maria.resetSpec(dst, using, { tmpDir: tmp }));
  const plan = maria.restoreSpec(dst, using, { tmpDir: tmp }, file);
  await runTool(plan.spec, { stdin: plan.stdinFile });
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bm-maria-'));
  fs.chmodSync(tmp, 0o700);
  tool = maria.parseToolVersion(await captureTool(maria.versionSpec()));
  await root(
    `CREATE DATABASE ${SRC} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
     CREATE DATABASE ${DST} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
     DROP USER IF EXISTS '${USER}'@'127.0.0.1';
     CREATE USER '${USER}'@'127.0.0.1' IDENTIFIED BY ${literal(PASSWORD)};
     GRANT ALL ON ${SRC}.* TO '${USER}'@'127.0.0.1';
     GRANT ALL ON ${DST}.* TO '${USER}'@'127.0.0.1';`,
  );
  await asUser(
    `CREATE TABLE items (id int AUTO_INCREMENT PRIMARY KEY, name varchar(100) NOT NULL, note text, payload blob);
     INSERT INTO items (name, note, payload)
       SELECT CONCAT('item ', seq), '日本語 ✓ ''q''', UNHEX(MD5(seq)) FROM seq_1_to_100000;
     CREATE TABLE audit (id int AUTO_INCREMENT PRIMARY KEY, item_id int);
     CREATE TRIGGER items_audit AFTER INSERT ON items FOR EACH ROW INSERT INTO audit (item_id) VALUES (NEW.id);
     INSERT INTO items (name) VALUES ('with trigger');
     CREATE FUNCTION twice(x int) RETURNS int DETERMINISTIC RETURN x * 2;
     CREATE VIEW item_names AS SELECT name FROM items;
     CREATE TABLE \`odd \`\`name\`\`.x\` (v varchar(10));
     INSERT INTO \`odd \`\`name\`\`.x\` VALUES ('a'), ('b');
     CREATE TABLE tricky (v text, b blob);
     INSERT INTO tricky VALUES
       ('a''; DROP DATABASE x; -- ', UNHEX('005C27225C6E0D0A1A')),
       ('line\nbreak \\ back */ /*!40101 USE x */ system id', NULL),
       ('\\! id > /tmp/bm-never', ''),
       ('${SRC}.items', UNHEX('FF'));
     CREATE EVENT purge_audit ON SCHEDULE EVERY 1 DAY DO DELETE FROM audit WHERE id < 0;
     CREATE TABLE runtime_locks (k varchar(20));
     INSERT INTO runtime_locks SELECT CONCAT('lock ', seq) FROM seq_1_to_10;`,
    SRC,
  );
  await asUser(
    `DELIMITER //
     CREATE PROCEDURE fill(n int)
     BEGIN
       DECLARE i int DEFAULT 0;
       lbl: WHILE i < n DO
         SET i = i + 1;
         IF i > 100 THEN LEAVE lbl; END IF;
       END WHILE lbl;
       SELECT CASE WHEN i > 1 THEN 'many' ELSE 'few' END;
     END //
     DELIMITER ;`,
    SRC,
  );
});

afterAll(async () => {
  await root(`DROP DATABASE IF EXISTS ${SRC}; DROP DATABASE IF EXISTS ${DST};`);
  await root(`DROP USER IF EXISTS '${USER}'@'127.0.0.1';`);
  fs.rmSync(tmp, { recursive: true, force: true });
});

it('detects the MariaDB flavour and server version', async () => {
  expect(tool.flavour).toBe('mariadb');
  const server = maria.parseServerVersion(await captureTool(maria.serverVersionSpec(src, tool, { tmpDir: tmp })));
  expect(server).toMatch(/MariaDB/);
});

it('dumps and restores through an option file; the password never reaches argv', async () => {
  const file = path.join(tmp, 'main.sql');
  const seen: { cmdline: string; mode: number; environ: string }[] = [];
  let optionFile = '';
  const plan = await dumpTo(file, tool, ['runtime_locks'], (pid, spec) => {
    optionFile = spec.files?.[0].path ?? '';
    seen.push({
      cmdline: fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8'),
      mode: fs.statSync(optionFile).mode & 0o777,
      environ: fs.readFileSync(`/proc/${pid}/environ`, 'utf8'),
    });
  });
  expect(plan).toHaveLength(1);
  expect(seen).toHaveLength(1);
  expect(seen[0].cmdline.split('\0')[1]).toBe(`--defaults-extra-file=${optionFile}`);
  expect(seen[0].cmdline).not.toContain(PASSWORD);
  expect(seen[0].environ).not.toContain(PASSWORD);
  expect(seen[0].mode).toBe(0o600);
  expect(fs.existsSync(optionFile)).toBe(false);
  expect(seen[0].cmdline).not.toMatch(/column-statistics|set-gtid-purged/);

  await root('CREATE TABLE created_later (x int); INSERT INTO created_later VALUES (1);', DST);
  await restore(file);

  const before = await counts(src);
  const after = await counts(dst);
  expect(before).toMatchObject({ items: 100001, audit: 1, 'odd `name`.x': 2, runtime_locks: 10, tricky: 4 });
  expect(after).toEqual({ ...before, runtime_locks: 0 });
  expect(after).not.toHaveProperty('created_later');
  const collation = `SELECT DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '${DST}'`;
  expect(await root(collation)).toBe('utf8mb4_unicode_ci\n');
  expect(await root('SELECT twice(21), (SELECT COUNT(*) FROM item_names)', DST)).toBe('42\t100001\n');
  expect(await root("SELECT note FROM items WHERE id = 1", DST)).toBe("日本語 ✓ 'q'\n");
  const tricky = 'SELECT MD5(GROUP_CONCAT(v, HEX(COALESCE(b, 0x00)) ORDER BY v)) FROM tricky';
  expect(await root(tricky, DST)).toBe(await root(tricky, SRC));
  expect(await root("SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE()", DST)).toBe('2\n');
  expect(await root("SELECT COUNT(*) FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE()", DST)).toBe('1\n');
  await root("INSERT INTO items (name) VALUES ('after restore')", DST);
  expect(await root('SELECT COUNT(*) FROM audit', DST)).toBe('2\n');
});

it('keeps excluded tables empty through the two-command plan of older clients', async () => {
  const old: ToolInfo = { ...tool, version: '10.4.10' };
  const file = path.join(tmp, 'two-pass.sql');
  const plan = await dumpTo(file, old, ['runtime_locks']);
  expect(plan).toHaveLength(2);
  await restore(file, old);
  const before = await counts(src);
  expect(await counts(dst)).toEqual({ ...before, runtime_locks: 0 });
});

it('fails with a scrubbed ToolError on a wrong password', async () => {
  const wrong = { ...src, password: `${PASSWORD}-wrong` };
  const error = await failure(captureTool(maria.serverVersionSpec(wrong, tool, { tmpDir: tmp })));
  expect(error).toBeInstanceOf(ToolError);
  expect(error.command).toBe('mariadb');
  expect(error.exitCode).toBe(1);
  expect(error.message).toMatch(/Access denied/);
  expect(error.message).not.toContain(PASSWORD);
  expect(fs.readdirSync(tmp).filter((f) => f.endsWith('.cnf'))).toEqual([]);
});

it('reports a missing client', async () => {
  const error = await failure(captureTool(maria.versionSpec({ dump: '/nonexistent/mariadb-dump' })));
  expect(error).toBeInstanceOf(ToolNotFoundError);
  expect(error.message).toContain('mariadb-dump was not found');
});
