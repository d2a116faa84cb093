import { NAMESPACE } from '../../constants';
import { dropOutcome, journalDir, takeOutcomes } from '../restore/journal';
import { notifyAdmins } from '../schedule/notify';
import { translate } from '../errors';
import type { Application } from '@nocobase/server';
import type { BackupPaths } from '../paths';

/** What this needs of the service (kept narrow: no import of service.ts, which calls this). */
export interface OutcomeHost {
  app: Application;
  paths: BackupPaths;
  repo: { findOne(options: { filterByTk: string }): Promise<unknown> };
  updateTask(id: string, values: Record<string, unknown>): Promise<void>;
}

/**
 * What the start-up recovery (restore/recover.ts, run before the app read its database) did, written into the task
 * rows once the app runs, with an in-app message to the admins. After a forward completion NocoBase's upgrade runs,
 * as after any restore.
 */
export async function applyRecoveryOutcomes(service: OutcomeHost): Promise<void> {
  const app = service.app;
  const dir = journalDir(service.paths.archives);
  let upgrade = false;
  for (const o of await takeOutcomes(dir)) {
    const text = (lng: string) => translate(app.i18n, o.message.key, o.message.params, lng);
    const exists = await service.repo.findOne({ filterByTk: o.taskId }).catch(() => null);
    if (exists) {
      await service.updateTask(o.taskId, {
        status: o.status,
        phase: o.status === 'succeeded' ? 'done' : 'rolling back',
        ...(o.status === 'succeeded' ? { progress: 100 } : {}),
        errorCode: o.errorCode,
        error: text('en-US'),
        finishedAt: new Date(o.at),
      });
    }
    app.log.warn(`[${NAMESPACE}] restore task ${o.taskId}: ${text('en-US')}`);
    await notifyAdmins(app, { title: translate(app.i18n, 'Restore interrupted'), content: text(app.i18n.language || 'en-US') });
    upgrade ||= o.upgrade;
    await dropOutcome(dir, o.taskId);
  }
  // The data came from the backup (possibly older): migrate it as a restore does, once the start-up has finished.
  if (upgrade) setTimeout(() => app.runCommand('upgrade').catch((err) => app.log.error(`[${NAMESPACE}] upgrade after recovery failed`, { err })), 0);
}
