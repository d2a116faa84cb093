import { mariadbDumper as maria } from '../mariadb';
import { parseRowCounts } from '../parse';
import { postgresDumper as pg } from '../postgres';
import type { CommandSpec, DbConfig } from '../types';

// Verify's scratch database and the batched row counts behind the manifest's `tables`.
const pgCfg: DbConfig = {
  dialect: 'postgres',
  host: 'db',
  port: 5432,
  user: 'nb',
  password: 'pw-S3cret!',
  database: 'nocobase',
};
const pgTool = pg.parseToolVersion('pg_dump (PostgreSQL) 15.19');
const myCfg: DbConfig = {
  dialect: 'mariadb',
  host: 'db',
  port: 3306,
  user: 'nb',
  password: 'pw-S3cret!',
  database: 'nocobase',
};
const myTool = maria.parseToolVersion(
  'mariadb-dump  Ver 10.19 Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)',
);
const opts = { tmpDir: '/tmp/bm' };

const sqlOf = (spec: CommandSpec) => spec.args[spec.args.indexOf(spec.args.includes('-c') ? '-c' : '-e') + 1];
const noSecret = (spec: CommandSpec) => expect(spec.args.join(' ')).not.toContain('pw-S3cret!');

describe('scratch databases', () => {
  it('postgres: creates and drops through psql connected to the app database, quoting the name', () => {
    const create = pg.createDatabaseSpec(pgCfg, pgTool, 'bm_verify_0a1b', opts);
    expect(create.command).toBe('psql');
    expect(create.args).toEqual(expect.arrayContaining(['-X', '-v', 'ON_ERROR_STOP=1', '-d', 'nocobase']));
    expect(sqlOf(create)).toBe('CREATE DATABASE "bm_verify_0a1b"');
    expect(create.env).toEqual({ PGPASSWORD: 'pw-S3cret!' });
    noSecret(create);
    expect(sqlOf(pg.dropDatabaseSpec(pgCfg, pgTool, 'we"ird', opts))).toBe('DROP DATABASE IF EXISTS "we""ird"');
  });

  it('mariadb: creates utf8mb4 and drops with backquoted names, credentials in the option file', () => {
    const create = maria.createDatabaseSpec(myCfg, myTool, 'bm_verify_0a1b', opts);
    expect(create.command).toBe('mariadb');
    expect(sqlOf(create)).toBe('CREATE DATABASE `bm_verify_0a1b` CHARACTER SET utf8mb4');
    // No database argument: the client must not need the scratch database to exist.
    expect(create.args[create.args.length - 1]).toBe(sqlOf(create));
    noSecret(create);
    expect(sqlOf(maria.dropDatabaseSpec(myCfg, myTool, 'we`ird', opts))).toBe('DROP DATABASE IF EXISTS `we``ird`');
  });

  it('refuses to drop the configured database', () => {
    expect(() => pg.dropDatabaseSpec(pgCfg, pgTool, 'nocobase', opts)).toThrow(/configured database/);
    expect(() => maria.dropDatabaseSpec(myCfg, myTool, 'nocobase', opts)).toThrow(/configured database/);
  });
});

describe('batched row counts', () => {
  const tables = ['users', 'we"ird', 'a`b', '__proto__'];

  it('postgres: one UNION ALL query over the schema, rows identified by index', () => {
    const spec = pg.countRowsBatchSpec({ ...pgCfg, schema: 'nb' }, pgTool, tables, opts);
    expect(spec.args).toEqual(expect.arrayContaining(['-t', '-A', '-d', 'nocobase']));
    expect(sqlOf(spec)).toBe(
      'SELECT 0 AS bm_index, count(*) AS bm_count FROM "nb"."users" UNION ALL SELECT 1 AS bm_index, count(*) AS bm_count FROM "nb"."we""ird" UNION ALL ' +
        'SELECT 2 AS bm_index, count(*) AS bm_count FROM "nb"."a`b" UNION ALL SELECT 3 AS bm_index, count(*) AS bm_count FROM "nb"."__proto__"',
    );
    expect(sqlOf(pg.countRowsBatchSpec(pgCfg, pgTool, ['t'], opts))).toBe('SELECT 0 AS bm_index, count(*) AS bm_count FROM "public"."t"');
    expect(() => pg.countRowsBatchSpec(pgCfg, pgTool, [], opts)).toThrow();
  });

  it('mariadb: the same in the configured database', () => {
    const spec = maria.countRowsBatchSpec(myCfg, myTool, tables.slice(0, 3), opts);
    expect(sqlOf(spec)).toBe(
      'SELECT 0 AS bm_index, COUNT(*) AS bm_count FROM `users` UNION ALL SELECT 1 AS bm_index, COUNT(*) AS bm_count FROM `we"ird` UNION ALL ' +
        'SELECT 2 AS bm_index, COUNT(*) AS bm_count FROM `a``b`',
    );
    expect(spec.args[spec.args.length - 1]).toBe('nocobase');
  });

  it('parses psql and mysql output back to names, in any order', () => {
    const counts = parseRowCounts('3|0\n1|12\n0|5\n2|7\n', tables);
    expect(counts).toEqual({ users: 5, 'we"ird': 12, 'a`b': 7, ['__proto__']: 0 });
    expect(Object.prototype.hasOwnProperty.call(counts, '__proto__')).toBe(true);
    expect(parseRowCounts('1\t9\n0\t4\n', ['a', 'b'])).toEqual({ a: 4, b: 9 });
  });

  it('refuses incomplete or unexpected output', () => {
    expect(() => parseRowCounts('0|5\n', ['a', 'b'])).toThrow(/No row count for b/);
    expect(() => parseRowCounts('0|5\n7|1\n', ['a'])).toThrow(/Unexpected/);
    expect(() => parseRowCounts('ERROR\n', ['a'])).toThrow(/Unexpected/);
  });
});
