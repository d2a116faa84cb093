import fs from 'fs';
import path from 'path';
import { NAMESPACE } from '../../constants';
import type { Manifest } from '../archive/manifest-types';
import type { DbConfig, ToolPaths } from '../dumpers/types';
import { createBackup } from '../engine/backup';
import { inspectArchive } from '../engine/restore';
import { BackupError } from '../errors';
import type { MoveReport } from '../move/copy-plan';
import type { NocoBaseSteps } from '../move/move-input';
import { moveStep } from '../restore/move-step';
import { RestoreRollbackFailed, RestoreRolledBack, runRestorePipeline, type RestoreJob } from '../restore/runner';
import { archiveName, type BackupPaths } from '../paths';
import { messageOf } from './exit-codes';
import type { RequirementsDraft } from '../preflight/types';

export interface OfflineRestoreInput {
  file: string;
  db: DbConfig;
  appName: string;
  /** NocoBase's version in the app folder; unknown skips the "backup is newer" check (the upgrade then tells). */
  appVersion?: string;
  /** For an encrypted archive. The safety backup is not encrypted (as in the web UI's restore). */
  password?: string;
  paths: BackupPaths;
  safetyBackup: boolean;
  /** Tables whose rows the safety backup leaves out (schema kept). */
  safetyExclude: string[];
  /** What a restore of the safety backup must match (the current app's plugins...), recorded in it. */
  safetyRequirements?: RequirementsDraft;
  pluginVersion: string;
  /** Signs the safety backup (archive/provenance.ts). */
  appKey?: string;
  tools?: ToolPaths;
  /** Parallel dump/restore jobs (settings dumpJobs); absent: automatic, from the cores. */
  jobs?: number | null;
  say: (message: string) => void;
  onProgress?: (phase: string, percent: number) => void;
  /** Right before the database is replaced, e.g. to close the app's SQLite connection. */
  beforeDatabase?: () => Promise<void>;
  /** A backup of another dialect is moved into this database (restore --into-dialect), through NocoBase. */
  move?: OfflineMove;
}

export interface OfflineMove {
  nocobase: NocoBaseSteps;
  appDir: string;
  /** DB_TIMEZONE of the app. */
  timezone?: string;
  onReport?: (report: MoveReport) => void;
}

export interface OfflineRestoreResult {
  manifest: Manifest;
  size: number;
  safetyFile?: string;
}

// Greater than any real version: with no NocoBase found, inspectArchive's version check cannot refuse.
const UNKNOWN_VERSION = String(Number.MAX_SAFE_INTEGER);

/**
 * A restore with the app stopped (standalone command, app CLI), through the same pipeline as the web restore
 * (restore/runner.ts): validate, unpack and check every entry, safety backup, database, files, all journaled, so a
 * crash is recovered at the next start (or by `nb-backups recover`). A failed database or file step is rolled back
 * from the safety backup. The caller then runs `nocobase upgrade`.
 */
export async function restoreOffline(input: OfflineRestoreInput): Promise<OfflineRestoreResult> {
  const { say, paths } = input;
  const progress = input.onProgress ?? (() => undefined);
  const id = `cli-${Date.now()}`;
  say(`Checking ${input.file}`);
  const target = { dialect: input.db.dialect, appVersion: input.appVersion ?? UNKNOWN_VERSION, move: !!input.move };
  const manifest = await inspectArchive(input.file, target, input.password);
  const moving = !!input.move && manifest.database.dialect !== input.db.dialect;
  const moveTmp = path.join(paths.tmp, `${id}-move`);
  // The way back from a failed move is the safety backup: the staged copy cannot be restored forward by a tool.
  if (moving && !input.safetyBackup) throw new BackupError('MOVE_NEEDS_SAFETY', {}, 422);
  const size = (await fs.promises.stat(input.file)).size;
  const job: RestoreJob = {
    id,
    taskId: null,
    file: input.file,
    manifest,
    password: input.password,
    paths,
    appName: input.appName,
    appVersion: input.appVersion ?? '0.0.0',
    main: input.db,
    targets: [],
    safetyBackup: input.safetyBackup,
    tools: input.tools,
    jobs: input.jobs,
    move:
      moving && input.move
        ? moveStep({
            target: input.db,
            tools: input.tools,
            tmpDir: moveTmp,
            timezone: input.move.timezone,
            appDir: input.move.appDir,
            nocobase: input.move.nocobase,
            say: input.say,
            progress: (copied, total) => progress('restoring database', total ? 50 + Math.floor((30 * copied) / total) : 50),
            onReport: input.move.onReport,
          })
        : undefined,
  };
  try {
    const { safety, cleanUp } = await runRestorePipeline(job, {
      say,
      progress,
      safetyBackup: () =>
        safetyBackupOf(input, path.join(paths.tmp, `${id}-safety`)).catch((err) => {
          say(
            'The safety backup failed: nothing was changed. If the current database is too damaged to be backed up, run the restore again with --no-safety-backup.',
          );
          throw err;
        }),
      beforeDatabases: input.beforeDatabase,
    });
    say('Removing the files the restore replaced');
    await cleanUp().catch((err) => say(`They could not all be removed (${messageOf(err)}): \`nb-backups recover\` in the app folder removes the rest.`));
    return { manifest, size, safetyFile: safety ?? undefined };
  } catch (err) {
    if (err instanceof RestoreRolledBack) {
      say('The restore failed; the database and files were put back as they were before it.');
      throw err.cause;
    }
    if (err instanceof RestoreRollbackFailed) {
      say(
        `Putting the application back failed too (${messageOf(err.rollbackError)}). Once the cause is fixed, run \`nb-backups recover\` in the app folder, or restore ${err.safety} with --no-safety-backup.`,
      );
      throw err.cause;
    }
    throw err;
  } finally {
    await fs.promises.rm(moveTmp, { recursive: true, force: true });
  }
}

async function safetyBackupOf(input: OfflineRestoreInput, tmpDir: string): Promise<string> {
  try {
    const result = await createBackup({
      db: input.db,
      app: { name: input.appName, version: input.appVersion ?? '0.0.0' },
      plugin: { name: NAMESPACE, version: input.pluginVersion },
      storage: input.paths.storage,
      archivesDir: input.paths.archives,
      tmpDir,
      fileName: archiveName(input.appName, new Date(), 'safety'),
      include: { uploads: true, plugins: true },
      excludeTableData: input.safetyExclude,
      requirements: input.safetyRequirements,
      origin: 'safety',
      appKey: input.appKey,
      tools: input.tools,
      jobs: input.jobs,
      onProgress: (phase, percent) => input.onProgress?.(phase, percent),
    });
    return result.filePath;
  } finally {
    await fs.promises.rm(tmpDir, { recursive: true, force: true });
  }
}
