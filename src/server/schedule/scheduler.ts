import * as nocobaseServer from '@nocobase/server';
import type { Application } from '@nocobase/server';
import { NAMESPACE } from '../../constants';
import { getService, type BackupsService } from '../service';
import { isRunTime, nextRun } from './cron';
import { runSlot, type SlotOutcome } from './run-slot';
import { readSettings } from './settings-store';
import type { ScheduleSettings } from './settings-values';

export type { SlotOutcome };

/**
 * Settings are read again at least this often: another process may have changed them, and setTimeout cannot wait
 * longer than ~24.8 days (a monthly schedule would overflow it).
 */
const MAX_SLEEP_MS = 5 * 60 * 1000;

/** Transient workers (2.x, WORKER_MODE=-) run one job and exit: no timers there. */
export function transient(): boolean {
  const check = (nocobaseServer as { isTransient?: () => boolean }).isTransient;
  return typeof check === 'function' && check();
}

/** What a Scheduler runs: the backup schedule by default; restore drills (drills/schedule.ts) use another. */
export interface ScheduleJob {
  name: string;
  /** When this job runs, from the settings row. */
  timing(settings: ScheduleSettings): { enabled: boolean; cron: string; timezone: string };
  run(service: BackupsService, at: Date, settings: ScheduleSettings): Promise<SlotOutcome>;
}

export const BACKUP_JOB: ScheduleJob = {
  name: 'scheduled backup',
  timing: (s) => ({ enabled: s.enabled, cron: s.cron, timezone: s.timezone }),
  run: runSlot,
};

/**
 * One timer, armed for the next run of the schedule (see run-slot.ts for what a run does). Only future runs are
 * armed: after downtime, missed runs are not caught up.
 */
export class Scheduler {
  private timer: NodeJS.Timeout | null = null;
  private target: Date | null = null;
  /**
   * Runs are looked for after this time: the start, a settings change, or the last run time. Kept across capped
   * sleeps, so a run computed before a DST gap (02:30 moved to 03:30) is not lost by looking again from inside it.
   */
  private cursor = new Date(0);
  private active = false;
  // Bumped by every arm() and stop(): a wake-up or a settings read from an older arming is ignored.
  private generation = 0;

  constructor(
    private service: BackupsService,
    private options: { maxSleepMs?: number; job?: ScheduleJob } = {},
  ) {}

  private get job(): ScheduleJob {
    return this.options.job ?? BACKUP_JOB;
  }

  get app(): Application {
    return this.service.app;
  }

  /** The run time the timer waits for (null while disabled or further away than one sleep). */
  get armedFor(): Date | null {
    return this.target;
  }

  async start(): Promise<void> {
    if (transient()) return;
    this.active = true;
    this.cursor = new Date();
    await this.arm();
  }

  stop(): void {
    this.active = false;
    this.generation++;
    this.clear();
  }

  /** After the settings changed in this process. */
  async rearm(): Promise<void> {
    if (!this.active) return;
    this.cursor = new Date();
    await this.arm();
  }

  private clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.target = null;
  }

  private async arm(): Promise<void> {
    const generation = ++this.generation;
    this.clear();
    const settings = await readSettings(this.app.db).catch((err) => {
      this.app.log.error(`[${NAMESPACE}] cannot read the schedule`, { err });
      return null;
    });
    if (!this.active || generation !== this.generation) return;
    const maxSleep = this.options.maxSleepMs ?? MAX_SLEEP_MS;
    const now = Date.now();
    let next: Date | null = null;
    try {
      const when = settings ? this.job.timing(settings) : null;
      const runAfter = (from: Date) => (when?.enabled ? nextRun(when.cron, when.timezone, from) : null);
      next = runAfter(this.cursor);
      if (next && next.getTime() < now) {
        // Passed while nothing waited for it (changed elsewhere, a long run, downtime): never catch up.
        this.cursor = new Date(now);
        next = runAfter(this.cursor);
      }
    } catch (err) {
      const when = settings ? this.job.timing(settings) : null;
      this.app.log.error(`[${NAMESPACE}] invalid schedule ${when?.cron} (${when?.timezone})`, { err });
    }
    const wait = next ? next.getTime() - now : Infinity;
    this.target = next && wait <= maxSleep ? next : null;
    this.timer = setTimeout(() => this.wake(generation), Math.max(0, Math.min(wait, maxSleep)));
    this.timer.unref?.();
  }

  private async wake(generation: number): Promise<void> {
    if (!this.active || generation !== this.generation) return;
    const target = this.target;
    const cursor = this.cursor;
    this.timer = null;
    try {
      if (target && target.getTime() <= Date.now()) {
        // Read again: the schedule may have been changed or switched off by another process since arming.
        const settings = await readSettings(this.app.db);
        const when = this.job.timing(settings);
        if (when.enabled && isRunTime(when.cron, when.timezone, target, cursor)) {
          if (generation === this.generation) this.cursor = target;
          await this.runSlot(target, settings);
        }
      }
    } catch (err) {
      this.app.log.error(`[${NAMESPACE}] ${this.job.name} failed`, { err });
    }
    if (this.active && generation === this.generation) await this.arm();
  }

  /** One run, outside the timer (tests call it directly). */
  runSlot(at: Date, settings: ScheduleSettings): Promise<SlotOutcome> {
    return this.job.run(this.service, at, settings);
  }
}

// Kept on the app object, like the service: NocoBase re-creates plugin instances on restart, the timer must not
// be armed twice.
const SCHEDULER = Symbol.for('@nbkit/plugin-backups-manager:scheduler');

export function getScheduler(app: Application): Scheduler {
  const holder = app as unknown as Record<symbol, Scheduler | undefined>;
  if (!holder[SCHEDULER]) holder[SCHEDULER] = new Scheduler(getService(app));
  return holder[SCHEDULER] as Scheduler;
}
