// A dump the restore tool cannot read is refused before the database is touched (issue 15, item 4): real
// PostgreSQL 15 and MariaDB 10.11 on 127.0.0.1, no safety backup involved.
import { randomBytes } from 'crypto';
import fs from 'fs';
import os from 'os';
import path from 'path';
import type { DbConfig } from '../../dumpers/types';
import { captureTool, runTool } from '../../process/run';
import { restoreDump } from '../restore';

jest.setTimeout(120_000);

const id = randomBytes(4).toString('hex');
const PG_DB = `bm_hb_check_${id}`;
const MY_DB = `bm_hb_check_${id}`;
const pgDb: DbConfig = { dialect: 'postgres', host: '127.0.0.1', port: 5432, user: 'postgres', database: PG_DB };
const myDb: DbConfig = { dialect: 'mariadb', host: '127.0.0.1', port: 3306, user: 'root', database: MY_DB };

let tmp: string;

const psql = (database: string, sql: string) =>
  captureTool({ command: 'psql', args: ['-X', '-q', '-tA', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-U', 'postgres', '-d', database, '-c', sql], env: {} });
const maria = (sql: string, database?: string) =>
  captureTool({ command: 'mariadb', args: ['-h', '127.0.0.1', '-u', 'root', '-N', '-B', '-e', sql, ...(database ? [database] : [])], env: {} });

async function dumpInto(file: string, command: string, args: string[]) {
  const out = await fs.promises.open(file, 'w', 0o600);
  try {
    await runTool({ command, args, env: {} }, { stdout: out.fd });
  } finally {
    await out.close();
  }
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bm-hb-check-'));
  await psql('postgres', `CREATE DATABASE ${PG_DB}`);
  await psql(PG_DB, 'CREATE TABLE items (id int PRIMARY KEY, name text); INSERT INTO items SELECT g, $$n$$ || g FROM generate_series(1, 3) g;');
  await maria(`CREATE DATABASE ${MY_DB}`);
  await maria('CREATE TABLE items (id int PRIMARY KEY, name text); INSERT INTO items VALUES (1, "a"), (2, "b"), (3, "c");', MY_DB);
});

afterAll(async () => {
  await psql('postgres', `DROP DATABASE IF EXISTS ${PG_DB} WITH (FORCE)`);
  await maria(`DROP DATABASE IF EXISTS ${MY_DB}`);
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('PostgreSQL', () => {
  let good: string;
  beforeAll(async () => {
    good = path.join(tmp, 'good.dump');
    await dumpInto(good, 'pg_dump', ['-Fc', '-h', '127.0.0.1', '-U', 'postgres', PG_DB]);
  });

  it('refuses a custom-format dump of a newer archive version (a newer pg_dump) and keeps the database', async () => {
    const newer = path.join(tmp, 'newer.dump');
    const bytes = fs.readFileSync(good);
    // "PGDMP", then the archive format's major, minor, revision: 1.99 is no pg_restore's.
    bytes[6] = 99;
    fs.writeFileSync(newer, bytes);
    await expect(restoreDump(pgDb, newer, path.join(tmp, 'tools'))).rejects.toMatchObject({
      name: 'BackupError',
      code: 'DUMP_UNREADABLE',
      params: expect.objectContaining({ tool: 'pg_restore', detail: expect.stringMatching(/unsupported version \(1\.99/) }),
    });
    expect(await psql(PG_DB, 'SELECT count(*) FROM items')).toBe('3\n');
  });

  it('refuses garbage and keeps the database', async () => {
    const garbage = path.join(tmp, 'garbage.dump');
    fs.writeFileSync(garbage, randomBytes(4096));
    await expect(restoreDump(pgDb, garbage, path.join(tmp, 'tools'))).rejects.toMatchObject({ code: 'DUMP_UNREADABLE' });
    expect(await psql(PG_DB, 'SELECT count(*) FROM items')).toBe('3\n');
  });

  it('still restores a good dump', async () => {
    await psql(PG_DB, 'INSERT INTO items VALUES (4, $$later$$)');
    await restoreDump(pgDb, good, path.join(tmp, 'tools'));
    expect(await psql(PG_DB, 'SELECT count(*) FROM items')).toBe('3\n');
  });
});

describe('MariaDB', () => {
  let good: string;
  beforeAll(async () => {
    good = path.join(tmp, 'good.sql');
    await dumpInto(good, 'mariadb-dump', ['-h', '127.0.0.1', '-u', 'root', '--routines', '--triggers', MY_DB]);
  });

  it('refuses a file that is not a MariaDB/MySQL dump and keeps the database', async () => {
    const garbage = path.join(tmp, 'garbage.sql');
    fs.writeFileSync(garbage, fs.readFileSync(path.join(tmp, 'good.dump')));
    await expect(restoreDump(myDb, garbage, path.join(tmp, 'tools'))).rejects.toMatchObject({
      code: 'DUMP_UNREADABLE',
      params: expect.objectContaining({ tool: 'mariadb' }),
    });
    expect(await maria('SELECT count(*) FROM items', MY_DB)).toBe('3\n');
  });

  it('refuses an empty file and a truncated dump, and keeps the database', async () => {
    const empty = path.join(tmp, 'empty.sql');
    fs.writeFileSync(empty, '');
    await expect(restoreDump(myDb, empty, path.join(tmp, 'tools'))).rejects.toMatchObject({ code: 'DUMP_UNREADABLE' });
    const cut = path.join(tmp, 'cut.sql');
    const text = fs.readFileSync(good, 'utf8');
    fs.writeFileSync(cut, text.slice(0, text.indexOf('INSERT INTO')));
    await expect(restoreDump(myDb, cut, path.join(tmp, 'tools'))).rejects.toMatchObject({ code: 'DUMP_UNREADABLE' });
    expect(await maria('SELECT count(*) FROM items', MY_DB)).toBe('3\n');
  });

  it('still restores a good dump', async () => {
    await maria('INSERT INTO items VALUES (4, "later")', MY_DB);
    await restoreDump(myDb, good, path.join(tmp, 'tools'));
    expect(await maria('SELECT count(*) FROM items', MY_DB)).toBe('3\n');
  });
});
