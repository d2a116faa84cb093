import type { Application } from '@nocobase/server';
import { getService } from '../service';
import { Scheduler, type ScheduleJob, type SlotOutcome } from '../schedule/scheduler';
import { startDrill } from './run';

/** Restore drills on their own cron, in the backup schedule's time zone; answers once the drill has started. */
export const DRILL_JOB: ScheduleJob = {
  name: 'restore drill',
  timing: (s) => ({ enabled: s.drillEnabled, cron: s.drillCron, timezone: s.timezone }),
  run: async (service, at): Promise<SlotOutcome> => {
    const { outcome } = await startDrill(service, { at, origin: 'scheduled' });
    return outcome === 'failed' ? 'error' : outcome;
  },
};

// On the app object like the backup scheduler: plugin instances are re-created on restart, timers must not double.
const DRILL_SCHEDULER = Symbol.for('@nbkit/plugin-backups-manager:drill-scheduler');

export function getDrillScheduler(app: Application): Scheduler {
  const holder = app as unknown as Record<symbol, Scheduler | undefined>;
  if (!holder[DRILL_SCHEDULER]) holder[DRILL_SCHEDULER] = new Scheduler(getService(app), { job: DRILL_JOB });
  return holder[DRILL_SCHEDULER] as Scheduler;
}
