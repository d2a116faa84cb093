import type { Writable } from 'stream';
import type { DbConfig } from '../dumpers/types';
import type { BackupPaths } from '../paths';
import type { Output } from './output';

/** Everything a command needs, from the app's .env and the process environment: NocoBase itself is never loaded. */
export interface StandaloneContext {
  /** Where relative paths given on the command line start from. */
  cwd: string;
  appDir: string;
  env: Record<string, string>;
  db: DbConfig;
  appName: string;
  paths: BackupPaths;
  out: Output;
  /** Where child output goes (stderr): stdout stays for the result. */
  log: Writable;
  signal?: AbortSignal;
}
