import { randomBytes } from 'crypto';
import os from 'os';
import path from 'path';
import { myHexString, myIdent, optionValue } from './mysql-sql';
import { firstLine, parseCount, parseRowCounts } from './parse';
import { resolveTools, toolsOf } from './tools';
import type { CommandSpec, DbConfig, ToolDumper, ToolInfo, ToolPaths } from './types';
import { compareVersions, parseVersionNumbers } from './versions';

export interface MysqlFamily {
  dialect: 'mysql' | 'mariadb';
  defaultTools: Required<ToolPaths>;
}

const DEFAULT_PORT = 3306;
// Client-side limit only (the server's own max_allowed_packet still applies): rows with big blobs must fit.
const MAX_PACKET = '--max-allowed-packet=1073741824';
// The client that comes with each dump tool.
const SIBLINGS: Record<string, Pick<ToolPaths, 'restore' | 'client'>> = {
  'mariadb-dump': { restore: 'mariadb', client: 'mariadb' },
  mysqldump: { restore: 'mysql', client: 'mysql' },
};
const siblingsOf = (dumpName: string) => SIBLINGS[dumpName] ?? {};

// --ignore-table-data (MDEV-22037) reached these MariaDB series late in 2020; every series from 10.6 has it.
const IGNORE_TABLE_DATA_SINCE = [
  [10, 1, 48],
  [10, 2, 36],
  [10, 3, 27],
  [10, 4, 17],
  [10, 5, 8],
];

/** MySQL's mysqldump has no --ignore-table-data; MariaDB's has it since the releases above. */
export function supportsIgnoreTableData(tool: ToolInfo): boolean {
  const version = parseVersionNumbers(tool.version);
  if (tool.flavour !== 'mariadb' || !version) return false;
  if (compareVersions(version, [10, 6]) >= 0) return true;
  const since = IGNORE_TABLE_DATA_SINCE.find(([major, minor]) => version[0] === major && version[1] === minor);
  return !!since && compareVersions(version, since) >= 0;
}

// The client's --sandbox (no command touching files or the shell) reached these MariaDB series in 2024.
const SANDBOX_SINCE = [
  [10, 5, 25],
  [10, 6, 18],
  [10, 11, 8],
  [11, 0, 6],
  [11, 1, 5],
  [11, 2, 4],
  [11, 4, 2],
];

/** MariaDB clients from the releases above have --sandbox; MySQL's client has none. */
export function supportsSandbox(tool: ToolInfo): boolean {
  const version = parseVersionNumbers(tool.version);
  if (tool.flavour !== 'mariadb' || !version) return false;
  if (compareVersions(version, [11, 5]) >= 0) return true;
  const since = SANDBOX_SINCE.find(([major, minor]) => version[0] === major && version[1] === minor);
  return !!since && compareVersions(version, since) >= 0;
}

/**
 * How the client reads a dump (restore and verify): --binary-mode turns off every client command but DELIMITER and
 * \C (no `\!`, `system`, `source`, `use`, `connect`), --sandbox also where the client has it, and the session starts
 * in a known sql_mode (no ANSI_QUOTES or NO_BACKSLASH_ESCAPES from the server's defaults), as the dump check
 * (mysql-dump-scan.ts) assumes.
 */
export function dumpFeedFlags(tool: ToolInfo): string[] {
  const flags = ['--binary-mode'];
  if (supportsSandbox(tool)) flags.push('--sandbox');
  flags.push("--init-command=SET SESSION sql_mode='NO_AUTO_VALUE_ON_ZERO'");
  return flags;
}

/** A condition on information_schema.TABLES: names starting with the prefix, compared byte for byte. */
function prefixed(prefix: string | undefined): string {
  if (!prefix) return '';
  const value = myHexString(prefix);
  return ` AND LEFT(TABLE_NAME, CHAR_LENGTH(${value})) = ${value} COLLATE utf8mb4_bin`;
}

/**
 * The reset of an app with DB_TABLE_PREFIX: drops its prefixed tables and views (their triggers go with them), each
 * kind in one statement, leaving the database and other applications' tables as they are.
 */
function dropPrefixed(prefix: string): string {
  const kind = (type: string, drop: string, n: number) =>
    `SET @bm_${n} := (SELECT GROUP_CONCAT(CONCAT('\`', REPLACE(TABLE_NAME, '\`', '\`\`'), '\`'))` +
    ' FROM information_schema.TABLES' +
    ` WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = '${type}'${prefixed(prefix)});` +
    ` SET @bm_${n} := IF(@bm_${n} IS NULL, 'DO 0', CONCAT('${drop} ', @bm_${n}));` +
    ` PREPARE bm_${n} FROM @bm_${n}; EXECUTE bm_${n}; DEALLOCATE PREPARE bm_${n};`;
  return [
    'SET SESSION group_concat_max_len = 67108864; SET FOREIGN_KEY_CHECKS = 0;',
    kind('VIEW', 'DROP VIEW IF EXISTS', 1),
    kind('BASE TABLE', 'DROP TABLE IF EXISTS', 2),
    kind('SEQUENCE', 'DROP SEQUENCE IF EXISTS', 3),
  ].join(' ');
}

/** "mysqldump  Ver 8.0.36 for Linux", "mariadb-dump  Ver 10.19 Distrib 10.11.19-MariaDB, ...". */
export function parseMysqlToolVersion(stdout: string): { version: string; flavour: 'mysql' | 'mariadb' } {
  const line = firstLine(stdout);
  // 'Distrib' (5.7, MariaDB 10.x), 'from' (MariaDB 11), else the 'Ver' of MySQL 8.
  const match =
    /\bDistrib\s+(\d+(?:\.\d+)+)/.exec(line) ??
    /\bfrom\s+(\d+(?:\.\d+)+)/.exec(line) ??
    /\bVer\s+(\d+(?:\.\d+)+)/.exec(line);
  if (!match) throw new Error(`Unrecognised version output: ${line.slice(0, 200)}`);
  return { version: match[1], flavour: /mariadb/i.test(line) ? 'mariadb' : 'mysql' };
}

/** A leading '-' would make a database or table name read as an option. */
function positional(names: string[]): string[] {
  return names.some((name) => name.startsWith('-')) ? ['--', ...names] : names;
}

export function createMysqlDumper(family: MysqlFamily): ToolDumper {
  const defaults = family.defaultTools;
  const tools = (tool: ToolInfo) => toolsOf(tool, { ...defaults, ...siblingsOf(path.basename(tool.command)) });
  const database = (cfg: DbConfig) => {
    if (!cfg.database) throw new Error('The database name is not configured');
    return cfg.database;
  };

  /** Credentials go in a 0600 option file named by the first argument, the only place the client reads it from. */
  const command = (cfg: DbConfig, file: string, tmpDir: string, args: string[]): CommandSpec => {
    const lines = ['[client]'];
    if (cfg.user) lines.push(`user=${optionValue(cfg.user)}`);
    if (cfg.password) lines.push(`password=${optionValue(cfg.password)}`);
    // TCP even for 'localhost', like the app's own driver (no guessing of socket paths).
    if (cfg.host) lines.push(`host=${optionValue(cfg.host)}`, 'protocol=TCP');
    lines.push(`port=${cfg.port ?? DEFAULT_PORT}`);
    const optionFile = path.join(tmpDir, `bm-${randomBytes(8).toString('hex')}.cnf`);
    return {
      command: file,
      args: [`--defaults-extra-file=${optionFile}`, ...args],
      // HOME points at the scratch dir so a ~/.my.cnf or ~/.mylogin.cnf, read after our file, cannot override it.
      env: { HOME: tmpDir },
      files: [{ path: optionFile, content: `${lines.join('\n')}\n` }],
      secrets: cfg.password ? [cfg.password] : [],
    };
  };

  /** Options of both dump commands that depend on the client's flavour and version. */
  const clientFlags = (tool: ToolInfo) => {
    const flags = ['--default-character-set=utf8mb4', '--no-tablespaces', MAX_PACKET];
    const version = parseVersionNumbers(tool.version) ?? [0];
    if (tool.flavour === 'mysql' && version[0] >= 8) flags.push('--column-statistics=0');
    // GTID_PURGED in a dump needs SUPER to restore and breaks servers with their own GTIDs; MariaDB has no such option.
    if (tool.flavour === 'mysql' && compareVersions(version, [5, 6]) >= 0) flags.push('--set-gtid-purged=OFF');
    return flags;
  };

  const client = (cfg: DbConfig, tool: ToolInfo, tmpDir: string, args: string[]) =>
    command(cfg, tools(tool).client, tmpDir, ['--default-character-set=utf8mb4', ...args]);
  const query = (cfg: DbConfig, tool: ToolInfo, tmpDir: string, sql: string) =>
    client(cfg, tool, tmpDir, ['-N', '-B', '-r', '-e', sql, ...positional([database(cfg)])]);

  const dumper: ToolDumper = {
    kind: 'tool',
    dialect: family.dialect,
    defaultPort: DEFAULT_PORT,
    defaultTools: defaults,

    versionSpec: (paths) => ({ command: resolveTools(defaults, paths, siblingsOf).dump, args: ['--version'], env: {} }),

    parseToolVersion(stdout, paths) {
      const resolved = resolveTools(defaults, paths, siblingsOf);
      return { command: resolved.dump, ...parseMysqlToolVersion(stdout), tools: resolved };
    },

    provisionalTool(paths) {
      const resolved = resolveTools(defaults, paths, siblingsOf);
      return { command: resolved.dump, version: '', flavour: family.dialect, tools: resolved };
    },

    /** The main dump. Without --ignore-table-data excluded tables are skipped whole: use dumpPlan. */
    dumpSpec(cfg, tool, opts) {
      const db = database(cfg);
      const ignore = supportsIgnoreTableData(tool) ? '--ignore-table-data' : '--ignore-table';
      // With DB_TABLE_PREFIX the database is shared: the app's own tables only, and no routines or events (they
      // belong to the database, not to one application).
      const shared = !!cfg.tablePrefix;
      if (shared && !opts.tables?.length) throw new Error(`No table of the database starts with ${cfg.tablePrefix}`);
      const args = shared
        ? ['--single-transaction', '--triggers', '--hex-blob', ...clientFlags(tool)]
        : ['--single-transaction', '--routines', '--triggers', '--events', '--hex-blob', ...clientFlags(tool)];
      for (const table of opts.excludeTableData ?? []) args.push(`${ignore}=${db}.${table}`);
      const names = shared ? [db, ...(opts.tables ?? [])] : [db];
      return command(cfg, tools(tool).dump, opts.tmpDir, [...args, ...positional(names)]);
    },

    dumpPlan(cfg, tool, opts) {
      const main = dumper.dumpSpec(cfg, tool, opts);
      const excluded = opts.excludeTableData ?? [];
      if (!excluded.length || supportsIgnoreTableData(tool)) return [main];
      // The MySQL way: the excluded tables' definitions (and triggers) in a second, --no-data dump appended.
      const args = ['--single-transaction', '--no-data', '--triggers', ...clientFlags(tool)];
      const names = positional([database(cfg), ...excluded]);
      return [main, command(cfg, tools(tool).dump, opts.tmpDir, [...args, ...names])];
    },

    restoreSpec(cfg, tool, opts, dumpFilePath) {
      const spec = client(cfg, tool, opts.tmpDir, [MAX_PACKET, ...dumpFeedFlags(tool), ...positional([database(cfg)])]);
      return { spec, stdinFile: dumpFilePath };
    },

    // Not dumpFeedFlags: its init-command replaces sql_mode (strict mode too); a move's script adds to it instead.
    scriptSpec: (cfg, tool, opts) => client(cfg, tool, opts.tmpDir, [MAX_PACKET, '--binary-mode', ...positional([database(cfg)])]),

    resetSpec(cfg, tool, opts) {
      const db = database(cfg);
      if (cfg.tablePrefix) {
        return client(cfg, tool, opts.tmpDir, ['-e', dropPrefixed(cfg.tablePrefix), ...positional([db])]);
      }
      // Recreate with the database's own utf8mb4 collation (or the server's utf8mb4 default). Names go as hex
      // literals and the CREATE through PREPARE, since a collation cannot be a parameter.
      const sql = [
        `SET @bm_collation := (SELECT DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA`,
        ` WHERE SCHEMA_NAME = ${myHexString(db)} AND DEFAULT_CHARACTER_SET_NAME = 'utf8mb4');`,
        ` DROP DATABASE IF EXISTS ${myIdent(db)};`,
        ` SET @bm_create := CONCAT(${myHexString(`CREATE DATABASE ${myIdent(db)} CHARACTER SET utf8mb4`)},`,
        ` COALESCE(CONCAT(' COLLATE ', @bm_collation), ''));`,
        ` PREPARE bm_create FROM @bm_create; EXECUTE bm_create; DEALLOCATE PREPARE bm_create;`,
      ].join('');
      return client(cfg, tool, opts.tmpDir, ['-e', sql]);
    },

    listDatabasesSpec: (cfg, tool, opts) =>
      client(cfg, tool, opts?.tmpDir ?? os.tmpdir(), ['-N', '-B', '-r', '-e', 'SELECT SCHEMA_NAME FROM information_schema.SCHEMATA']),

    serverVersionSql: 'SELECT VERSION()',

    serverVersionSpec: (cfg, tool, opts) =>
      client(cfg, tool, opts?.tmpDir ?? os.tmpdir(), ['-N', '-B', '-e', dumper.serverVersionSql]),

    parseServerVersion: firstLine,

    querySpec: (cfg, tool, sql, opts) => query(cfg, tool, opts?.tmpDir ?? os.tmpdir(), sql),

    // Any client of the family can dump any server version NocoBase supports (--column-statistics=0 covers 8.0).
    clientTooOld: () => null,

    listTablesSql: (cfg) =>
      'SELECT TABLE_NAME FROM information_schema.TABLES' +
      ` WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'${prefixed(cfg.tablePrefix)} ORDER BY TABLE_NAME`,

    listTablesSpec: (cfg, tool, opts) => query(cfg, tool, opts?.tmpDir ?? os.tmpdir(), dumper.listTablesSql(cfg)),

    listDumpTablesSpec: (cfg, tool, opts) =>
      query(
        cfg,
        tool,
        opts?.tmpDir ?? os.tmpdir(),
        `SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()${prefixed(cfg.tablePrefix)}` +
          ' ORDER BY TABLE_NAME',
      ),

    parseTableList: (stdout) => stdout.split('\n').filter((line) => line.length > 0),

    countRowsSpec: (cfg, tool, table, opts) =>
      query(cfg, tool, opts?.tmpDir ?? os.tmpdir(), `SELECT COUNT(*) FROM ${myIdent(table)}`),

    parseCount,

    countRowsBatchSql(cfg, tables) {
      if (!tables.length) throw new Error('No tables to count');
      // The index stands for the name, so no table name needs to survive the client's output format. Named columns:
      // a driver answers each row as an object, in the order of its columns.
      return tables.map((t, i) => `SELECT ${i} AS bm_index, COUNT(*) AS bm_count FROM ${myIdent(t)}`).join(' UNION ALL ');
    },

    countRowsBatchSpec: (cfg, tool, tables, opts) =>
      query(cfg, tool, opts?.tmpDir ?? os.tmpdir(), dumper.countRowsBatchSql(cfg, tables)),

    parseRowCounts,

    createDatabaseSpec: (cfg, tool, name, opts) =>
      client(cfg, tool, opts?.tmpDir ?? os.tmpdir(), ['-e', `CREATE DATABASE ${myIdent(name)} CHARACTER SET utf8mb4`]),

    dropDatabaseSpec(cfg, tool, name, opts) {
      if (name === cfg.database) throw new Error('Refusing to drop the configured database');
      return client(cfg, tool, opts?.tmpDir ?? os.tmpdir(), ['-e', `DROP DATABASE IF EXISTS ${myIdent(name)}`]);
    },
  };
  return dumper;
}

export const mysqlDumper = createMysqlDumper({
  dialect: 'mysql',
  defaultTools: { dump: 'mysqldump', restore: 'mysql', client: 'mysql' },
});
