import fs from 'fs';
import path from 'path';
import type { Phase } from '../../constants';
import { filterEntries } from '../archive/entry-scan';
import { STORAGE_PREFIX } from '../archive/layout';
import { manifestJsonPieces } from '../archive/manifest-pieces';
import type { Manifest } from '../archive/manifest-types';
import { sealWithAppKey } from '../crypto/app-key-seal';
import type { DbConfig, ToolPaths } from '../dumpers/types';
import { stageArchive } from '../engine/restore';
import { processStart } from '../process/children';
import type { BackupPaths } from '../paths';
import { crashMidway, crashPoint } from './crash';
import { journalDir, MANIFEST_COPY, removeJournal, saveJournal, writeDurable, type RestoreJournal } from './journal';
import { dbStep, planRestore, type TargetRef } from './plan';
import { checkDumps, replaceDatabase, rollBack, type DbResolver } from './undo';
import { removeTree } from './remove-tree';
import { dropAsides, swapForward, swapRecords } from './storage-swap';
import { syncFileSystemOf } from './sync-disk';

/** A sub-application or an external data source the restore replaces too. */
export interface ExtraDb extends TargetRef {
  db: DbConfig;
}

export interface RestoreJob {
  /** Unique per restore: the task id, or cli-<time> for the standalone command. */
  id: string;
  taskId: string | null;
  file: string;
  manifest: Manifest;
  password?: string;
  paths: BackupPaths;
  appName: string;
  appVersion: string;
  /** The main application's database; null when only sub-applications or data sources are restored. */
  main: DbConfig | null;
  targets: ExtraDb[];
  safetyBackup: boolean;
  tools?: ToolPaths;
  /** Parallel restore jobs of a directory-format main dump (settings dumpJobs); null or absent: automatic. */
  jobs?: number | null;
  /** Seals the extra targets' connection settings in the journal; without it a crash recovery cannot reach them. */
  appKey?: string;
  /** The main database is of another dialect than the backup's: moved through NocoBase instead (move/). */
  move?: MoveStep;
}

/** A move into another dialect, as the pipeline's main database step (move/move-database.ts does the work). */
export interface MoveStep {
  /** With the staged copy, before anything is touched: the source can be read, the target's tools are there. */
  check(staging: string, manifest: Manifest): Promise<void>;
  /** Replaces the main database with the staged source's rows. */
  run(staging: string, manifest: Manifest): Promise<void>;
}

/** What each entry point (web restore, partial restore, app CLI, standalone CLI) brings to the one pipeline. */
export interface RestoreHooks {
  /** Makes the safety backup of what the plan replaces; answers the archive's path. */
  safetyBackup?: () => Promise<string>;
  /** Requests get the maintenance answer from here on (web restore of the main app). */
  enterMaintenance?: () => Promise<void>;
  /** Right before the first database is replaced: stop background work, close SQLite's file. */
  beforeDatabases?: () => Promise<void>;
  /** A sub-application is stopped before its database is replaced and started after. */
  beforeTarget?: (t: ExtraDb) => Promise<void>;
  afterTarget?: (t: ExtraDb) => Promise<void>;
  /** After the databases: reopen a closed connection. */
  afterDatabases?: () => Promise<void>;
  /** Once the data is in place: NocoBase's upgrade and restart (web), nothing offline (the caller upgrades). */
  finish?: () => Promise<void>;
  /** The phase shown while `finish` runs: 'upgrading', or 'restarting' when the versions are the backup's. */
  finishPhase?: Phase;
  /** After a rollback: reopen, restart what was stopped; `cause` is what made the restore fail. */
  afterRollback?: (cause: unknown) => Promise<void>;
  progress?: (phase: Phase, percent: number) => void;
  say?: (message: string) => void;
}

export class RestoreRolledBack extends Error {
  constructor(
    readonly cause: unknown,
    readonly safety: string,
  ) {
    super('restore rolled back');
  }
}

export class RestoreRollbackFailed extends Error {
  constructor(
    readonly cause: unknown,
    readonly rollbackError: unknown,
    readonly safety: string | null,
  ) {
    super('restore failed and could not be rolled back');
  }
}

export interface RestoreDone {
  safety: string | null;
  journal: { ms: number; writes: number };
  /**
   * Removes what the restore replaced (the storage set aside, the staged copy) and its journal. Called by the caller
   * once it has recorded the success: until then the journal says 'ended' and a crash leaves the clean-up to the
   * next start.
   */
  cleanUp: () => Promise<void>;
}

/**
 * Once staged (and the manifest copied beside the staged files for a crash recovery), the storage folders' entries
 * are not read again: the rest of the restore names dumps and parts only. Dropped from the manifest object itself,
 * which the task's closures share, so that a restore of 500,000 files does not hold 500,000 entries (about 95 MB of
 * heap) through its safety backup, database restore and upgrade.
 */
async function releaseStagedEntries(manifest: Manifest): Promise<void> {
  manifest.entries = await filterEntries(manifest.entries, (e) => !e.path.startsWith(STORAGE_PREFIX));
}

export const stagingOf = (paths: BackupPaths, id: string) => path.join(paths.tmp, `restore-${id}`);

/**
 * The one restore pipeline. Every step that changes live data is journaled before and after (see journal.ts), so
 * a crash at any instant is rolled back or completed at the next start (recover.ts). A failure while the server
 * runs is rolled back here from the safety backup (RestoreRolledBack); before the first live change nothing was
 * touched and the error is thrown as it is.
 */
export async function runRestorePipeline(
  job: RestoreJob,
  hooks: RestoreHooks = {},
): Promise<RestoreDone> {
  const dir = journalDir(job.paths.archives);
  const staging = stagingOf(job.paths, job.id);
  const tools = path.join(job.paths.tmp, `restore-${job.id}-tools`);
  const progress = hooks.progress ?? (() => undefined);
  const say = hooks.say ?? (() => undefined);
  const steps = planRestore({ main: !!job.main, targets: job.targets, safetyBackup: job.safetyBackup, finish: !!hooks.finish });
  const j: RestoreJournal = {
    version: 1,
    id: job.id,
    taskId: job.taskId,
    appName: job.appName,
    storage: job.paths.storage,
    owner: { pid: process.pid, start: processStart(process.pid) },
    archive: job.file,
    manifestCreatedAt: job.manifest.createdAt,
    appVersion: job.manifest.app.version,
    staging,
    safety: null,
    main: !!job.main,
    ...(job.move ? { move: true } : {}),
    targets: job.targets.map(({ kind, name }) => ({ kind, name })),
    targetDbs: job.targets.length && job.appKey ? sealWithAppKey(JSON.stringify(job.targets), job.appKey) : null,
    planned: steps.filter((s) => s.startsWith('db:') || s === 'storage' || s === 'finish'),
    steps: {},
    swaps: [],
    state: 'preparing',
    updatedAt: '',
  };
  // The journal's own cost (fsync of file and folder per write): reported, the benchmark holds it under 100 ms.
  const cost = { ms: 0, writes: 0 };
  const save = async () => {
    const t0 = process.hrtime.bigint();
    await saveJournal(dir, j);
    cost.ms += Number(process.hrtime.bigint() - t0) / 1e6;
    cost.writes += 1;
  };
  const resolve: DbResolver = (step) => (step === 'db:main' ? job.main : job.targets.find((t) => dbStep(t) === step)?.db ?? null);
  const begin = async (step: string) => {
    j.steps[step] = 'begun';
    await save();
    crashPoint(step);
  };
  const done = async (step: string) => {
    j.steps[step] = 'done';
    await save();
  };

  await save();
  let cleanUpLater = false;
  try {
    crashPoint('stage');
    say('Unpacking and checking every file of the backup');
    await stageArchive(job.file, job.manifest, staging, (p) => progress('validating', Math.floor(p * 0.3)), job.password);
    await writeDurable(path.join(staging, MANIFEST_COPY), manifestJsonPieces(job.manifest));
    await releaseStagedEntries(job.manifest);
    // A dump the tool cannot read, or one that would run client commands, stops here: before the safety backup,
    // before maintenance, before any database is emptied.
    // A moved main database is read row by row, not restored by a tool: its own check.
    const dumps = j.planned.filter((s) => s.startsWith('db:') && !(job.move && s === 'db:main'));
    await checkDumps(dumps, resolve, staging, job.manifest, tools, job.tools);
    await job.move?.check(staging, job.manifest);
    // The staged files are on disk before anything live changes: once the restore is kept, the originals they replace
    // are deleted (sync-disk.ts).
    await syncFileSystemOf(staging);

    if (job.safetyBackup && hooks.safetyBackup) {
      crashPoint('safety');
      say('Making a safety backup of the current state');
      progress('safety backup', 30);
      j.safety = await hooks.safetyBackup();
      await save();
    }

    progress('restoring database', 50);
    if (job.main) {
      crashPoint('maintenance');
      await hooks.enterMaintenance?.();
    }
    await hooks.beforeDatabases?.();
    j.state = 'live';
    await save();
    await fs.promises.mkdir(tools, { recursive: true, mode: 0o700 });

    for (const t of job.targets) {
      const step = dbStep(t);
      await begin(step);
      await hooks.beforeTarget?.(t);
      await replaceDatabase(t.db, staging, job.manifest, step, tools, job.tools, crashMidway(step), true);
      await done(step);
      await hooks.afterTarget?.(t);
    }
    if (job.main) {
      say('Restoring the database');
      await begin('db:main');
      if (job.move) {
        const crash = crashMidway('db:main');
        crash.spawned();
        await job.move.run(staging, job.manifest).finally(() => crash.stop());
      } else {
        await replaceDatabase(job.main, staging, job.manifest, 'db:main', tools, job.tools, crashMidway('db:main'), true, job.jobs);
      }
      await done('db:main');
    }
    await hooks.afterDatabases?.();

    if (job.main) {
      say('Restoring the files');
      progress('restoring files', 80);
      j.swaps = swapRecords(job.paths.storage, job.appName, job.manifest, staging, job.id);
      await begin('storage');
      // Modes were set on the staged copy (engine/restore-modes.ts); renames keep them.
      await swapForward(j.swaps, (i) => i === 0 && crashPoint('storage:mid'));
      await done('storage');
    }

    if (hooks.finish) {
      progress(hooks.finishPhase ?? 'upgrading', 90);
      await begin('finish');
      await hooks.finish();
      await done('finish');
    }

    crashPoint('commit');
    j.state = 'ended';
    await save();
    // The restore is kept from here on. What it replaced goes in cleanUp, after the caller has said so: the
    // originals set aside are every upload of before (60-80 s of deletion at 500,000 files on a slow disk), and an
    // 'ended' journal left by a crash in between is cleaned up by the next start's recovery (recover.ts).
    cleanUpLater = true;
    const cleanUp = async () => {
      crashPoint('cleanup');
      await dropAsides(j.swaps);
      await removeTree(staging);
      await removeJournal(dir, j.id);
    };
    return { safety: j.safety, journal: { ms: Math.round(cost.ms * 10) / 10, writes: cost.writes }, cleanUp };
  } catch (err) {
    if (j.state !== 'live') throw err;
    if (!j.safety) {
      // Nothing to go back to: the admin turned the safety backup off. The task says what failed.
      j.state = 'ended';
      await save();
      await dropAsides(j.swaps);
      throw err;
    }
    say('Putting the application back from the safety backup');
    progress('rolling back', 95);
    try {
      await hooks.beforeDatabases?.();
      await rollBack(j, resolve, tools, job.tools);
      j.state = 'ended';
      await save();
      await hooks.afterRollback?.(err);
    } catch (rollbackErr) {
      // The journal stays 'live': the next start tries again.
      throw new RestoreRollbackFailed(err, rollbackErr, j.safety);
    }
    throw new RestoreRolledBack(err, j.safety);
  } finally {
    // A journal still 'live' (its rollback failed) keeps its staged copy for the next start's recovery.
    if (j.state !== 'live' && !cleanUpLater) {
      await removeTree(staging);
      await removeJournal(dir, j.id);
    }
    await fs.promises.rm(tools, { recursive: true, force: true });
  }
}
