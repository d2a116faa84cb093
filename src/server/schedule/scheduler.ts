import * as nocobaseServer from '@nocobase/server';
import type { Application } from '@nocobase/server';
import { NAMESPACE } from '../../constants';
import { isCoded } from '../errors';
import { getService, type BackupsService, type TaskRow } from '../service';
import { applyRetention } from './apply-retention';
import { formatInZone, isRunTime, nextRun, slotKey } from './cron';
import { notifyAdmins } from './notify';
import { isUniqueViolation, readSettings, retryBusy, writeSettings } from './settings-store';
import type { ScheduleSettings } from './settings-values';

/**
 * Settings are read again at least this often: another process may have changed them, and setTimeout cannot wait
 * longer than ~24.8 days (a monthly schedule would overflow it).
 */
const MAX_SLEEP_MS = 5 * 60 * 1000;

/** started: this process runs the slot; taken: another process already has it; skipped: busy, recorded as such. */
export type SlotOutcome = 'started' | 'taken' | 'skipped' | 'error';

/** Transient workers (2.x, WORKER_MODE=-) run one job and exit: no timers there. */
function transient(): boolean {
  const check = (nocobaseServer as { isTransient?: () => boolean }).isTransient;
  return typeof check === 'function' && check();
}

/**
 * One timer, armed for the next run of the schedule. At that time the slot's task row is inserted with a unique
 * slot key, so whichever process of a cluster inserts first runs the backup and the others do nothing. Only future
 * slots are armed: after downtime, missed runs are not caught up.
 */
export class Scheduler {
  private timer: NodeJS.Timeout | null = null;
  private target: Date | null = null;
  private active = false;
  // Bumped by every arm() and stop(): a wake-up or a settings read from an older arming is ignored.
  private generation = 0;

  constructor(
    private service: BackupsService,
    private options: { maxSleepMs?: number } = {},
  ) {}

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
    await this.arm();
  }

  stop(): void {
    this.active = false;
    this.generation++;
    this.clear();
  }

  /** After the settings changed in this process. */
  async rearm(): Promise<void> {
    if (this.active) await this.arm();
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
      next = settings?.enabled ? nextRun(settings.cron, settings.timezone, new Date(now)) : null;
    } catch (err) {
      this.app.log.error(`[${NAMESPACE}] invalid schedule ${settings?.cron} (${settings?.timezone})`, { err });
    }
    const wait = next ? next.getTime() - now : Infinity;
    this.target = next && wait <= maxSleep ? next : null;
    this.timer = setTimeout(() => this.wake(generation), Math.max(0, Math.min(wait, maxSleep)));
    this.timer.unref?.();
  }

  private async wake(generation: number): Promise<void> {
    if (!this.active || generation !== this.generation) return;
    const target = this.target;
    this.timer = null;
    try {
      if (target && target.getTime() <= Date.now()) {
        // Read again: the schedule may have been changed or switched off by another process since arming.
        const settings = await readSettings(this.app.db);
        if (settings.enabled && isRunTime(settings.cron, settings.timezone, target)) {
          await this.runSlot(target, settings);
        }
      }
    } catch (err) {
      this.app.log.error(`[${NAMESPACE}] scheduled run failed`, { err });
    }
    if (this.active && generation === this.generation) await this.arm();
  }

  /** Runs (or records as skipped) the slot of run time `at`. Public for tests. */
  async runSlot(at: Date, settings: ScheduleSettings): Promise<SlotOutcome> {
    const slot = slotKey(at);
    // Usually another process got there first: say so without a failed insert (NocoBase prints each one).
    if (await this.service.repo.count({ filter: { slot } })) return 'taken';
    try {
      await this.service.startBackup(
        { includeUploads: settings.includeUploads, includePlugins: settings.includePlugins, origin: 'scheduled', slot },
        (done, error) => this.afterRun(at, done, error),
      );
      return 'started';
    } catch (err) {
      if (isUniqueViolation(err)) return 'taken';
      if (isCoded(err) && err.code === 'BUSY') return this.recordSkipped(at, settings);
      this.app.log.error(`[${NAMESPACE}] scheduled backup ${slot} could not start`, { err });
      return 'error';
    }
  }

  /** The slot stays visible as a failed row; its unique key also stops another process from running it late. */
  private async recordSkipped(at: Date, settings: ScheduleSettings): Promise<SlotOutcome> {
    const error = this.text('SKIPPED_BUSY', {}, 'en-US');
    try {
      const values = {
        slot: slotKey(at),
        status: 'failed',
        errorCode: 'SKIPPED_BUSY',
        error,
        finishedAt: new Date(),
        options: { includeUploads: settings.includeUploads, includePlugins: settings.includePlugins },
      };
      await retryBusy(() => this.service.createTask('backup', 'scheduled', values));
    } catch (err) {
      if (isUniqueViolation(err)) return 'taken';
      throw err;
    }
    this.app.log.warn(`[${NAMESPACE}] scheduled backup ${slotKey(at)} skipped: another task is running`);
    await this.notify('Automatic backup skipped', at, settings.timezone, this.text('SKIPPED_BUSY'));
    return 'skipped';
  }

  /** Not while the backup runs: on SQLite a second writer at the same moment can make its status update fail. */
  private async afterRun(at: Date, task: TaskRow, error?: unknown): Promise<void> {
    await writeSettings(this.app.db, { lastRunTaskId: task.id });
    const settings = await readSettings(this.app.db);
    if (error) {
      await this.notify('Automatic backup failed', at, settings.timezone, this.service.describe(error));
    }
    await applyRetention(this.service, settings);
  }

  private async notify(title: string, at: Date, timezone: string, reason: string): Promise<void> {
    const time = formatInZone(at, timezone);
    await notifyAdmins(this.app, {
      title: this.text(title),
      content: this.text('The automatic backup of {{time}} did not complete: {{reason}}', { time, reason }),
    });
  }

  private text(key: string, params: Record<string, string> = {}, lng?: string): string {
    return this.app.i18n.t(key, { ns: NAMESPACE, lng, interpolation: { escapeValue: false }, ...params });
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
