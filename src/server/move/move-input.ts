import path from 'path';
import type { DbConfig, ToolPaths } from '../dumpers/types';

// What a move is given, whichever way it crosses (move-database.ts, move-into-sqlite.ts).

/**
 * NocoBase's own commands on the target database, run by the caller in the app folder. `scratch` is a private folder
 * for what they would write into the live storage folder (see scratchEnv): a rollback puts back the database and the
 * storage parts the journal set aside, not files NocoBase wrote beside them.
 */
export interface NocoBaseSteps {
  /** `nocobase install -f`: a clean install, every preset plugin's tables. `env` overrides the app's (DB_STORAGE). */
  install(scratch: string, env?: Record<string, string>): Promise<void>;
  /**
   * `nocobase db:sync`: loads the moved plugin list and collections (the collections table, which an upgrade does
   * not read: NocoBase loads it when the app starts) and creates their tables.
   */
  sync(scratch: string, env?: Record<string, string>): Promise<void>;
}

/**
 * The environment that keeps NocoBase's install and db:sync out of the live storage folder: the install uploads
 * NocoBase's logo into the default local storage (`storage/uploads` under STORAGE_PATH, whatever LOCAL_STORAGE_DEST
 * says) and creates the app's key file when it is missing. Neither is needed: the copy replaces the storages and
 * attachments rows, and the storage step brings the backup's uploads and key files. So STORAGE_PATH is the scratch
 * folder, and PLUGIN_STORAGE_PATH stays the app's, where plugins added with `pm add` live. Measured: without it, a
 * move killed between the copy rounds left NocoBase's logo in storage/uploads after the rollback.
 */
export function scratchEnv(scratch: string, pluginStorage: string): Record<string, string> {
  // SOCKET_PATH too: NocoBase's CLI hands a command to the server listening there (its gateway socket, by default
  // under STORAGE_PATH, or SOCKET_PATH, or ~/.nocobase in Docker). A web restore runs these while its server listens:
  // they must run themselves, on the database being replaced, not in the server that is restoring.
  return { STORAGE_PATH: scratch, PLUGIN_STORAGE_PATH: pluginStorage, SOCKET_PATH: path.join(scratch, 'gateway.sock') };
}

export interface MoveInput {
  /** The backup's dialect (a SQLite backup when absent). */
  from?: DbConfig['dialect'];
  /** The staged database of the backup: a SQLite file, or a PostgreSQL dump. */
  source: string;
  /** Rows per table at backup time (the manifest's): a dump does not say, progress needs a total. */
  sourceRows?: Record<string, number>;
  target: DbConfig;
  tools?: ToolPaths;
  /** 0700 scratch folder. */
  tmpDir: string;
  nocobase: NocoBaseSteps;
  /** DB_TIMEZONE of the target app (MySQL DATETIMEs are written in it). */
  timezone?: string;
  /** The app folder, where the sqlite3 module is looked up. */
  appDir: string;
  say?: (message: string) => void;
  /** Rows copied so far out of all the source's rows. */
  progress?: (copied: number, total: number, table: string) => void;
  signal?: AbortSignal;
  /** Rows read at a time (tests use small batches). */
  batchRows?: number;
}
