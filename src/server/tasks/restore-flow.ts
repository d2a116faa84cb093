import fs from 'fs';
import path from 'path';
import type { Application } from '@nocobase/server';
import { NAMESPACE, type Phase, type TaskOrigin } from '../../constants';
import type { Manifest } from '../archive/manifest-types';
import {
  inspectArchive,
  inspectArchiveHeader,
  restoreDatabase,
  restoreDump,
  stageArchive,
  swapStorage,
  type StorageSwap,
} from '../engine/restore';
import { BackupError } from '../errors';
import { archivePath } from '../paths';
import type { BackupsService, TaskRow } from '../service';
import { summaryOf } from './summary';
import { readTaskRows, writeJournal } from './journal';
import type { DbConfig } from '../dumpers/types';
import { sameFamily } from '../db-config';
import { resolveRestoreSelection, type RestoreSelection } from '../subapps/selection';
import { startSubApp, stopSubApp, subAppDbConfig } from '../subapps/registry';
import { PROGRESS_WRITE_BUDGET_MS, throttledProgress } from './progress';

export interface RestoreRequest {
  /** A finished backup in the list, or an uploaded archive (see upload.ts). */
  taskId?: number | string;
  uploadFile?: string;
  safetyBackup?: boolean;
  /** For an encrypted archive; proven against the archive before the task starts. Never stored. */
  password?: string;
  userId?: number | string;
  /** 'main' and/or sub-application names the archive carries; default: the main application only. */
  apps?: unknown;
}

/** A sub-application being restored: its database now, and its dump's path inside the archive. */
interface SubAppTarget {
  name: string;
  db: DbConfig;
  entry: string;
}

type Maintaining = { setMaintaining(s: { status: string; command: { name: string } }): Promise<void> };

/**
 * Validates at once (answers 4xx and touches nothing on bad input), then restores in the background:
 * stage + verify → safety backup → maintenance → database → storage → upgrade + restart; on any failure after
 * the first live change, the safety backup is put back and the app restarted, and the task says why.
 */
export async function startRestore(service: BackupsService, req: RestoreRequest): Promise<TaskRow> {
  const slot = service.exclusive.reserve('restore');
  try {
    await service.assertIdle();
    let file: string;
    let origin: TaskOrigin = 'manual';
    if (req.taskId !== undefined) {
      file = await service.archiveOf(await service.findTask(req.taskId));
    } else if (req.uploadFile) {
      file = req.uploadFile;
      origin = 'upload';
    } else {
      throw new BackupError('NOT_FOUND', {}, 400);
    }
    // One read of the archive: its central directory is what takes time (about a second for 50,000 files).
    const { header, manifest } = await inspectArchiveHeader(file, service.restoreTarget(), req.password);
    const size = (await fs.promises.stat(file)).size;
    const encrypted = header.encrypted;
    const selection = resolveRestoreSelection(req.apps, (manifest.apps || []).map((a) => a.name));
    const subApps = await subAppTargets(service, manifest, selection);
    const task = await service.createTask('restore', origin, {
      createdById: req.userId,
      fileName: path.basename(file),
      size,
      encrypted,
      summary: summaryOf(manifest, size, encrypted),
      options: {
        safetyBackup: req.safetyBackup !== false,
        sourceTaskId: req.taskId ?? null,
        apps: [...(selection.main ? ['main'] : []), ...selection.subApps],
      },
    });
    slot.setId(task.id);
    const run = selection.main ? runRestore(service, task, file, manifest, req, subApps) : runSubAppRestore(service, task, file, manifest, req, subApps);
    run
      .catch((err) => service.app.log.error(`[${NAMESPACE}] restore task ${task.id} failed`, { err }))
      .finally(() => slot.release());
    return task;
  } catch (err) {
    slot.release();
    throw err;
  }
}

/** Each chosen sub-application must exist here now, on a database of the archive's kind. */
async function subAppTargets(service: BackupsService, manifest: Manifest, selection: RestoreSelection): Promise<SubAppTarget[]> {
  const targets: SubAppTarget[] = [];
  for (const name of selection.subApps) {
    const carried = (manifest.apps || []).find((a) => a.name === name);
    if (!carried) throw new BackupError('SUBAPP_NOT_IN_BACKUP', { name }, 400);
    const db = await subAppDbConfig(service.app, name);
    if (!sameFamily(db.dialect, carried.dialect as DbConfig['dialect'])) {
      throw new BackupError('DIALECT_MISMATCH', { backup: carried.dialect, current: db.dialect }, 422);
    }
    targets.push({ name, db, entry: carried.dump });
  }
  return targets;
}

/** Stops each sub-application, replaces its database from the staged dumps, and starts it again. */
async function restoreSubApps(targets: SubAppTarget[], stagingDir: string, entries: Manifest, tmpDir: string, start = true): Promise<void> {
  for (const t of targets) {
    const carried = (entries.apps || []).find((a) => a.name === t.name);
    if (!carried) throw new BackupError('SUBAPP_NOT_IN_BACKUP', { name: t.name }, 400);
    await stopSubApp(t.name);
    await restoreDump(t.db, path.join(stagingDir, carried.dump), tmpDir);
    if (start) await startSubApp(t.name);
  }
}

async function startSubApps(service: BackupsService, targets: SubAppTarget[]): Promise<void> {
  for (const t of targets) {
    await startSubApp(t.name).catch((err) => service.app.log.error(`[${NAMESPACE}] sub-application ${t.name} did not start`, { err }));
  }
}

/**
 * Sub-applications only: the main application keeps running. Same order as a full restore (stage and verify, safety
 * backup of those sub-applications, replace), and on failure the safety backup's dumps are put back.
 */
async function runSubAppRestore(
  service: BackupsService,
  task: TaskRow,
  file: string,
  manifest: Manifest,
  req: RestoreRequest,
  subApps: SubAppTarget[],
): Promise<void> {
  const paths = service.paths;
  const staging = path.join(paths.tmp, `restore-${task.id}`);
  const tmpDir = path.join(paths.tmp, `restore-${task.id}-tools`);
  const progress = throttledProgress((p: Phase, percent: number) => service.updateTask(task.id, { phase: p, progress: percent }, PROGRESS_WRITE_BUDGET_MS));
  let safetyFile: string | null = null;
  let live = false;
  try {
    await service.updateTask(task.id, { status: 'running', startedAt: new Date(), phase: 'validating' });
    await stageArchive(file, manifest, staging, (p) => progress.report('validating', Math.floor(p * 0.3)), req.password);
    if (req.safetyBackup !== false) {
      progress.report('safety backup', 30);
      const safety = await service.createTask('backup', 'safety', {
        createdById: req.userId,
        options: { includeUploads: false, includePlugins: false, forRestoreTaskId: task.id, subApps: subApps.map((s) => s.name) },
      });
      const done = await service.runBackupTask(safety, {
        origin: 'safety',
        includeUploads: false,
        includePlugins: false,
        subApps: subApps.map((s) => s.name),
      });
      safetyFile = archivePath(paths, String(done.fileName));
    }
    await progress.flush();
    await service.updateTask(task.id, { phase: 'restoring database', progress: 50 });
    live = true;
    await restoreSubApps(subApps, staging, manifest, tmpDir);
    await service.updateTask(task.id, { status: 'succeeded', phase: 'done', progress: 100, error: null, errorCode: null, finishedAt: new Date() });
  } catch (err) {
    await progress.flush();
    service.app.log.error(`[${NAMESPACE}] sub-application restore failed: ${service.describe(err)}`);
    if (!live || !safetyFile) {
      if (live) await startSubApps(service, subApps);
      await service.failTask(task.id, err);
      return;
    }
    const back = path.join(paths.tmp, `rollback-${task.id}`);
    try {
      const safety = await inspectArchive(safetyFile, service.restoreTarget());
      await stageArchive(safetyFile, safety, back);
      await restoreSubApps(subApps, back, safety, path.join(back, '.tools'));
      const detail = service.describe(err);
      const error = service.app.i18n.t('RESTORE_FAILED_ROLLED_BACK', { ns: NAMESPACE, lng: 'en-US', detail });
      await service.updateTask(task.id, { status: 'failed', errorCode: 'RESTORE_FAILED_ROLLED_BACK', error, finishedAt: new Date() });
    } catch (rollbackErr) {
      await startSubApps(service, subApps);
      await service.failTask(task.id, new Error(`${service.describe(err)}; rollback failed: ${service.describe(rollbackErr)}`));
    } finally {
      await fs.promises.rm(back, { recursive: true, force: true });
    }
  } finally {
    await fs.promises.rm(staging, { recursive: true, force: true });
    await fs.promises.rm(tmpDir, { recursive: true, force: true });
  }
}

async function runRestore(
  service: BackupsService,
  task: TaskRow,
  file: string,
  manifest: Manifest,
  req: RestoreRequest,
  subApps: SubAppTarget[],
): Promise<void> {
  const app = service.app;
  const paths = service.paths;
  const staging = path.join(paths.tmp, `restore-${task.id}`);
  const tmpDir = path.join(paths.tmp, `restore-${task.id}-tools`);
  const db = service.dbConfig();
  let phase: Phase = 'validating';
  const progress = throttledProgress((p: Phase, percent: number) => service.updateTask(task.id, { phase: p, progress: percent }, PROGRESS_WRITE_BUDGET_MS));
  let live = false; // from here on the app's data may have changed
  let swap: StorageSwap | null = null;
  let safetyFile: string | null = null;
  let rows: Record<string, unknown>[] = [];
  try {
    await service.updateTask(task.id, { status: 'running', startedAt: new Date(), phase });
    await stageArchive(file, manifest, staging, (p) => progress.report('validating', Math.floor(p * 0.3)), req.password);

    if (req.safetyBackup !== false) {
      phase = 'safety backup';
      progress.report(phase, 30);
      const safety = await service.createTask('backup', 'safety', {
        createdById: req.userId,
        options: { includeUploads: true, includePlugins: true, forRestoreTaskId: task.id },
      });
      const done = await service.runBackupTask(safety, {
        origin: 'safety',
        includeUploads: true,
        includePlugins: true,
        subApps: subApps.map((s) => s.name),
      });
      safetyFile = archivePath(paths, String(done.fileName));
    }

    phase = 'restoring database';
    await progress.flush();
    await service.updateTask(task.id, { phase, progress: 50 });
    rows = await readTaskRows(service);
    await writeJournal(service, task.id, rows);
    await enterMaintenance(app, 'restoring database');
    await quiesce(app, db.dialect);
    live = true;
    // Sub-applications first, stopped until the main application (which lists them) is back.
    await restoreSubApps(subApps, staging, manifest, tmpDir, false);
    await restoreDatabase(db, manifest, staging, tmpDir);
    await reopen(app);

    phase = 'restoring files';
    app.setMaintainingMessage('restoring files');
    swap = await swapStorage(paths.storage, app.name, manifest, staging, String(task.id));

    phase = 'upgrading';
    app.setMaintainingMessage('upgrading');
    await app.runCommandThrowError('upgrade');
    await swap.commit();
    await startSubApps(service, subApps);
    await service.updateTask(task.id, {
      status: 'succeeded',
      phase: 'done',
      progress: 100,
      error: null,
      errorCode: null,
      finishedAt: new Date(),
    });
  } catch (err) {
    await progress.flush();
    app.log.error(`[${NAMESPACE}] restore failed during ${phase}: ${service.describe(err)}`, { stack: (err as Error)?.stack });
    if (!live) {
      await service.failTask(task.id, err);
      return;
    }
    await rollBack(service, task, db, swap, safetyFile, rows, err, subApps);
  } finally {
    await fs.promises.rm(staging, { recursive: true, force: true });
    await fs.promises.rm(tmpDir, { recursive: true, force: true });
  }
}

/** The live data may be half-replaced: put the safety backup back, restart, and record why the restore failed. */
async function rollBack(
  service: BackupsService,
  task: TaskRow,
  db: ReturnType<BackupsService['dbConfig']>,
  swap: StorageSwap | null,
  safetyFile: string | null,
  rows: Record<string, unknown>[],
  cause: unknown,
  subApps: SubAppTarget[] = [],
): Promise<void> {
  const app = service.app;
  const paths = service.paths;
  const detail = service.describe(cause);
  const staging = path.join(paths.tmp, `rollback-${task.id}`);
  const failed = (code: string, error: string) => ({
    ...rows.find((r) => r.id === task.id),
    id: task.id,
    status: 'failed',
    phase: 'rolling back',
    errorCode: code,
    error,
    finishedAt: new Date(),
  });
  try {
    app.setMaintainingMessage('rolling back');
    if (swap) await swap.rollback();
    if (safetyFile) {
      const manifest = await inspectArchive(safetyFile, { dialect: db.dialect, appVersion: service.appVersion() });
      await stageArchive(safetyFile, manifest, staging);
      await quiesce(app, db.dialect);
      await restoreSubApps(subApps, staging, manifest, path.join(staging, '.tools'), false);
      await restoreDatabase(db, manifest, staging, path.join(staging, '.tools'));
    }
    await reopen(app);
    const error = safetyFile
      ? app.i18n.t('RESTORE_FAILED_ROLLED_BACK', { ns: NAMESPACE, lng: 'en-US', detail })
      : detail;
    const code = safetyFile ? 'RESTORE_FAILED_ROLLED_BACK' : 'RESTORE_FAILED';
    // The journal carries the failure across the restart, whatever state the task table is in.
    await writeJournal(service, task.id, [...rows.filter((r) => r.id !== task.id), failed(code, error)]);
    await app.runCommandThrowError('upgrade');
    await startSubApps(service, subApps);
    await service.updateTask(task.id, { status: 'failed', errorCode: code, error, finishedAt: new Date() });
  } catch (err) {
    app.log.error(`[${NAMESPACE}] rollback failed: ${service.describe(err)}`, { stack: (err as Error)?.stack });
    await writeJournal(service, task.id, [
      ...rows.filter((r) => r.id !== task.id),
      failed('RESTORE_FAILED', `${detail}; rollback failed: ${service.describe(err)}`),
    ]).catch(() => undefined);
    await app.runCommand('upgrade').catch(() => undefined);
    await service.failTask(task.id, new Error(`${detail}; rollback failed: ${service.describe(err)}`));
  } finally {
    await fs.promises.rm(staging, { recursive: true, force: true });
  }
}

/** Requests are answered with NocoBase's maintenance state ("restore") while the data is replaced. */
async function enterMaintenance(app: Application, message: string): Promise<void> {
  const m = app as unknown as Maintaining;
  await m.setMaintaining({ status: 'command_begin', command: { name: 'restore' } });
  await m.setMaintaining({ status: 'command_running', command: { name: 'restore' } });
  app.setMaintainingMessage(message);
}

/** A closed SQLite connection is reopened on the swapped file before the upgrade needs it. */
async function reopen(app: Application): Promise<void> {
  if (app.db.closed()) await app.db.reconnect();
}

/** Stops background work (timers, queues) as a stop would; SQLite's file is closed so it can be swapped. */
async function quiesce(app: Application, dialect: string): Promise<void> {
  await app.emitAsync('beforeStop');
  await app.emitAsync('afterStop');
  if (dialect === 'sqlite' && !app.db.closed()) await app.db.close();
}
