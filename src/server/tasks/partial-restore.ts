import fs from 'fs';
import path from 'path';
import { NAMESPACE, type Phase } from '../../constants';
import type { Manifest } from '../archive/manifest-types';
import { inspectArchive, stageArchive } from '../engine/restore';
import { archivePath } from '../paths';
import type { BackupsService, TaskRow } from '../service';
import { PROGRESS_WRITE_BUDGET_MS, throttledProgress } from './progress';
import type { RestoreRequest } from './restore-flow';
import { assertSafetyCovers, restoreTargets, safetyExtras, startSubApps, type ExtraTarget } from './restore-targets';

/**
 * Sub-applications and/or data sources only: the main application keeps running, nothing enters maintenance.
 * Same order as a full restore (stage and verify, safety backup of exactly those databases, replace); on failure
 * the safety backup's dumps are put back and the sub-applications started again.
 */
export async function runPartialRestore(
  service: BackupsService,
  task: TaskRow,
  file: string,
  manifest: Manifest,
  req: RestoreRequest,
  targets: ExtraTarget[],
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
      const extras = await safetyExtras(service, targets);
      const safety = await service.createTask('backup', 'safety', {
        createdById: req.userId,
        options: { includeUploads: false, includePlugins: false, forRestoreTaskId: task.id, ...extras, dataSources: extras.dataSources?.dump.map((d) => d.key) },
      });
      const done = await service.runBackupTask(safety, { origin: 'safety', includeUploads: false, includePlugins: false, ...extras });
      safetyFile = archivePath(paths, String(done.fileName));
      assertSafetyCovers(done, targets);
    }
    await progress.flush();
    await service.updateTask(task.id, { phase: 'restoring database', progress: 50 });
    live = true;
    await restoreTargets(targets, staging, manifest, tmpDir);
    await service.updateTask(task.id, { status: 'succeeded', phase: 'done', progress: 100, error: null, errorCode: null, finishedAt: new Date() });
  } catch (err) {
    await progress.flush();
    service.app.log.error(`[${NAMESPACE}] restore of ${targets.map((t) => t.name).join(', ')} failed: ${service.describe(err)}`);
    if (!live || !safetyFile) {
      if (live) await startSubApps(service, targets);
      await service.failTask(task.id, err);
      return;
    }
    const back = path.join(paths.tmp, `rollback-${task.id}`);
    try {
      const safety = await inspectArchive(safetyFile, service.restoreTarget());
      await stageArchive(safetyFile, safety, back);
      await restoreTargets(targets, back, safety, path.join(back, '.tools'));
      const detail = service.describe(err);
      const error = service.app.i18n.t('RESTORE_FAILED_ROLLED_BACK', { ns: NAMESPACE, lng: 'en-US', detail });
      await service.updateTask(task.id, { status: 'failed', errorCode: 'RESTORE_FAILED_ROLLED_BACK', error, finishedAt: new Date() });
    } catch (rollbackErr) {
      await startSubApps(service, targets);
      await service.failTask(task.id, new Error(`${service.describe(err)}; rollback failed: ${service.describe(rollbackErr)}`));
    } finally {
      await fs.promises.rm(back, { recursive: true, force: true });
    }
  } finally {
    await fs.promises.rm(staging, { recursive: true, force: true });
    await fs.promises.rm(tmpDir, { recursive: true, force: true });
  }
}
