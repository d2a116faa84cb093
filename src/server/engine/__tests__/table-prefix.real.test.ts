// DB_TABLE_PREFIX: an application sharing its database (MariaDB) or schema (PostgreSQL) with another one backs up and
// replaces its own tables only (issue 15, item 3). Real PostgreSQL 15 and MariaDB 10.11 on 127.0.0.1.
import { randomBytes } from 'crypto';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { NAMESPACE } from '../../../constants';
import { readManifest } from '../../archive/reader';
import type { DbConfig } from '../../dumpers/types';
import { captureTool, runTool } from '../../process/run';
import { createBackup } from '../backup';
import { restoreDump, stageArchive } from '../restore';
import { verifyBackup } from '../verify';

jest.setTimeout(180_000);

const id = randomBytes(4).toString('hex');
const NAME = `bm_hb_prefix_${id}`;
const PREFIX = 'nb_';

let tmp: string;

const psql = (sql: string) =>
  captureTool({ command: 'psql', args: ['-X', '-q', '-tA', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-U', 'postgres', '-d', NAME, '-c', sql], env: {} });
const maria = (sql: string, database: string | null = NAME) =>
  captureTool({ command: 'mariadb', args: ['-h', '127.0.0.1', '-u', 'root', '-N', '-B', '-e', sql, ...(database ? [database] : [])], env: {} });

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bm-hb-prefix-'));
});

afterAll(async () => {
  await captureTool({ command: 'psql', args: ['-X', '-q', '-h', '127.0.0.1', '-U', 'postgres', '-d', 'postgres', '-c', `DROP DATABASE IF EXISTS ${NAME} WITH (FORCE)`], env: {} });
  await maria(`DROP DATABASE IF EXISTS ${NAME}`, null);
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function backUp(db: DbConfig, label: string) {
  const storage = path.join(tmp, `${label}-storage`);
  fs.mkdirSync(storage, { recursive: true });
  const result = await createBackup({
    db,
    app: { name: 'main', version: '2.2.15' },
    plugin: { name: NAMESPACE, version: '0.0.0' },
    storage,
    archivesDir: path.join(tmp, `${label}-archives`),
    tmpDir: path.join(tmp, `${label}-tmp`),
    fileName: `${label}.nbbm`,
    include: { uploads: false, plugins: false },
    excludeTableData: [],
    origin: 'manual',
  });
  const staging = path.join(tmp, `${label}-staging`);
  await stageArchive(result.filePath, await readManifest(result.filePath), staging);
  return { ...result, dump: path.join(staging, result.manifest.database.dump) };
}

const cases: {
  dialect: 'postgres' | 'mariadb';
  db: DbConfig;
  setUp: () => Promise<unknown>;
  sql: (s: string) => Promise<string>;
  dumpWhole: (file: string) => Promise<unknown>;
  dumpText: (file: string) => Promise<string>;
}[] = [
  {
    dialect: 'postgres',
    db: { dialect: 'postgres', host: '127.0.0.1', port: 5432, user: 'postgres', database: NAME, tablePrefix: PREFIX },
    setUp: async () => {
      await captureTool({ command: 'psql', args: ['-X', '-q', '-h', '127.0.0.1', '-U', 'postgres', '-d', 'postgres', '-c', `CREATE DATABASE ${NAME}`], env: {} });
      await psql(
        `CREATE TABLE nb_items (id serial PRIMARY KEY, name text); INSERT INTO nb_items (name) VALUES ('a'), ('b'), ('c');
         CREATE TABLE nb_links (id serial PRIMARY KEY, item int REFERENCES nb_items(id)); INSERT INTO nb_links (item) VALUES (1);
         CREATE TABLE other_orders (id int PRIMARY KEY); INSERT INTO other_orders VALUES (1), (2);
         CREATE VIEW other_view AS SELECT id FROM other_orders;`,
      );
    },
    sql: psql,
    dumpWhole: (file) => runTool({ command: 'pg_dump', args: ['-Fc', '-h', '127.0.0.1', '-U', 'postgres', '-f', file, NAME], env: {} }),
    dumpText: (file) => captureTool({ command: 'pg_restore', args: ['-l', file], env: {} }),
  },
  {
    dialect: 'mariadb',
    db: { dialect: 'mariadb', host: '127.0.0.1', port: 3306, user: 'root', database: NAME, tablePrefix: PREFIX },
    setUp: async () => {
      await maria(`CREATE DATABASE ${NAME}`, null);
      await maria(
        `CREATE TABLE nb_items (id int AUTO_INCREMENT PRIMARY KEY, name text); INSERT INTO nb_items (name) VALUES ('a'), ('b'), ('c');
         CREATE TABLE nb_links (id int AUTO_INCREMENT PRIMARY KEY, item int, FOREIGN KEY (item) REFERENCES nb_items(id)); INSERT INTO nb_links (item) VALUES (1);
         CREATE TABLE other_orders (id int PRIMARY KEY); INSERT INTO other_orders VALUES (1), (2);
         CREATE VIEW other_view AS SELECT id FROM other_orders;
         CREATE FUNCTION other_fn() RETURNS int DETERMINISTIC RETURN 1;`,
      );
    },
    sql: (s) => maria(s),
    dumpWhole: async (file) => {
      const out = await fs.promises.open(file, 'w', 0o600);
      try {
        await runTool({ command: 'mariadb-dump', args: ['-h', '127.0.0.1', '-u', 'root', '--routines', NAME], env: {} }, { stdout: out.fd });
      } finally {
        await out.close();
      }
    },
    dumpText: async (file) => fs.promises.readFile(file, 'utf8'),
  },
];

describe.each(cases)('$dialect', ({ dialect, db, setUp, sql, dumpWhole, dumpText }) => {
  beforeAll(setUp);

  it("backs up and replaces the application's prefixed tables only", async () => {
    const backup = await backUp(db, dialect);
    expect(Object.keys(backup.manifest.database.tables ?? {})).toEqual(['nb_items', 'nb_links']);
    const text = await dumpText(backup.dump);
    expect(text).toMatch(/nb_items/);
    expect(text).not.toMatch(/other_orders|other_view|other_fn/);

    await sql("INSERT INTO nb_items (name) VALUES ('later'); CREATE TABLE nb_later (x int); INSERT INTO other_orders VALUES (3); CREATE TABLE other_new (x int);");
    await restoreDump(db, backup.dump, path.join(tmp, `${dialect}-tools`));

    expect(await sql('SELECT count(*) FROM nb_items')).toBe('3\n');
    expect(await sql('SELECT count(*) FROM nb_links')).toBe('1\n');
    expect(await sql('SELECT count(*) FROM other_orders')).toBe('3\n');
    expect(await sql('SELECT count(*) FROM other_view')).toBe('3\n');
    expect(await sql('SELECT count(*) FROM other_new')).toBe('0\n');
    const later = dialect === 'postgres' ? "SELECT to_regclass('nb_later') IS NULL" : "SELECT COUNT(*) = 0 FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'nb_later'";
    expect(await sql(later)).toMatch(/^(t|1)\n$/);

    const report = await verifyBackup(path.join(tmp, `${dialect}-archives`, `${dialect}.nbbm`), { db, tmpDir: path.join(tmp, `${dialect}-verify`) });
    expect(report).toMatchObject({ ok: true, missing: [], mismatches: [] });
  });

  it("refuses a dump that holds other applications' tables, before any change", async () => {
    const whole = path.join(tmp, `${dialect}-whole.dump`);
    await dumpWhole(whole);
    await sql("INSERT INTO other_orders VALUES (4); INSERT INTO nb_items (name) VALUES ('kept');");
    await expect(restoreDump(db, whole, path.join(tmp, `${dialect}-tools`))).rejects.toMatchObject({
      code: 'TABLE_PREFIX_FOREIGN',
      params: expect.objectContaining({ prefix: PREFIX, tables: expect.stringContaining('other_orders') }),
    });
    expect(await sql('SELECT count(*) FROM other_orders')).toBe('4\n');
    expect(await sql('SELECT count(*) FROM nb_items')).toBe('4\n');
  });
});
