import path from 'path';
import type { Manifest } from '../archive/manifest-types';
import type { DbConfig, ToolPaths } from '../dumpers/types';
import type { MoveReport } from '../move/copy-plan';
import { checkMove, moveDatabase, type MoveCheck } from '../move/move-database';
import type { NocoBaseSteps } from '../move/move-input';
import type { MoveStep } from './runner';

export interface MoveStepOptions {
  /** The app's database, of another dialect than the backup's. */
  target: DbConfig;
  tools?: ToolPaths;
  /** 0700 scratch folder of this restore. */
  tmpDir: string;
  /** DB_TIMEZONE of the app. */
  timezone?: string;
  /** The app folder: its sqlite3 module reads the source, its NocoBase makes the target's tables. */
  appDir: string;
  nocobase: NocoBaseSteps;
  say?: (message: string) => void;
  /** Rows copied so far out of all the source's rows, and the table being copied. */
  progress?: (copied: number, total: number, table: string) => void;
  onReport?: (report: MoveReport) => void;
}

/**
 * The main database step of a restore that moves a backup into another dialect (restore/runner.ts MoveStep), for
 * the command lines and the web restore alike: checked with the staged copy before anything is touched, then run.
 */
export function moveStep(o: MoveStepOptions): MoveStep {
  let checked: MoveCheck | undefined;
  const sourceOf = (staging: string, manifest: Manifest) => path.join(staging, manifest.database.dump);
  const common = { target: o.target, tools: o.tools, tmpDir: o.tmpDir, timezone: o.timezone, appDir: o.appDir };
  return {
    check: async (staging, manifest) => {
      checked = await checkMove({ ...common, from: manifest.database.dialect, source: sourceOf(staging, manifest), sourceRows: manifest.database.tables });
    },
    run: async (staging, manifest) => {
      const report = await moveDatabase({ ...common, from: manifest.database.dialect, source: sourceOf(staging, manifest), sourceRows: manifest.database.tables, nocobase: o.nocobase, say: o.say, progress: o.progress }, checked);
      o.onReport?.(report);
    },
  };
}
