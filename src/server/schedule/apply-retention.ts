import fs from 'fs';
import { NAMESPACE } from '../../constants';
import { archivePath } from '../paths';
import type { BackupsService } from '../service';
import { planRetention, type RetentionRow, type TaskId } from './retention';
import type { ScheduleSettings } from './settings-values';

/** Carries out the retention plan: rows and archives through the service, one at a time, failures only logged. */
export async function applyRetention(
  service: BackupsService,
  settings: Pick<ScheduleSettings, 'keepLast' | 'maxAgeDays'>,
  now = new Date(),
): Promise<{ destroyed: TaskId[]; cleaned: TaskId[] }> {
  const rows = (await service.repo.find({ filter: { kind: 'backup' } })).map((r) => r.toJSON() as RetentionRow);
  const plan = planRetention(rows, { keepLast: settings.keepLast, maxAgeDays: settings.maxAgeDays, now });
  const destroyed: TaskId[] = [];
  for (const id of plan.destroy) {
    try {
      await service.destroyTask(id);
      destroyed.push(id);
    } catch (err) {
      service.app.log.warn(`[${NAMESPACE}] retention could not delete task ${id}`, { err });
    }
  }
  const byId = new Map<string, RetentionRow>(rows.map((r) => [String(r.id), r]));
  const cleaned: TaskId[] = [];
  for (const id of plan.cleanFiles) {
    const fileName = byId.get(String(id))?.fileName;
    if (!fileName) continue;
    try {
      await fs.promises.rm(archivePath(service.paths, fileName), { force: true });
      cleaned.push(id);
    } catch (err) {
      service.app.log.warn(`[${NAMESPACE}] retention could not remove the file of task ${id}`, { err });
    }
  }
  if (destroyed.length)
    service.app.log.info(`[${NAMESPACE}] retention deleted ${destroyed.length} scheduled backup(s)`);
  return { destroyed, cleaned };
}
