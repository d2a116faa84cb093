import os from 'os';
import { mariadbDumper as maria } from '../mariadb';
import { mysqlDumper as my, parseMysqlToolVersion, supportsIgnoreTableData, supportsSandbox } from '../mysql';
import type { CommandSpec, DbConfig, ToolInfo } from '../types';

const MARIADB_10_11 = 'mariadb-dump  Ver 10.19 Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)\n';
const MYSQL_8 = 'mysqldump  Ver 8.0.36 for Linux on x86_64 (MySQL Community Server - GPL)\n';
const MYSQL_5_7 = 'mysqldump  Ver 10.13 Distrib 5.7.44, for Linux (x86_64)\n';

const password = 'p#w"d\\ \'x';
const cfg: DbConfig = { dialect: 'mariadb', host: 'db', port: 3307, user: 'nocobase', password, database: 'nocobase' };
const opts = { tmpDir: '/tmp/bm' };
const mariaTool = maria.parseToolVersion(MARIADB_10_11);
const mysqlTool = my.parseToolVersion(MYSQL_8);

const FLAGS = ['--default-character-set=utf8mb4', '--no-tablespaces', '--max-allowed-packet=1073741824'];
const DUMP = ['--single-transaction', '--routines', '--triggers', '--events', '--hex-blob'];

/** Checks the option-file plumbing and returns the arguments after it. */
function restOf(spec: CommandSpec, tmpDir = opts.tmpDir): string[] {
  const [first, ...rest] = spec.args;
  const file = first.replace('--defaults-extra-file=', '');
  expect(first.startsWith('--defaults-extra-file=')).toBe(true);
  expect(file.startsWith(`${tmpDir}/`) && file.endsWith('.cnf')).toBe(true);
  expect(spec.files).toEqual([{ path: file, content: expect.stringContaining('[client]\n') }]);
  expect(spec.env).toEqual({ HOME: tmpDir });
  expect(spec.args.join('\0')).not.toContain(password);
  expect(JSON.stringify(spec.env)).not.toContain(password);
  return rest;
}

describe('mysql family tool versions', () => {
  it.each([
    [MARIADB_10_11.trim(), '10.11.19', 'mariadb'],
    ['mysqldump  Ver 10.19 Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)', '10.11.19', 'mariadb'],
    ['mariadb-dump from 11.4.2-MariaDB, client 10.19 for debian-linux-gnu (x86_64)', '11.4.2', 'mariadb'],
    [MYSQL_8.trim(), '8.0.36', 'mysql'],
    [MYSQL_5_7.trim(), '5.7.44', 'mysql'],
    ["mysqldump  Ver 8.0.35-27 for Linux on x86_64 (Percona Server (GPL), Release '27', Revision '2f8eeab2')", '8.0.35', 'mysql'],
    ['mysqldump  Ver 8.4.2 for Linux on aarch64 (MySQL Community Server - GPL)', '8.4.2', 'mysql'],
  ])('parses %s', (stdout, version, flavour) => {
    expect(parseMysqlToolVersion(stdout)).toEqual({ version, flavour });
  });

  it('rejects unknown output', () => {
    expect(() => parseMysqlToolVersion('command not found')).toThrow(/Unrecognised/);
  });

  it('defaults the tools per dialect and pairs the client with the dump tool', () => {
    expect(maria.versionSpec()).toEqual({ command: 'mariadb-dump', args: ['--version'], env: {} });
    expect(my.versionSpec()).toEqual({ command: 'mysqldump', args: ['--version'], env: {} });
    expect(mariaTool).toEqual({
      command: 'mariadb-dump',
      version: '10.11.19',
      flavour: 'mariadb',
      tools: { dump: 'mariadb-dump', restore: 'mariadb', client: 'mariadb' },
    });
    expect(mysqlTool.tools).toEqual({ dump: 'mysqldump', restore: 'mysql', client: 'mysql' });
    expect(maria.parseToolVersion(MYSQL_8, { dump: '/opt/mysql/bin/mysqldump' }).tools).toEqual({
      dump: '/opt/mysql/bin/mysqldump',
      restore: '/opt/mysql/bin/mysql',
      client: '/opt/mysql/bin/mysql',
    });
    expect(my.parseToolVersion(MARIADB_10_11, { dump: 'mariadb-dump' }).tools?.client).toBe('mariadb');
  });

  it('knows which clients support --ignore-table-data', () => {
    const t = (version: string, flavour = 'mariadb') => supportsIgnoreTableData({ command: 'x', version, flavour });
    expect(t('10.11.19')).toBe(true);
    expect(t('11.4.2')).toBe(true);
    expect(t('10.6.0')).toBe(true);
    expect(t('10.5.8')).toBe(true);
    expect(t('10.5.4')).toBe(false);
    expect(t('10.4.10')).toBe(false);
    expect(t('10.0.38')).toBe(false);
    expect(t('8.0.36', 'mysql')).toBe(false);
  });
});

describe('mariadb dumpSpec', () => {
  it('puts the option file first and the credentials only in it', () => {
    const spec = maria.dumpSpec(cfg, mariaTool, { ...opts, excludeTableData: ['sessions', 'odd.name'] });
    expect(spec.command).toBe('mariadb-dump');
    expect(restOf(spec)).toEqual([
      ...DUMP,
      ...FLAGS,
      '--ignore-table-data=nocobase.sessions',
      '--ignore-table-data=nocobase.odd.name',
      'nocobase',
    ]);
    expect(spec.args.join(' ')).not.toMatch(/--column-statistics|--set-gtid-purged/);
    expect(spec.files?.[0].content).toBe(
      '[client]\nuser="nocobase"\npassword="p#w\\"d\\\\ \'x"\nhost="db"\nprotocol=TCP\nport=3307\n',
    );
    expect(spec.secrets).toEqual([password]);
  });

  it('uses a fresh option file name each time', () => {
    const name = () => maria.dumpSpec(cfg, mariaTool, opts).files?.[0].path;
    expect(name()).not.toBe(name());
  });

  it('writes no password, host or protocol lines when they are not set', () => {
    const spec = maria.dumpSpec({ dialect: 'mariadb', database: 'db' }, mariaTool, opts);
    expect(spec.files?.[0].content).toBe('[client]\nport=3306\n');
    expect(spec.secrets).toEqual([]);
  });

  it('escapes newlines and tabs in option values', () => {
    const spec = maria.dumpSpec({ ...cfg, password: 'a\nb\tc' }, mariaTool, opts);
    expect(spec.files?.[0].content).toContain('password="a\\nb\\tc"\n');
  });

  it('ends options before a database name starting with a dash', () => {
    expect(restOf(maria.dumpSpec({ ...cfg, database: '-db' }, mariaTool, opts)).slice(-2)).toEqual(['--', '-db']);
  });

  it('needs one command when --ignore-table-data is supported', () => {
    expect(maria.dumpPlan(cfg, mariaTool, { ...opts, excludeTableData: ['sessions'] })).toHaveLength(1);
  });

  it('falls back to a second --no-data dump on old MariaDB clients', () => {
    const old: ToolInfo = { ...mariaTool, version: '10.4.10' };
    const [main, schemaOnly] = maria.dumpPlan(cfg, old, { ...opts, excludeTableData: ['sessions', '-x'] });
    const ignored = ['--ignore-table=nocobase.sessions', '--ignore-table=nocobase.-x'];
    expect(restOf(main)).toEqual([...DUMP, ...FLAGS, ...ignored, 'nocobase']);
    const schemaFlags = ['--single-transaction', '--no-data', '--triggers', ...FLAGS];
    expect(restOf(schemaOnly)).toEqual([...schemaFlags, '--', 'nocobase', 'sessions', '-x']);
  });
});

describe('mysql dumpSpec', () => {
  const mcfg: DbConfig = { ...cfg, dialect: 'mysql' };

  it('adds --column-statistics=0 and --set-gtid-purged=OFF for MySQL 8 clients', () => {
    const spec = my.dumpSpec(mcfg, mysqlTool, opts);
    expect(spec.command).toBe('mysqldump');
    expect(restOf(spec)).toEqual([...DUMP, ...FLAGS, '--column-statistics=0', '--set-gtid-purged=OFF', 'nocobase']);
  });

  it('adds only --set-gtid-purged=OFF for MySQL 5.7 clients', () => {
    const rest = restOf(my.dumpSpec(mcfg, my.parseToolVersion(MYSQL_5_7), opts));
    expect(rest).toContain('--set-gtid-purged=OFF');
    expect(rest).not.toContain('--column-statistics=0');
  });

  it('follows the client, not the dialect: a MariaDB mysqldump gets MariaDB options', () => {
    const tool = my.parseToolVersion('mysqldump  Ver 10.19 Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)');
    const rest = restOf(my.dumpSpec(mcfg, tool, { ...opts, excludeTableData: ['t'] }));
    expect(rest.join(' ')).not.toMatch(/--column-statistics|--set-gtid-purged/);
    expect(rest).toContain('--ignore-table-data=nocobase.t');
  });

  it('dumps excluded tables schema-only in a second command', () => {
    const plan = my.dumpPlan(mcfg, mysqlTool, { ...opts, excludeTableData: ['sessions', 'locks'] });
    expect(plan).toHaveLength(2);
    expect(restOf(plan[0])).toEqual([
      ...DUMP,
      ...FLAGS,
      '--column-statistics=0',
      '--set-gtid-purged=OFF',
      '--ignore-table=nocobase.sessions',
      '--ignore-table=nocobase.locks',
      'nocobase',
    ]);
    expect(restOf(plan[1])).toEqual([
      '--single-transaction',
      '--no-data',
      '--triggers',
      ...FLAGS,
      '--column-statistics=0',
      '--set-gtid-purged=OFF',
      'nocobase',
      'sessions',
      'locks',
    ]);
    expect(my.dumpPlan(mcfg, mysqlTool, opts)).toHaveLength(1);
  });
});

describe('mysql family restore, reset and queries', () => {
  it('restores through the client reading the dump on stdin', () => {
    const plan = maria.restoreSpec(cfg, mariaTool, opts, '/tmp/bm/main.sql');
    expect(plan.stdinFile).toBe('/tmp/bm/main.sql');
    expect(plan.spec.command).toBe('mariadb');
    const rest = restOf(plan.spec);
    // No client command (\!, system, source, use) runs from a dump, and the session starts in a known sql_mode.
    const safe = ['--binary-mode', "--init-command=SET SESSION sql_mode='NO_AUTO_VALUE_ON_ZERO'"];
    expect(rest).toEqual(['--default-character-set=utf8mb4', '--max-allowed-packet=1073741824', safe[0], '--sandbox', safe[1], 'nocobase']);
    const mysql = my.restoreSpec({ ...cfg, dialect: 'mysql' }, mysqlTool, opts, '/f').spec;
    expect(mysql.command).toBe('mysql');
    expect(restOf(mysql)).toEqual(['--default-character-set=utf8mb4', '--max-allowed-packet=1073741824', ...safe, 'nocobase']);
  });

  it('with DB_TABLE_PREFIX dumps the listed tables without routines or events, and drops only prefixed ones', () => {
    const shared = { ...cfg, tablePrefix: 'nb_' };
    expect(() => maria.dumpSpec(shared, mariaTool, opts)).toThrow(/starts with nb_/);
    const args = restOf(maria.dumpSpec(shared, mariaTool, { ...opts, tables: ['nb_a', 'nb_b'] }));
    expect(args.slice(-3)).toEqual(['nocobase', 'nb_a', 'nb_b']);
    expect(args).not.toContain('--routines');
    expect(args).not.toContain('--events');
    expect(args).toContain('--triggers');
    const reset = restOf(maria.resetSpec(shared, mariaTool, opts));
    expect(reset.pop()).toBe('nocobase');
    expect(reset.join(' ')).not.toMatch(/DROP DATABASE/);
    expect(reset.join(' ')).toContain("LEFT(TABLE_NAME, CHAR_LENGTH(CONVERT(0x6e625f USING utf8mb4))) = CONVERT(0x6e625f USING utf8mb4) COLLATE utf8mb4_bin");
    expect(restOf(maria.listTablesSpec(shared, mariaTool, opts)).join(' ')).toContain('COLLATE utf8mb4_bin');
  });

  it('knows which MariaDB clients have --sandbox', () => {
    const at = (version: string, flavour = 'mariadb') => supportsSandbox({ command: 'mariadb-dump', version, flavour });
    expect(['10.5.25', '10.6.18', '10.11.8', '10.11.19', '11.0.6', '11.4.2', '11.8.1', '12.0.2'].map((v) => at(v))).toEqual(Array(8).fill(true));
    expect(['10.5.24', '10.6.17', '10.11.7', '11.0.5', '11.2.3', '11.4.1', '10.4.30'].map((v) => at(v))).toEqual(Array(7).fill(false));
    expect(at('8.0.36', 'mysql')).toBe(false);
  });

  it('lists the databases the user can see, for the dump check', () => {
    const spec = maria.listDatabasesSpec?.(cfg, mariaTool, opts);
    expect(spec && restOf(spec)).toEqual(['--default-character-set=utf8mb4', '-N', '-B', '-r', '-e', 'SELECT SCHEMA_NAME FROM information_schema.SCHEMATA']);
  });

  it('drops and recreates the database keeping its utf8mb4 collation', () => {
    const spec = maria.resetSpec({ ...cfg, database: 'we`ird' }, mariaTool, opts);
    const rest = restOf(spec);
    expect(rest.slice(0, 2)).toEqual(['--default-character-set=utf8mb4', '-e']);
    expect(rest).toHaveLength(3);
    const sql = rest[2];
    expect(sql).toContain('DROP DATABASE IF EXISTS `we``ird`;');
    expect(sql).toContain(`SCHEMA_NAME = CONVERT(0x${Buffer.from('we`ird').toString('hex')} USING utf8mb4)`);
    expect(sql).toContain("DEFAULT_CHARACTER_SET_NAME = 'utf8mb4'");
    const create = /CONCAT\(CONVERT\(0x([0-9a-f]+) USING utf8mb4\)/.exec(sql)?.[1] ?? '';
    expect(Buffer.from(create, 'hex').toString()).toBe('CREATE DATABASE `we``ird` CHARACTER SET utf8mb4');
    expect(sql).toContain("COALESCE(CONCAT(' COLLATE ', @bm_collation), '')");
  });

  it('queries the server version, the tables and row counts', () => {
    const version = maria.serverVersionSpec(cfg, mariaTool, opts);
    expect(version.command).toBe('mariadb');
    expect(restOf(version)).toEqual(['--default-character-set=utf8mb4', '-N', '-B', '-e', 'SELECT VERSION()']);
    expect(maria.parseServerVersion('10.11.19-MariaDB-0+deb12u1\n')).toBe('10.11.19-MariaDB-0+deb12u1');

    const tables = restOf(maria.listTablesSpec(cfg, mariaTool, opts));
    expect(tables.slice(0, 5)).toEqual(['--default-character-set=utf8mb4', '-N', '-B', '-r', '-e']);
    expect(tables[5]).toContain("TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'");
    expect(tables[6]).toBe('nocobase');
    expect(maria.parseTableList('a\nb c\n')).toEqual(['a', 'b c']);

    const count = restOf(maria.countRowsSpec(cfg, mariaTool, 'we`ird', opts));
    expect(count.slice(-2)).toEqual(['SELECT COUNT(*) FROM `we``ird`', 'nocobase']);
    expect(maria.parseCount('7\n')).toBe(7);
  });

  it('puts option files of ad-hoc queries in the OS temp dir by default', () => {
    restOf(maria.serverVersionSpec(cfg, mariaTool), os.tmpdir());
  });

  it('never calls a MySQL-family client too old', () => {
    expect(maria.clientTooOld('5.7.44', '8.0.36')).toBeNull();
  });
});
