import fs from 'fs';
import path from 'path';
import type { Application } from '@nocobase/server';
import { NAMESPACE, type Phase, type TaskOrigin } from '../../constants';
import type { Manifest } from '../archive/manifest-types';
import { inspectArchiveHeader } from '../engine/restore';
import { discardUpload } from '../actions/upload';
import { assertTrusted } from '../archive/provenance';
import { BackupError, translate } from '../errors';
import { registerLocales } from '../locale';
import { archivePath } from '../paths';
import type { BackupsService, TaskRow } from '../service';
import { summaryOf } from './summary';
import { readTaskRows, writeJournal } from './journal';
import { resolveRestoreSelection } from '../subapps/selection';
import { resolveRestoreSources } from '../datasources/kinds';
import { runExclusive } from './exclusive';
import { PROGRESS_WRITE_BUDGET_MS, throttledProgress } from './progress';
import { runRestorePipeline, RestoreRollbackFailed, RestoreRolledBack, type RestoreJob } from '../restore/runner';
import { startSubApp, stopSubApp } from '../subapps/registry';
import { appPreflight, entriesBytes } from './preflight';
import { assertPreflight } from '../preflight/gate';
import { dumpJobsSetting } from './backup-flow';
import { webMoveStep } from './move-web';
import type { MoveReport } from '../move/copy-plan';
import { assertSafetyCovers, safetyExtras, sourceTargets, startSubApps, subAppTargets, type ExtraTarget } from './restore-targets';

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
  /** The admin read the pre-flight report's warnings and goes on (the dialog's tick). */
  acceptWarnings?: boolean;
}

type Maintaining = { setMaintaining(s: { status: string; command: { name: string } }): Promise<void> };

/**
 * Validates at once (answers 4xx and touches nothing on bad input), then restores in the background:
 * stage + verify → safety backup → maintenance → database → storage → upgrade + restart; on any failure after
 * the first live change, the safety backup is put back and the app restarted, and the task says why. Without the
 * main application (only sub-applications or data sources chosen) the app keeps serving.
 */
export async function startRestore(service: BackupsService, req: RestoreRequest): Promise<TaskRow> {
  const { prepared, done } = await runExclusive(
    service,
    'restore',
    () => prepareRestore(service, req),
    (p) =>
      runRestore(service, p.task, p.file, p.manifest, req, p.targets, p.main, p.upgrade, p.moving)
        // An upload serves one restore: removed once it ends, whatever the outcome (issue 15, item 10).
        .finally(() => discardUpload(service.paths, req.uploadFile)),
  );
  done.catch((err) => service.app.log.error(`[${NAMESPACE}] restore task ${prepared.task.id} failed`, { err }));
  return prepared.task;
}

/** Everything checked before any task or change: a bad request is answered 4xx and touches nothing. */
async function prepareRestore(service: BackupsService, req: RestoreRequest) {
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
  // One read of the archive for header, password and provenance: its central directory is what takes time (about a
  // second for 50,000 files).
  const { header, manifest, provenance } = await inspectArchiveHeader(file, service.restoreTarget(), req.password, process.env.APP_KEY);
  assertTrusted(provenance, req.trustForeign === true);
  const size = (await fs.promises.stat(file)).size;
  const encrypted = header.encrypted;
  const sourceKeys = resolveRestoreSources(req.dataSources, (manifest.dataSources || []).map((d) => d.key));
  const selection = resolveRestoreSelection(req.apps, (manifest.apps || []).map((a) => a.name), sourceKeys.length);
  const targets = [...(await subAppTargets(service, manifest, selection)), ...(await sourceTargets(service, manifest, sourceKeys))];
  // The pre-flight, from the manifest the password authenticated: refused here, before any task or change. Only for
  // the main application: sub-applications and data sources are started (and upgraded) by the supervisor.
  const preflight = selection.main
    ? await appPreflight(service, manifest, { stagingBytes: await entriesBytes(manifest), safetyBackup: req.safetyBackup !== false })
    : null;
  if (preflight) assertPreflight(preflight, req.acceptWarnings === true);
  // A SQLite backup restored into this server database is moved (restore/move-step.ts); its way back is the safety
  // backup, which it may not go without.
  const moving = selection.main && manifest.database.dialect !== service.dbConfig().dialect;
  if (moving && req.safetyBackup === false) throw new BackupError('MOVE_NEEDS_SAFETY', {}, 422);
  const upgrade = preflight ? preflight.upgrade : true;
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
      upgrade,
      ...(moving ? { move: { from: manifest.database.dialect, to: service.dbConfig().dialect } } : {}),
    },
  });
  return { task, file, manifest, targets, main: selection.main, upgrade, moving };
}

/**
 * The web restore through the one pipeline (restore/runner.ts): the main application (maintenance, database,
 * storage, upgrade and restart) and/or sub-applications and data sources (the main app keeps serving). A failure
 * after the first live change is rolled back from the safety backup; a crash is rolled back at the next start.
 */
async function runRestore(
  service: BackupsService,
  task: TaskRow,
  file: string,
  manifest: Manifest,
  req: RestoreRequest,
  targets: ExtraTarget[],
  main: boolean,
  upgrade: boolean,
  moving = false,
): Promise<void> {
  const app = service.app;
  const db = service.dbConfig();
  // Every phase the task went through, kept on its row: the report said whether NocoBase's upgrade would run.
  const phases: Phase[] = [];
  const progress = throttledProgress((p: Phase, percent: number) => service.updateTask(task.id, { phase: p, progress: percent }, PROGRESS_WRITE_BUDGET_MS));
  const report = (p: Phase, percent: number) => {
    if (!phases.includes(p)) phases.push(p);
    progress.report(p, percent);
  };
  let rows: Record<string, unknown>[] = [];
  // Sub-applications this restore stopped: started again whatever happens.
  const stopped = new Set<string>();
  const startStopped = () => startSubApps(service, targets.filter((t) => stopped.has(t.name)));
  const job: RestoreJob = {
    id: String(task.id),
    taskId: String(task.id),
    file,
    manifest,
    password: req.password,
    paths: service.paths,
    appName: app.name,
    appVersion: service.appVersion(),
    main: main ? db : null,
    targets,
    safetyBackup: req.safetyBackup !== false,
    appKey: process.env.APP_KEY,
    jobs: await dumpJobsSetting(app),
  };
  let moveReport: MoveReport | null = null;
  const moveTmp = path.join(service.paths.tmp, `${task.id}-move`);
  if (moving) {
    job.move = webMoveStep(service, moveTmp, (copied, total) => report('restoring database', total ? 50 + Math.floor((30 * copied) / total) : 50), (r) => (moveReport = r));
  }
  // A restart that failed in its reload left a new app.i18n without our texts: they are added again (idempotent).
  const rolledBackText = (cause: unknown): string => {
    registerLocales(app);
    return translate(app.i18n, 'RESTORE_FAILED_ROLLED_BACK', { detail: service.describe(cause) }, 'en-US');
  };
  // NocoBase's restart builds a new app (database, plugins) before it starts it: one that fails in between leaves a
  // half-built app that is not started, which an upgrade cannot start again (bringBack).
  let reloadFailed = false;
  const quiesceAll = async () => {
    if (main) await quiesce(app, db.dialect);
  };
  try {
    await service.updateTask(task.id, { status: 'running', startedAt: new Date(), phase: 'validating' });
    const { journal, cleanUp } = await runRestorePipeline(job, {
      progress: report,
      safetyBackup: async () => {
        const extras = await safetyExtras(service, targets);
        const safety = await service.createTask('backup', 'safety', {
          createdById: req.userId,
          options: { includeUploads: main, includePlugins: main, forRestoreTaskId: task.id, ...extras, dataSources: extras.dataSources?.dump.map((d) => d.key) },
        });
        const done = await service.runBackupTask(safety, { origin: 'safety', includeUploads: main, includePlugins: main, ...extras });
        assertSafetyCovers(done, targets);
        return archivePath(service.paths, String(done.fileName));
      },
      enterMaintenance: async () => {
        await progress.flush();
        // Our task rows are runtime data the restored database lacks: kept in a file, put back at the next start.
        rows = await readTaskRows(service.store);
        await writeJournal(service.store, task.id, rows);
        await enterMaintenance(app, 'restoring database');
      },
      beforeDatabases: quiesceAll,
      beforeTarget: async (t) => {
        if (t.kind !== 'app') return;
        stopped.add(t.name);
        await stopSubApp(t.name);
      },
      // Without the main application, sub-applications start again at once; with it, once it is back.
      afterTarget: async (t) => {
        if (t.kind !== 'app' || main) return;
        await startSubApp(t.name);
        stopped.delete(t.name);
      },
      afterDatabases: async () => {
        if (main) {
          await reopen(app);
          app.setMaintainingMessage('restoring files');
        }
      },
      finish: main
        ? async () => {
            if (upgrade) {
              app.setMaintainingMessage('upgrading');
              await app.runCommandThrowError('upgrade');
            } else {
              // Same NocoBase and plugin versions as the backup: nothing to migrate, a restart (reload) reads the
              // restored database and plugin list again (NocoBase's own `restart` command: beforeStop, reload, start).
              app.setMaintainingMessage('restarting');
              reloadFailed = true;
              await app.runCommandThrowError('restart');
              reloadFailed = false;
            }
            await startStopped();
          }
        : undefined,
      finishPhase: upgrade ? 'upgrading' : 'restarting',
      afterRollback: async (cause) => {
        if (main) {
          await reopen(app);
          // The rows journal carries the outcome across the restart the upgrade makes.
          await writeJournal(service.store, task.id, [...rows.filter((r) => r.id !== task.id), failedRow(rows, task, 'RESTORE_FAILED_ROLLED_BACK', rolledBackText(cause))]);
          await bringBack(app, reloadFailed);
        }
        await startStopped();
      },
    });
    await service.updateTask(task.id, {
      status: 'succeeded',
      phase: 'done',
      progress: 100,
      error: null,
      errorCode: null,
      finishedAt: new Date(),
      options: { ...(task.options as Record<string, unknown>), journal, phases: [...phases, 'done'], ...(moveReport ? { moveReport } : {}) },
    });
    // Succeeded as soon as it is: the app already serves the restored data. The originals set aside are deleted
    // after the one-task lock is let go (they are this restore's own paths, which no other task reads or writes): a
    // backup asked for right after the restore is not refused as busy for the minute 500,000 files take. A failure
    // or a stop meanwhile leaves the 'ended' journal to the next start's recovery.
    void cleanUp().catch((err) => app.log.warn(`[${NAMESPACE}] restore ${task.id}: removing what it replaced failed, the next start retries: ${service.describe(err)}`));
  } catch (err) {
    await progress.flush();
    const cause = err instanceof RestoreRolledBack || err instanceof RestoreRollbackFailed ? err.cause : err;
    const detail = service.describe(cause);
    app.log.error(`[${NAMESPACE}] restore ${task.id} failed: ${detail}`, { stack: (cause as Error)?.stack });
    if (err instanceof RestoreRolledBack) {
      const error = rolledBackText(cause);
      await service.updateTask(task.id, { status: 'failed', phase: 'rolling back', errorCode: 'RESTORE_FAILED_ROLLED_BACK', error, finishedAt: new Date() }).catch(() => undefined);
      return;
    }
    if (err instanceof RestoreRollbackFailed) {
      const error = `${detail}; rollback failed: ${service.describe(err.rollbackError)}`;
      if (main) {
        await writeJournal(service.store, task.id, [...rows.filter((r) => r.id !== task.id), failedRow(rows, task, 'RESTORE_FAILED', error)]).catch(() => undefined);
        await bringBack(app, reloadFailed).catch(() => undefined);
      }
      await startStopped();
      await service.failTask(task.id, new Error(error));
      return;
    }
    if (main && rows.length) {
      // The live data had changed and there was no safety backup: the app restarts on what is there now.
      await writeJournal(service.store, task.id, [...rows.filter((r) => r.id !== task.id), failedRow(rows, task, 'RESTORE_FAILED', detail)]).catch(() => undefined);
      await reopen(app).catch(() => undefined);
      await bringBack(app, reloadFailed).catch(() => undefined);
    }
    await startStopped();
    await service.failTask(task.id, cause);
  } finally {
    await fs.promises.rm(moveTmp, { recursive: true, force: true }).catch(() => undefined);
  }
}

function failedRow(rows: Record<string, unknown>[], task: TaskRow, code: string, error: string): Record<string, unknown> {
  return { ...rows.find((r) => r.id === task.id), id: task.id, status: 'failed', phase: 'rolling back', errorCode: code, error, finishedAt: new Date() };
}

/** Requests are answered with NocoBase's maintenance state ("restore") while the data is replaced. */
async function enterMaintenance(app: Application, message: string): Promise<void> {
  const m = app as unknown as Maintaining;
  await m.setMaintaining({ status: 'command_begin', command: { name: 'restore' } });
  await m.setMaintaining({ status: 'command_running', command: { name: 'restore' } });
  app.setMaintainingMessage(message);
}

/**
 * The app on its data again after a failed restore: NocoBase's upgrade (and its restart) as before the restore, or,
 * when the failure was the restart's own reload, a restart from scratch: marked started so that NocoBase's restart
 * command builds a new app (database, plugins) rather than keep the half-built one, as NocoBase's start command does.
 */
async function bringBack(app: Application, reloadFailed: boolean): Promise<void> {
  if (!reloadFailed) {
    await app.runCommandThrowError('upgrade');
    return;
  }
  (app as unknown as { _started: Date | null })._started = new Date();
  await app.runCommandThrowError('restart');
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
