import { firstLine, parseCount, parseJsonNames, parseRowCounts } from './parse';
import { pgDbArg, pgIdent, pgLiteral, pgPattern } from './pg-sql';
import { resolveTools, toolsOf } from './tools';
import type { CommandSpec, DbConfig, ToolDumper, ToolInfo, ToolPaths } from './types';
import { parseVersionNumbers } from './versions';

const RESET_TAG = '$bm_reset$';

/**
 * The reset of an app with DB_TABLE_PREFIX: its prefixed relations only, in one statement per kind inside one DO
 * block, so it is all or nothing. No CASCADE: another application's view or key on one of them stops the reset
 * (nothing dropped) instead of being dropped with it.
 */
function dropPrefixed(schema: string, prefix: string): string {
  const kinds: [string, string][] = [
    ['VIEW', "'v'"],
    ['MATERIALIZED VIEW', "'m'"],
    ['FOREIGN TABLE', "'f'"],
    ['TABLE', "'r', 'p'"],
    ['SEQUENCE', "'S'"],
  ];
  const drops = kinds
    .map(
      ([kind, relkinds]) =>
        `SELECT string_agg(format('%I.%I', n.nspname, c.relname), ', ') INTO names FROM pg_class c ` +
        `JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ${pgLiteral(schema)} ` +
        `AND c.relkind IN (${relkinds}) ` +
        `AND left(c.relname::text, char_length(${pgLiteral(prefix)})) = ${pgLiteral(prefix)}; ` +
        `IF names IS NOT NULL THEN EXECUTE 'DROP ${kind} IF EXISTS ' || names; END IF; `,
    )
    .join('');
  return `DO ${RESET_TAG} DECLARE names text; BEGIN ${drops}END ${RESET_TAG};`;
}

/** What differs between PostgreSQL and its derivatives (KingbaseES). */
export interface PostgresFamily {
  dialect: 'postgres' | 'kingbase';
  defaultTools: Required<ToolPaths>;
  defaultPort: number;
  /** Environment variables the client library reads the password from. */
  passwordEnv: string[];
  /** How to get client tools for the given server major version. */
  upgradeHint: (serverMajor: string) => string;
}

/** '15.19' -> 15, '9.6.24' -> 9.6 (before 10 the major version had two parts); null if not numeric. */
export function pgMajor(version: string): { value: number; label: string } | null {
  if (!/^\s*\d/.test(version)) return null;
  const [first, second = 0] = parseVersionNumbers(version) ?? [];
  if (first === undefined) return null;
  if (first >= 10) return { value: first, label: String(first) };
  return { value: first + second / 10, label: `${first}.${second}` };
}

export function createPostgresDumper(family: PostgresFamily): ToolDumper {
  const defaults = family.defaultTools;
  const tools = (tool: ToolInfo) => toolsOf(tool, defaults);
  const schemaOf = (cfg: DbConfig) => cfg.schema || 'public';
  const database = (cfg: DbConfig) => {
    if (!cfg.database) throw new Error('The database name is not configured');
    return pgDbArg(cfg.database);
  };
  // The password reaches the child only here, never through argv.
  const env = (cfg: DbConfig): Record<string, string> =>
    cfg.password ? Object.fromEntries(family.passwordEnv.map((key) => [key, cfg.password as string])) : {};
  const connection = (cfg: DbConfig) => {
    const args = ['--no-password'];
    if (cfg.host) args.push('-h', cfg.host);
    args.push('-p', String(cfg.port ?? family.defaultPort));
    if (cfg.user) args.push('-U', cfg.user);
    return args;
  };
  // -X: a ~/.psqlrc must not change the output we parse.
  const psql = (cfg: DbConfig, tool: ToolInfo, sql: string, flags: string[]): CommandSpec => ({
    command: tools(tool).client,
    args: ['-X', '-v', 'ON_ERROR_STOP=1', ...flags, ...connection(cfg), '-d', database(cfg), '-c', sql],
    env: env(cfg),
  });
  const query = (cfg: DbConfig, tool: ToolInfo, sql: string) => psql(cfg, tool, sql, ['-t', '-A']);

  const dumper: ToolDumper = {
    kind: 'tool',
    dialect: family.dialect,
    defaultPort: family.defaultPort,
    defaultTools: defaults,
    directoryFormat: true,

    versionSpec: (paths) => ({ command: resolveTools(defaults, paths).dump, args: ['--version'], env: {} }),

    parseToolVersion(stdout, paths) {
      const line = firstLine(stdout);
      if (!line) throw new Error(`${defaults.dump} printed no version`);
      // "pg_dump (PostgreSQL) 15.19 (Debian 15.19-0+deb12u1)": the word after the product name.
      const version = /\)\s*(\S+)/.exec(line)?.[1] ?? line.split(/\s+/).pop() ?? line;
      const resolved = resolveTools(defaults, paths);
      return { command: resolved.dump, version, flavour: family.dialect, tools: resolved };
    },

    provisionalTool(paths) {
      const resolved = resolveTools(defaults, paths);
      return { command: resolved.dump, version: '', flavour: family.dialect, tools: resolved };
    },

    dumpSpec(cfg, tool, opts) {
      // Only the application's schema (public unless DB_SCHEMA): sub-applications in other schemas of the same
      // database have their own dumps, and other schemas are not the app's to carry or replace.
      // The directory format is the only one pg_dump writes with several jobs: one file per table, each compressed
      // by its own process. -f names the folder (never stdout); pg_dump creates it, 0700.
      const dir = opts.directory;
      const format = dir ? ['-Fd', '-j', String(dir.jobs), '-f', dir.path] : ['-Fc'];
      const args = [...format, '-b', '--quote-all-identifiers', ...connection(cfg)];
      // With DB_TABLE_PREFIX the schema may hold other applications' tables: only the prefixed relations (tables,
      // their sequences, views) are the app's.
      if (cfg.tablePrefix) args.push('-t', `${pgPattern(schemaOf(cfg))}.${pgPattern(cfg.tablePrefix)}*`);
      else args.push('-n', pgPattern(schemaOf(cfg)));
      for (const table of opts.excludeTableData ?? []) {
        args.push(`--exclude-table-data=${pgPattern(schemaOf(cfg))}.${pgPattern(table)}`);
      }
      args.push(database(cfg));
      return { command: tools(tool).dump, args, env: env(cfg) };
    },

    dumpPlan: (cfg, tool, opts) => [dumper.dumpSpec(cfg, tool, opts)],

    restoreSpec(cfg, tool, opts, dumpFilePath) {
      const args = ['--clean', '--if-exists', '--no-owner', '--no-acl', '--exit-on-error', ...connection(cfg)];
      // pg_restore finds the format itself (a folder is the directory format); -j only for a directory dump: a custom
      // dump read with -j needs the data offsets a seekable output wrote, which older archives do not promise.
      if (opts.jobs && opts.jobs > 1) args.push('-j', String(opts.jobs));
      // Exactly the target schema, also from older dumps that carried the whole database (pg_restore -n takes a
      // plain name, not a pattern).
      args.push(`--schema=${schemaOf(cfg)}`, '-d', database(cfg), dumpFilePath);
      return { spec: { command: tools(tool).restore, args, env: env(cfg) } };
    },

    scriptSpec: (cfg, tool) => ({
      command: tools(tool).client,
      args: ['-X', '-v', 'ON_ERROR_STOP=1', '-q', ...connection(cfg), '-d', database(cfg), '-f', '-'],
      env: env(cfg),
    }),

    tocSpec: (tool, dumpFilePath) => ({ command: tools(tool).restore, args: ['-l', dumpFilePath], env: {} }),

    resetSpec(cfg, tool) {
      const schema = schemaOf(cfg);
      const name = pgIdent(schema);
      if (schema.includes(RESET_TAG) || cfg.tablePrefix?.includes(RESET_TAG)) {
        throw new Error(`Unsupported schema name: ${schema}`);
      }
      if (cfg.tablePrefix) return psql(cfg, tool, dropPrefixed(schema, cfg.tablePrefix), ['-q']);
      // A recreated public schema would lose the privileges every role had on it.
      const grant = schema === 'public' ? ` GRANT ALL ON SCHEMA ${name} TO PUBLIC;` : '';
      // Extensions installed in the schema go with it (CASCADE) and a dump of one schema does not carry them:
      // they are created again in the new schema.
      const sql =
        `DO ${RESET_TAG} DECLARE ext text; exts text[]; BEGIN ` +
        `SELECT coalesce(array_agg(e.extname::text), '{}') INTO exts FROM pg_extension e ` +
        `JOIN pg_namespace n ON n.oid = e.extnamespace WHERE n.nspname = ${pgLiteral(schema)}; ` +
        `DROP SCHEMA IF EXISTS ${name} CASCADE; CREATE SCHEMA ${name};${grant} ` +
        `FOREACH ext IN ARRAY exts LOOP ` +
        `EXECUTE format('CREATE EXTENSION IF NOT EXISTS %I SCHEMA %I', ext, ${pgLiteral(schema)}); END LOOP; ` +
        `END ${RESET_TAG};`;
      return psql(cfg, tool, sql, ['-q']);
    },

    serverVersionSql: 'SHOW server_version',

    serverVersionSpec: (cfg, tool) => query(cfg, tool, dumper.serverVersionSql),

    querySpec: (cfg, tool, sql) => query(cfg, tool, sql),

    parseServerVersion: firstLine,

    clientTooOld(toolVersion, serverVersion) {
      const client = pgMajor(toolVersion);
      const server = pgMajor(serverVersion);
      if (!client || !server || client.value >= server.value) return null;
      const dump = defaults.dump;
      return (
        `${dump} ${toolVersion} is older than the database server (${serverVersion}) and cannot dump it. ` +
        `Install client tools ${server.label} or newer (${family.upgradeHint(server.label)}), ` +
        `or set the path of a newer ${dump} in the settings.`
      );
    },

    listTablesSql(cfg) {
      // JSON, so no table name (spaces, newlines, '|') can break the parsing.
      const prefix = cfg.tablePrefix
        ? ` AND left(table_name::text, char_length(${pgLiteral(cfg.tablePrefix)})) = ${pgLiteral(cfg.tablePrefix)}`
        : '';
      return (
        `SELECT coalesce(json_agg(table_name::text ORDER BY table_name::text), '[]'::json) ` +
        `FROM information_schema.tables WHERE table_schema = ${pgLiteral(schemaOf(cfg))} AND table_type = 'BASE TABLE'${prefix}`
      );
    },

    listTablesSpec: (cfg, tool) => query(cfg, tool, dumper.listTablesSql(cfg)),

    parseTableList: parseJsonNames,

    countRowsSpec: (cfg, tool, table) =>
      query(cfg, tool, `SELECT count(*) FROM ${pgIdent(schemaOf(cfg))}.${pgIdent(table)}`),

    parseCount,

    countRowsBatchSql(cfg, tables) {
      if (!tables.length) throw new Error('No tables to count');
      // The index stands for the name, so no table name needs to survive psql's output format. Named columns: a
      // driver answers each row as an object, in the order of its columns.
      const schema = pgIdent(schemaOf(cfg));
      return tables.map((t, i) => `SELECT ${i} AS bm_index, count(*) AS bm_count FROM ${schema}.${pgIdent(t)}`).join(' UNION ALL ');
    },

    countRowsBatchSpec: (cfg, tool, tables) => query(cfg, tool, dumper.countRowsBatchSql(cfg, tables)),

    parseRowCounts,

    // CREATE/DROP DATABASE cannot run inside a transaction: one statement per psql -c runs in autocommit.
    createDatabaseSpec: (cfg, tool, name) => psql(cfg, tool, `CREATE DATABASE ${pgIdent(name)}`, ['-q']),

    dropDatabaseSpec(cfg, tool, name) {
      if (name === cfg.database) throw new Error('Refusing to drop the configured database');
      return psql(cfg, tool, `DROP DATABASE IF EXISTS ${pgIdent(name)}`, ['-q']);
    },
  };
  return dumper;
}

export const postgresDumper = createPostgresDumper({
  dialect: 'postgres',
  defaultTools: { dump: 'pg_dump', restore: 'pg_restore', client: 'psql' },
  defaultPort: 5432,
  passwordEnv: ['PGPASSWORD'],
  upgradeHint: (major) =>
    `e.g. apt-get install postgresql-client-${major} from apt.postgresql.org, or apk add postgresql${major}-client`,
});

export const clientTooOld = postgresDumper.clientTooOld;
