import fs from 'fs';
import path from 'path';
import type { Application } from '@nocobase/server';
import { NAMESPACE, type Phase, type TaskOrigin } from '../../constants';
import type { Manifest } from '../archive/manifest-types';
import {
  inspectArchive,
  inspectArchiveHeader,
  restoreDatabase,
  stageArchive,
  swapStorage,
  type StorageSwap,
} from '../engine/restore';
import { BackupError } from '../errors';
import { discardUpload } from '../actions/upload';
import { requireProvenance } from '../archive/provenance';
import { archivePath } from '../paths';
import type { BackupsService, TaskRow } from '../service';
import { summaryOf } from './summary';
import { readTaskRows, writeJournal } from './journal';
import { resolveRestoreSelection } from '../subapps/selection';
import { resolveRestoreSources } from '../datasources/kinds';
import { PROGRESS_WRITE_BUDGET_MS, throttledProgress } from './progress';
import { runPartialRestore } from './partial-restore';
import {
  assertSafetyCovers,
  restoreTargets,
  safetyExtras,
  sourceTargets,
  startSubApps,
  subAppTargets,
  type ExtraTarget,
} from './restore-targets';

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
  /** External data sources to restore too: never unless named here. */
  dataSources?: unknown;
  /** The admin's acknowledgement that an archive made elsewhere (not signed with this APP_KEY) may be restored. */
  trustForeign?: boolean;
}

type Maintaining = { setMaintaining(s: { status: string; command: { name: string } }): Promise<void> };

/**
 * Validates at once (answers 4xx and touches nothing on bad input), then restores in the background:
 * stage + verify → safety backup → maintenance → database → storage → upgrade + restart; on any failure after
 * the first live change, the safety backup is put back and the app restarted, and the task says why. Without the
 * main application (only sub-applications or data sources chosen), see partial-restore.ts.
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
    await requireProvenance(file, process.env.APP_KEY, req.trustForeign === true);
    const size = (await fs.promises.stat(file)).size;
    const encrypted = header.encrypted;
    const sourceKeys = resolveRestoreSources(req.dataSources, (manifest.dataSources || []).map((d) => d.key));
    const selection = resolveRestoreSelection(req.apps, (manifest.apps || []).map((a) => a.name), sourceKeys.length);
    const targets = [...(await subAppTargets(service, manifest, selection)), ...(await sourceTargets(service, manifest, sourceKeys))];
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
        dataSources: sourceKeys,
      },
    });
    slot.setId(task.id);
    const run = selection.main
      ? runRestore(service, task, file, manifest, req, targets)
      : runPartialRestore(service, task, file, manifest, req, targets);
    run
      .catch((err) => service.app.log.error(`[${NAMESPACE}] restore task ${task.id} failed`, { err }))
      // An upload serves one restore: removed once it ends, whatever the outcome (issue 15, item 10).
      .finally(() => discardUpload(service.paths, req.uploadFile).finally(() => slot.release()));
    return task;
  } catch (err) {
    slot.release();
    throw err;
  }
}

async function runRestore(
  service: BackupsService,
  task: TaskRow,
  file: string,
  manifest: Manifest,
  req: RestoreRequest,
  targets: ExtraTarget[],
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
        ...(await safetyExtras(service, targets)),
      });
      safetyFile = archivePath(paths, String(done.fileName));
      assertSafetyCovers(done, targets);
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
    await restoreTargets(targets, staging, manifest, tmpDir, false);
    await restoreDatabase(db, manifest, staging, tmpDir);
    await reopen(app);

    phase = 'restoring files';
    app.setMaintainingMessage('restoring files');
    swap = await swapStorage(paths.storage, app.name, manifest, staging, String(task.id));

    phase = 'upgrading';
    app.setMaintainingMessage('upgrading');
    await app.runCommandThrowError('upgrade');
    await swap.commit();
    await startSubApps(service, targets);
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
    await rollBack(service, task, db, swap, safetyFile, rows, err, targets);
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
  targets: ExtraTarget[] = [],
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
      await restoreTargets(targets, staging, manifest, path.join(staging, '.tools'), false);
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
    await startSubApps(service, targets);
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
