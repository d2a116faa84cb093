/** What a dumper needs to know about one database. Pure data: never read from process.env here. */
export interface DbConfig {
  dialect: 'postgres' | 'kingbase' | 'mysql' | 'mariadb' | 'sqlite';
  host?: string;
  port?: number;
  database?: string;
  user?: string;
  /** Reaches the child only through its environment (PGPASSWORD) or a 0600 option file: never argv. */
  password?: string;
  /** PostgreSQL/KingbaseES schema (DB_SCHEMA); undefined means the whole database. */
  schema?: string;
  tablePrefix?: string;
  /** SQLite file path (DB_STORAGE), absolute. */
  storage?: string;
}

/** One child process to run: built by pure code, spawned only by process/run.ts. */
export interface CommandSpec {
  command: string;
  args: string[];
  /** The child's whole environment is PATH/HOME/LANG plus this: never the server's own env. */
  env: Record<string, string>;
  /** Files (e.g. a 0600 mysql option file) to write before spawning and remove afterwards. */
  files?: { path: string; content: string }[];
  /** Values scrubbed from every message and stderr text (the password when it lives in an option file). */
  secrets?: string[];
}

/** Paths of the client tools, configurable per dialect (e.g. KingbaseES's sys_dump). */
export interface ToolPaths {
  dump?: string;
  restore?: string;
  client?: string;
}

export interface DumpOptions {
  /**
   * Tables whose rows are left out (schema kept): runtime tables and the admin's choices.
   * Bare table names (prefix included), in cfg.schema (PostgreSQL, default public) or cfg.database (MySQL).
   * Pass only tables that exist (see listTablesSpec): the second, --no-data dump of MySQL clients fails on others.
   */
  excludeTableData?: string[];
  /** Scratch dir for option files, 0700. */
  tmpDir: string;
  /**
   * MySQL family with DB_TABLE_PREFIX: the tables and views to dump (listDumpTablesSpec), the database being shared
   * with other applications.
   */
  tables?: string[];
  /**
   * PostgreSQL family (ToolDumper.directoryFormat): dump in the directory format with `jobs` processes into `path`
   * (pg_dump -Fd -j N -f path; the folder must not exist yet). Absent: one stream on stdout (the custom format).
   */
  directory?: { path: string; jobs: number };
}

export interface RestoreOptions {
  tmpDir: string;
  /** PostgreSQL family, a directory-format dump only: pg_restore -j N (N > 1). */
  jobs?: number;
}

export interface ToolInfo {
  command: string;
  version: string;
  /** 'mariadb' or 'mysql' for the MySQL family, the dialect otherwise. */
  flavour: string;
  /** The configured paths the version was read with; restore/client default to siblings of the dump tool. */
  tools?: ToolPaths;
}

/**
 * One read-only statement on the configured database, its rows as a client tool prints them unaligned without a header
 * (columns apart by one separator, rows by newlines): the client tool itself (querySpec), or the app's own connection
 * (db/query-text.ts), which starts no process.
 */
export type QueryText = (sql: string) => Promise<string>;

/** For commands run outside a dump/restore (version, table list, row count): where option files go. */
export interface TmpOptions {
  tmpDir: string;
}

export interface RestorePlan {
  spec: CommandSpec;
  /** Fed to the child's stdin (MySQL family); pg_restore reads the file itself. */
  stdinFile?: string;
}

/** A dialect restored with its own client tools: builds commands, never spawns. */
export interface ToolDumper {
  kind: 'tool';
  dialect: Exclude<DbConfig['dialect'], 'sqlite'>;
  defaultPort: number;
  defaultTools: Required<ToolPaths>;
  /** The dump tool can write a directory with parallel jobs (DumpOptions.directory): pg_dump -Fd -j N. */
  directoryFormat?: boolean;
  /** `<dump tool> --version`: run first, it also proves the tool is installed. */
  versionSpec(tools?: ToolPaths): CommandSpec;
  parseToolVersion(stdout: string, tools?: ToolPaths): ToolInfo;
  /** The tool as configured, its version not yet read: enough for serverVersionSpec, run beside the version check. */
  provisionalTool(tools?: ToolPaths): ToolInfo;
  dumpSpec(cfg: DbConfig, tool: ToolInfo, opts: DumpOptions): CommandSpec;
  /**
   * The commands whose stdouts, concatenated in order into one file, make the dump. One command except for
   * MySQL-family clients without --ignore-table-data: there excluded tables get a second, --no-data dump.
   */
  dumpPlan(cfg: DbConfig, tool: ToolInfo, opts: DumpOptions): CommandSpec[];
  restoreSpec(cfg: DbConfig, tool: ToolInfo, opts: RestoreOptions, dumpFilePath: string): RestorePlan;
  /**
   * Lists the dump's contents without connecting (`pg_restore -l`): proves the restore tool can read the file before
   * anything is changed. Absent for the MySQL family, whose text dumps are checked in-process (engine/dump-check.ts).
   */
  tocSpec?(tool: ToolInfo, dumpFilePath: string): CommandSpec;
  /** MySQL family: every database the user can see, one per line (the dump check refuses dumps naming them). */
  listDatabasesSpec?(cfg: DbConfig, tool: ToolInfo, opts?: TmpOptions): CommandSpec;
  /** The client reading a SQL script on stdin, stopping at the first error (a move's bulk load, move/copy-rows.ts). */
  scriptSpec(cfg: DbConfig, tool: ToolInfo, opts: TmpOptions): CommandSpec;
  /** Empties the target first, so tables created after the backup do not survive the restore. */
  resetSpec(cfg: DbConfig, tool: ToolInfo, opts: RestoreOptions): CommandSpec;
  serverVersionSpec(cfg: DbConfig, tool: ToolInfo, opts?: TmpOptions): CommandSpec;
  /** The statement of serverVersionSpec, for a QueryText. */
  serverVersionSql: string;
  /** One read-only statement on cfg's database, rows unaligned without headers (restore pre-flight facts). */
  querySpec(cfg: DbConfig, tool: ToolInfo, sql: string, opts?: TmpOptions): CommandSpec;
  parseServerVersion(stdout: string): string;
  /** A message with the fix when the dump tool cannot dump this server, else null. */
  clientTooOld(toolVersion: string, serverVersion: string): string | null;
  /** MySQL family: the tables and views a dump carries with DB_TABLE_PREFIX (prefixed ones); parse with parseTableList. */
  listDumpTablesSpec?(cfg: DbConfig, tool: ToolInfo, opts?: TmpOptions): CommandSpec;
  /** Base tables of the schema/database (with DB_TABLE_PREFIX, the prefixed ones); parse with parseTableList. */
  listTablesSpec(cfg: DbConfig, tool: ToolInfo, opts?: TmpOptions): CommandSpec;
  /** The statement of listTablesSpec, for a QueryText. */
  listTablesSql(cfg: DbConfig): string;
  parseTableList(stdout: string): string[];
  /** Exact `count(*)` of one table; parse with parseCount. */
  countRowsSpec(cfg: DbConfig, tool: ToolInfo, table: string, opts?: TmpOptions): CommandSpec;
  parseCount(stdout: string): number;
  /**
   * Exact counts of many tables in one statement (one snapshot, one process: a client per table costs ~50 ms each).
   * Prints `<index in tables> <count>` lines; parse with parseRowCounts. Keep batches small (argv limits).
   */
  countRowsBatchSpec(cfg: DbConfig, tool: ToolInfo, tables: string[], opts?: TmpOptions): CommandSpec;
  /** The statement of countRowsBatchSpec, for a QueryText. */
  countRowsBatchSql(cfg: DbConfig, tables: string[]): string;
  parseRowCounts(stdout: string, tables: string[]): Record<string, number>;
  /** A new, empty database `name` on the server of cfg (verify's scratch copy); connects to cfg.database. */
  createDatabaseSpec(cfg: DbConfig, tool: ToolInfo, name: string, opts?: TmpOptions): CommandSpec;
  /** Drops database `name` if it exists; connects to cfg.database, which must not be `name`. */
  dropDatabaseSpec(cfg: DbConfig, tool: ToolInfo, name: string, opts?: TmpOptions): CommandSpec;
}

/** SQLite needs no client tool: snapshots and counts run in a node child (see sqlite-snapshot.ts). */
export interface FileDumper {
  kind: 'file';
  dialect: 'sqlite';
}

export type Dumper = ToolDumper | FileDumper;
