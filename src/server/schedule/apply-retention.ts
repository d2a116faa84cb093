import fs from 'fs';
import { NAMESPACE } from '../../constants';
import { archivePath } from '../paths';
import type { TaskStore } from '../tasks/store';
import { planRetention, type RetentionPolicy, type RetentionRow, type TaskId } from './retention';
import type { ScheduleSettings } from './settings-values';
import { findJson } from '../db/find-json';

/**
 * What retention needs: the task rows, and the service's delete (it knows the running task and off-site copies),
 * not the whole service.
 */
export interface RetentionHost {
  store: TaskStore;
  destroyTask(id: TaskId): Promise<void>;
}

export type RetentionSettings = Pick<
  ScheduleSettings,
  'keepLast' | 'maxAgeDays' | 'keepDaily' | 'keepWeekly' | 'keepMonthly' | 'keepYearly' | 'timezone'
>;

/** The policy of a schedule's settings at an instant (the run and the schedule tab's preview use the same). */
export function policyOf(s: RetentionSettings, now: Date): RetentionPolicy {
  return {
    keepLast: s.keepLast,
    maxAgeDays: s.maxAgeDays,
    keepDaily: s.keepDaily,
    keepWeekly: s.keepWeekly,
    keepMonthly: s.keepMonthly,
    keepYearly: s.keepYearly,
    timezone: s.timezone || 'UTC',
    now,
  };
}

/** Carries out the retention plan: rows and archives through the service, one at a time, failures only logged. */
export async function applyRetention(
  host: RetentionHost,
  settings: RetentionSettings,
  now = new Date(),
): Promise<{ destroyed: TaskId[]; cleaned: TaskId[] }> {
  const rows = await findJson<RetentionRow>(host.store.repo, { filter: { kind: 'backup' } });
  const plan = planRetention(rows, policyOf(settings, now));
  const destroyed: TaskId[] = [];
  for (const id of plan.destroy) {
    try {
      await host.destroyTask(id);
      destroyed.push(id);
    } catch (err) {
      host.store.app.log.warn(`[${NAMESPACE}] retention could not delete task ${id}`, { err });
    }
  }
  const byId = new Map<string, RetentionRow>(rows.map((r) => [String(r.id), r]));
  const cleaned: TaskId[] = [];
  for (const id of plan.cleanFiles) {
    const fileName = byId.get(String(id))?.fileName;
    if (!fileName) continue;
    try {
      await fs.promises.rm(archivePath(host.store.paths, fileName), { force: true });
      cleaned.push(id);
    } catch (err) {
      host.store.app.log.warn(`[${NAMESPACE}] retention could not remove the file of task ${id}`, { err });
    }
  }
  if (destroyed.length)
    host.store.app.log.info(`[${NAMESPACE}] retention deleted ${destroyed.length} scheduled backup(s)`);
  return { destroyed, cleaned };
}
