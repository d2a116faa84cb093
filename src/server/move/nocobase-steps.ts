import type { Writable } from 'stream';
import { nocobaseEnv, runNocoBase } from '../cli/app-process';
import { scratchEnv, type NocoBaseSteps } from './move-input';

/**
 * NocoBase's own `install -f` and `db:sync` for a move, as `yarn nocobase` in the app folder with the app's whole
 * environment (DB_*, APP_KEY...) but the scratch storage (scratchEnv). The same for the command line (app stopped)
 * and the web restore (the server runs them as children while it is in maintenance).
 */
export function nocobaseSteps(appDir: string, env: Record<string, string | undefined>, pluginStorage: string, log: Writable): NocoBaseSteps {
  const whole = nocobaseEnv(env);
  const run = (args: string[], scratch: string, env: Record<string, string> = {}) =>
    runNocoBase(appDir, args, { ...whole, ...env, ...scratchEnv(scratch, pluginStorage) }, log);
  return {
    install: (scratch, env) => run(['install', '-f'], scratch, env),
    sync: (scratch, env) => run(['db:sync'], scratch, env),
  };
}
