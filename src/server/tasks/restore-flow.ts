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
import { describeDataSource, planSources, resolveRestoreSources, sourceDbConfig } from '../datasources/kinds';
import { listDataSourceRows } from '../datasources/registry';
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
  /** External data sources to restore too: never unless named here. */
  dataSources?: unknown;
}

/** A sub-application or an external data source being restored, and its database now. */
interface ExtraTarget {
  kind: 'app' | 'source';
  name: string;
  db: DbConfig;
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
    const sourceKeys = resolveRestoreSources(req.dataSources, (manifest.dataSources || []).map((d) => d.key));
    const selection = resolveRestoreSelection(req.apps, (manifest.apps || []).map((a) => a.name), sourceKeys.length);
    const subApps = [...(await subAppTargets(service, manifest, selection)), ...(await sourceTargets(service, manifest, sourceKeys))];
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
    const run = selection.main ? runRestore(service, task, file, manifest, req, subApps) : runPartialRestore(service, task, file, manifest, req, subApps);
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
async function subAppTargets(service: BackupsService, manifest: Manifest, selection: RestoreSelection): Promise<ExtraTarget[]> {
  const targets: ExtraTarget[] = [];
  for (const name of selection.subApps) {
    const carried = (manifest.apps || []).find((a) => a.name === name);
    if (!carried) throw new BackupError('SUBAPP_NOT_IN_BACKUP', { name }, 400);
    const db = await subAppDbConfig(service.app, name);
    if (!sameFamily(db.dialect, carried.dialect as DbConfig['dialect'])) {
      throw new BackupError('DIALECT_MISMATCH', { backup: carried.dialect, current: db.dialect }, 422);
    }
    targets.push({ kind: 'app', name, db });
  }
  return targets;
}

/** Each chosen data source must be configured here now, with a dump tool, on a database of the archive's kind. */
async function sourceTargets(service: BackupsService, manifest: Manifest, keys: string[]): Promise<ExtraTarget[]> {
  if (!keys.length) return [];
  const rows = await listDataSourceRows(service.app);
  const targets: ExtraTarget[] = [];
  for (const key of keys) {
    const carried = (manifest.dataSources || []).find((d) => d.key === key);
    const row = rows.find((r) => r.key === key);
    if (!carried) throw new BackupError('DATASOURCE_NOT_IN_BACKUP', { key }, 400);
    if (!row) throw new BackupError('DATASOURCE_UNKNOWN', { key }, 400);
    const choice = describeDataSource(row);
    if (!choice.supported) throw new BackupError(choice.reason || 'DATASOURCE_NO_TOOL', { key, type: row.type }, 400);
    const db = sourceDbConfig(row);
    if (!sameFamily(db.dialect, carried.dialect as DbConfig['dialect'])) {
      throw new BackupError('DIALECT_MISMATCH', { backup: carried.dialect, current: db.dialect }, 422);
    }
    targets.push({ kind: 'source', name: key, db });
  }
  return targets;
}

/** A source the safety backup could not dump (server down...) could not be put back: stop before any change. */
function assertSafetyCovers(safety: TaskRow, targets: ExtraTarget[]): void {
  const carried = ((safety.summary as { dataSources?: string[] } | undefined)?.dataSources) ?? [];
  const missing = targets.find((t) => t.kind === 'source' && !carried.includes(t.name));
  if (missing) throw new BackupError('DATASOURCE_SAFETY_FAILED', { key: missing.name }, 502);
}

function dumpOf(t: ExtraTarget, manifest: Manifest): string {
  const dump =
    t.kind === 'app'
      ? (manifest.apps || []).find((a) => a.name === t.name)?.dump
      : (manifest.dataSources || []).find((d) => d.key === t.name)?.dump;
  if (!dump) throw new BackupError(t.kind === 'app' ? 'SUBAPP_NOT_IN_BACKUP' : 'DATASOURCE_NOT_IN_BACKUP', { name: t.name, key: t.name }, 400);
  return dump;
}

/** What a safety backup must carry to put these targets back. */
async function safetyExtras(service: BackupsService, targets: ExtraTarget[]) {
  const sourceKeys = targets.filter((t) => t.kind === 'source').map((t) => t.name);
  return {
    subApps: targets.filter((t) => t.kind === 'app').map((t) => t.name),
    dataSources: sourceKeys.length ? planSources(sourceKeys, await listDataSourceRows(service.app)) : undefined,
  };
}

/**
 * Replaces each target's database from the staged dumps; a sub-application is stopped first and (with `start`)
 * started again. An external data source is restored in place: NocoBase reconnects on its next query.
 */
async function restoreSubApps(targets: ExtraTarget[], stagingDir: string, entries: Manifest, tmpDir: string, start = true): Promise<void> {
  for (const t of targets) {
    const dump = dumpOf(t, entries);
    if (t.kind === 'app') await stopSubApp(t.name);
    await restoreDump(t.db, path.join(stagingDir, dump), tmpDir);
    if (t.kind === 'app' && start) await startSubApp(t.name);
  }
}

async function startSubApps(service: BackupsService, targets: ExtraTarget[]): Promise<void> {
  for (const t of targets.filter((x) => x.kind === 'app')) {
    await startSubApp(t.name).catch((err) => service.app.log.error(`[${NAMESPACE}] sub-application ${t.name} did not start`, { err }));
  }
}

/**
 * Sub-applications and/or data sources only: the main application keeps running. Same order as a full restore (stage and verify, safety
 * backup of those sub-applications, replace), and on failure the safety backup's dumps are put back.
 */
async function runPartialRestore(
  service: BackupsService,
  task: TaskRow,
  file: string,
  manifest: Manifest,
  req: RestoreRequest,
  subApps: ExtraTarget[],
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
      const extras = await safetyExtras(service, subApps);
      const safety = await service.createTask('backup', 'safety', {
        createdById: req.userId,
        options: { includeUploads: false, includePlugins: false, forRestoreTaskId: task.id, ...extras, dataSources: extras.dataSources?.dump.map((d) => d.key) },
      });
      const done = await service.runBackupTask(safety, { origin: 'safety', includeUploads: false, includePlugins: false, ...extras });
      safetyFile = archivePath(paths, String(done.fileName));
      assertSafetyCovers(done, subApps);
    }
    await progress.flush();
    await service.updateTask(task.id, { phase: 'restoring database', progress: 50 });
    live = true;
    await restoreSubApps(subApps, staging, manifest, tmpDir);
    await service.updateTask(task.id, { status: 'succeeded', phase: 'done', progress: 100, error: null, errorCode: null, finishedAt: new Date() });
  } catch (err) {
    await progress.flush();
    service.app.log.error(`[${NAMESPACE}] restore of ${subApps.map((t) => t.name).join(', ')} failed: ${service.describe(err)}`);
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
  subApps: ExtraTarget[],
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
        ...(await safetyExtras(service, subApps)),
      });
      safetyFile = archivePath(paths, String(done.fileName));
      assertSafetyCovers(done, subApps);
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
  subApps: ExtraTarget[] = [],
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
