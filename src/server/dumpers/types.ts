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
}

/** Paths of the client tools, configurable per dialect (e.g. KingbaseES's sys_dump). */
export interface ToolPaths {
  dump?: string;
  restore?: string;
  client?: string;
}

export interface DumpOptions {
  /** Tables whose rows are left out (schema kept): runtime tables and the admin's choices. */
  excludeTableData?: string[];
  /** Scratch dir for option files, 0700. */
  tmpDir: string;
}

export interface RestoreOptions {
  tmpDir: string;
}

export interface ToolInfo {
  command: string;
  version: string;
  /** 'mariadb' or 'mysql' for the MySQL family, the dialect otherwise. */
  flavour: string;
}
