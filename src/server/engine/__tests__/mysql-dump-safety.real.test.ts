// A MariaDB/MySQL dump is SQL fed to a client: it must not run shell commands nor write into another database,
// during Restore or Verify (issue 15, item 7). Real MariaDB 10.11 on 127.0.0.1, root without password.
import { randomBytes } from 'crypto';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { FORMAT_VERSION, NAMESPACE } from '../../../constants';
import { ArchiveWriter } from '../../archive/writer';
import { mariadbDumper as maria } from '../../dumpers/mariadb';
import type { DbConfig } from '../../dumpers/types';
import { captureTool, runTool } from '../../process/run';
import { restoreDump } from '../restore';
import { verifyBackup } from '../verify';

jest.setTimeout(120_000);

const id = randomBytes(4).toString('hex');
const TARGET = `bm_hb_safe_${id}`;
const OTHER = `bm_hb_other_${id}`;
const db: DbConfig = { dialect: 'mariadb', host: '127.0.0.1', port: 3306, user: 'root', database: TARGET };

let tmp: string;
let good: string;

const sql = (statement: string, database?: string) =>
  captureTool({ command: 'mariadb', args: ['-h', '127.0.0.1', '-u', 'root', '-N', '-B', '-e', statement, ...(database ? [database] : [])], env: {} });

/**
 * The good dump with `injected` placed after its header (before the first table), so only the injection is new.
 * Without the sandbox line MariaDB 10.11.8+ dumps start with: an attacker leaves it out.
 */
function crafted(name: string, injected: string): string {
  const text = fs.readFileSync(good, 'utf8').replace(/^\/\*M!999999\\- enable the sandbox mode \*\/ *\n/, '');
  expect(text.startsWith('-- MariaDB dump')).toBe(true);
  const at = text.indexOf('--\n-- Table structure');
  const file = path.join(tmp, `${name}.sql`);
  fs.writeFileSync(file, `${text.slice(0, at)}${injected}\n${text.slice(at)}`);
  return file;
}

async function untouched() {
  expect(await sql('SELECT count(*) FROM items', TARGET)).toBe('3\n');
  expect(await sql('SELECT count(*) FROM t', OTHER)).toBe('2\n');
  expect(await sql(`SELECT count(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'bm_hb_evil_${id}%'`)).toBe('0\n');
}

async function archiveOf(dump: string, name: string): Promise<string> {
  const file = path.join(tmp, `${name}.nbbm`);
  const writer = await ArchiveWriter.create(file, { tmpDir: path.join(tmp, 'w') });
  await writer.addFile('db/main.dump', dump);
  await writer.finish({
    createdAt: new Date().toISOString(),
    app: { name: 'main', version: '2.2.15' },
    plugin: { name: NAMESPACE, version: '0.0.0' },
    database: { dialect: 'mariadb', serverVersion: '10.11', tool: 'mariadb-dump', toolVersion: '10.11', dump: 'db/main.dump', excludedTableData: [], tables: { items: 3 } },
    parts: ['database'],
  });
  expect(FORMAT_VERSION).toBeGreaterThan(0);
  return file;
}

const marker = (name: string) => path.join(tmp, `marker-${name}`);

const ATTACKS: [string, (m: string) => string][] = [
  ['backslash-bang', (m) => `\\! touch ${m}`],
  ['system', (m) => `system touch ${m}`],
  ['system-after-statement', (m) => `SELECT 1;\nsystem touch ${m}\nSELECT 2;`],
  ['use', () => `USE ${OTHER};\nINSERT INTO t VALUES (99);`],
  ['use-in-versioned-comment', () => `/*!40101 USE ${OTHER} */;\nINSERT INTO t VALUES (99);`],
  ['qualified-insert', () => `INSERT INTO \`${OTHER}\`.t VALUES (98);`],
  ['qualified-spaced', () => `INSERT INTO ${OTHER} . t VALUES (97);`],
  ['create-database', () => `CREATE DATABASE bm_hb_evil_${id};`],
  ['drop-database', () => `DROP DATABASE ${OTHER};`],
  ['delimiter-trick', () => `DELIMITER $$\nSELECT 1 $$ USE ${OTHER} $$\nDELIMITER ;\nINSERT INTO t VALUES (96);`],
  ['prepared', () => `PREPARE s FROM CONCAT('DROP DATA', 'BASE ${OTHER}'); EXECUTE s;`],
  ['ansi-quotes', () => `SET sql_mode = 'ANSI_QUOTES';\nSELECT "a\\"; DROP DATABASE ${OTHER}; -- ";`],
  ['no-backslash-escapes', () => `SET sql_mode = 'NO_BACKSLASH_ESCAPES';\nSELECT 'a\\'; DROP DATABASE ${OTHER}; -- ';`],
  ['charset', () => `SET NAMES gbk;`],
  ['outfile', (m) => `SELECT 1 INTO OUTFILE '${m}';`],
  ['grant', () => `GRANT ALL ON *.* TO 'x'@'%';`],
];

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bm-hb-safe-'));
  await sql(`CREATE DATABASE ${TARGET}; CREATE DATABASE ${OTHER};`);
  await sql('CREATE TABLE items (id int PRIMARY KEY, name text); INSERT INTO items VALUES (1, "a"), (2, "b"), (3, "c");', TARGET);
  await sql('CREATE TABLE t (n int); INSERT INTO t VALUES (1), (2);', OTHER);
  good = path.join(tmp, 'good.sql');
  const out = await fs.promises.open(good, 'w', 0o600);
  try {
    await runTool({ command: 'mariadb-dump', args: ['-h', '127.0.0.1', '-u', 'root', '--routines', '--triggers', '--events', '--hex-blob', TARGET], env: {} }, { stdout: out.fd });
  } finally {
    await out.close();
  }
});

afterAll(async () => {
  await sql(`DROP DATABASE IF EXISTS ${TARGET}; DROP DATABASE IF EXISTS ${OTHER}; DROP DATABASE IF EXISTS bm_hb_evil_${id};`);
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('restore', () => {
  it.each(ATTACKS)('refuses a dump with %s before any change; nothing runs', async (name, inject) => {
    const m = marker(`restore-${name}`);
    const file = crafted(`restore-${name}`, inject(m));
    await expect(restoreDump(db, file, path.join(tmp, 'tools'))).rejects.toMatchObject({ name: 'BackupError', code: 'DUMP_UNSAFE' });
    expect(fs.existsSync(m)).toBe(false);
    await untouched();
  });

  it('the client itself runs no shell command even when handed such a dump', async () => {
    const m = marker('client');
    const file = crafted('client', `\\! touch ${m}\nsystem touch ${m}`);
    const tool = maria.parseToolVersion(await captureTool(maria.versionSpec()));
    const scratch = `bm_hb_client_${id}`;
    await sql(`CREATE DATABASE ${scratch}`);
    try {
      const plan = maria.restoreSpec({ ...db, database: scratch }, tool, { tmpDir: tmp }, file);
      await expect(runTool(plan.spec, { stdin: plan.stdinFile })).rejects.toThrow();
    } finally {
      await sql(`DROP DATABASE ${scratch}`);
    }
    expect(fs.existsSync(m)).toBe(false);
  });

  it('still restores the real dump', async () => {
    await sql('INSERT INTO items VALUES (4, "later")', TARGET);
    await restoreDump(db, good, path.join(tmp, 'tools'));
    await untouched();
  });
});

describe('verify', () => {
  it.each(ATTACKS)('refuses a dump with %s; nothing runs, no other database is written', async (name, inject) => {
    const m = marker(`verify-${name}`);
    const archive = await archiveOf(crafted(`verify-${name}`, inject(m)), `verify-${name}`);
    await expect(verifyBackup(archive, { db, tmpDir: path.join(tmp, `v-${name}`) })).rejects.toMatchObject({ code: 'DUMP_UNSAFE' });
    expect(fs.existsSync(m)).toBe(false);
    await untouched();
  });

  it('refuses a dump naming the application database itself (another database than the scratch copy)', async () => {
    const archive = await archiveOf(crafted('verify-app', `INSERT INTO ${TARGET}.items VALUES (5, 'x');`), 'verify-app');
    await expect(verifyBackup(archive, { db, tmpDir: path.join(tmp, 'v-app') })).rejects.toMatchObject({ code: 'DUMP_UNSAFE' });
    await untouched();
  });

  it('still verifies the real dump', async () => {
    const report = await verifyBackup(await archiveOf(good, 'verify-good'), { db, tmpDir: path.join(tmp, 'v-good') });
    expect(report.ok).toBe(true);
  });
});
