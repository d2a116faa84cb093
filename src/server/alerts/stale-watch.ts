import * as nocobaseServer from '@nocobase/server';
import type { Application } from '@nocobase/server';
import { NAMESPACE, TASKS } from '../../constants';
import { formatInZone } from '../schedule/cron';
import { readSettings } from '../schedule/settings-store';
import { staleAlert } from './conditions';
import { claimAlert, watchStart } from './ledger';
import { alertAdmins } from './send';

/** How often the age of the newest good backup is checked (BM_TEST_ALERT_CHECK_MS: tests only). */
function checkEveryMs(): number {
  return Number(process.env.BM_TEST_ALERT_CHECK_MS) || 5 * 60 * 1000;
}

function transient(): boolean {
  const check = (nocobaseServer as { isTransient?: () => boolean }).isTransient;
  return typeof check === 'function' && check();
}

/**
 * "No successful backup for more than X hours", checked on its own timer: it does not depend on the schedule being
 * on, nor on the scheduler's timer working. Every process checks; the ledger lets one alert per stale period out.
 */
export class StaleWatch {
  private timer: NodeJS.Timeout | null = null;
  private checking = false;

  constructor(private app: Application) {}

  start(): void {
    if (transient() || this.timer) return;
    // The first check after one interval, not at once: its ledger write right at start met the app's own first
    // writes on SQLite (SQLITE_BUSY in CI), and a threshold counted in hours loses nothing by five minutes.
    this.timer = setInterval(() => this.tick(), checkEveryMs());
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private tick(): void {
    if (!this.timer || this.checking) return;
    this.checking = true;
    this.check()
      .catch((err) => this.app.log.error(`[${NAMESPACE}] stale-backup check failed`, { err }))
      .finally(() => {
        this.checking = false;
      });
  }

  /** One check; true when it sent an alert. */
  async check(now = new Date()): Promise<boolean> {
    const settings = await readSettings(this.app.db);
    if (!settings.staleAfterHours) return false;
    const row = await this.app.db.getRepository(TASKS).findOne({
      filter: { kind: 'backup', status: 'succeeded', finishedAt: { $notEmpty: true } },
      sort: ['-finishedAt', '-id'],
    });
    const lastSuccess = row ? { id: row.get('id') as number, finishedAt: new Date(row.get('finishedAt') as string) } : null;
    const due = staleAlert({ now, thresholdHours: settings.staleAfterHours, lastSuccess, watchStart: await watchStart(this.app.db) });
    if (!due || !(await claimAlert(this.app.db, due.key, due.kind))) return false;
    await alertAdmins(this.app, due.kind, { hours: settings.staleAfterHours, time: formatInZone(due.since, settings.timezone) });
    return true;
  }
}

// On the app object, like the scheduler: NocoBase re-creates plugin instances on restart.
const WATCH = Symbol.for('@nbkit/plugin-backups-manager:stale-watch');

export function getStaleWatch(app: Application): StaleWatch {
  const holder = app as unknown as Record<symbol, StaleWatch | undefined>;
  if (!holder[WATCH]) holder[WATCH] = new StaleWatch(app);
  return holder[WATCH] as StaleWatch;
}
