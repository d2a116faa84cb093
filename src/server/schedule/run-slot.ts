import { NAMESPACE } from '../../constants';
import { BackupError, CodedError, translate } from '../errors';
import type { BackupsService, TaskRow } from '../service';
import { applyRetention } from './apply-retention';
import { formatInZone, slotKey } from './cron';
import { alertAdmins } from '../alerts/send';
import { retryBusy } from '../db/retry-busy';
import { subAppsToBackUp } from '../subapps/registry';
import { sourcesToBackUp } from '../datasources/registry';
import { openWithAppKey } from '../crypto/app-key-seal';
import { isUniqueViolation, readSealedPassword, readSettings, writeSettings } from './settings-store';
import type { ScheduleSettings } from './settings-values';

/** started: this process runs the slot; taken: another process already has it; skipped: busy, recorded as such. */
export type SlotOutcome = 'started' | 'taken' | 'skipped' | 'error';

/**
 * One scheduled run. The slot's task row carries a unique slot key, so among the processes sharing the database
 * the first insert wins and the others do nothing: the database decides, no lock is involved.
 */
export async function runSlot(service: BackupsService, at: Date, settings: ScheduleSettings): Promise<SlotOutcome> {
  const slot = slotKey(at);
  // Usually another process got there first: say so without a failed insert (NocoBase prints each one).
  if (await service.repo.count({ filter: { slot } })) return 'taken';
  const include = { includeUploads: settings.includeUploads, includePlugins: settings.includePlugins };
  try {
    const password = await schedulePassword(service);
    const excludeTableData = service.existingTablesOf(settings.excludeCollections);
    const offsite = settings.offsiteStorage;
    // A sub-application deleted since the schedule was saved is left out, not a reason to skip the backup.
    const subApps = await subAppsToBackUp(service.app, settings.subApps, true);
    const dataSources = await sourcesToBackUp(service.app, settings.dataSources, true);
    await service.startBackup({ ...include, excludeTableData, origin: 'scheduled', slot, password, offsite, subApps, dataSources }, (task, error) =>
      afterRun(service, at, task, error),
    );
    return 'started';
  } catch (err) {
    if (isUniqueViolation(err)) return 'taken';
    if (err instanceof CodedError && err.code === 'BUSY') return recordSkipped(service, at, settings);
    if (err instanceof CodedError && err.code === 'SCHEDULE_PASSWORD_UNREADABLE') return recordSkipped(service, at, settings, err.code);
    service.app.log.error(`[${NAMESPACE}] scheduled backup ${slot} could not start`, { err });
    return 'error';
  }
}

/** The slot stays visible as a failed row; its unique key also stops another process from running it late. */
async function recordSkipped(
  service: BackupsService,
  at: Date,
  settings: ScheduleSettings,
  code = 'SKIPPED_BUSY',
): Promise<SlotOutcome> {
  const values = {
    slot: slotKey(at),
    status: 'failed',
    errorCode: code,
    error: text(service, code, {}, 'en-US'),
    finishedAt: new Date(),
    options: { includeUploads: settings.includeUploads, includePlugins: settings.includePlugins },
  };
  try {
    await retryBusy(() => service.createTask('backup', 'scheduled', values));
  } catch (err) {
    if (isUniqueViolation(err)) return 'taken';
    throw err;
  }
  service.app.log.warn(`[${NAMESPACE}] scheduled backup ${values.slot} skipped: ${values.error}`);
  await notifyRun(service, 'backupSkipped', at, settings.timezone, text(service, code));
  return 'skipped';
}

/** Each step on its own: the failure notice must not depend on retention or bookkeeping working. */
async function afterRun(service: BackupsService, at: Date, task: TaskRow, error?: unknown): Promise<void> {
  const log = (what: string) => (err: unknown) => {
    service.app.log.error(`[${NAMESPACE}] ${what}`, { err });
    return null;
  };
  const settings = await readSettings(service.app.db).catch(log('cannot read the schedule'));
  if (error) {
    const reason = service.describe(error);
    await notifyRun(service, 'backupFailed', at, settings?.timezone || 'UTC', reason);
  }
  if (settings) await applyRetention(service, settings).catch(log('retention failed'));
  // Written only now, not while the backup runs: on SQLite a second writer can make the backup's own update fail.
  await writeSettings(service.app.db, { lastRunTaskId: task.id }).catch(log('cannot record the last run'));
}

async function notifyRun(service: BackupsService, kind: 'backupFailed' | 'backupSkipped', at: Date, timezone: string, reason: string) {
  await alertAdmins(service.app, kind, { time: formatInZone(at, timezone), reason });
}

function text(service: BackupsService, key: string, params: Record<string, string> = {}, lng?: string): string {
  return translate(service.app.i18n, key, params, lng);
}

/**
 * The stored password, opened with APP_KEY. One sealed under another APP_KEY (a restored database from another
 * server) fails the run loudly rather than silently writing an unencrypted archive.
 */
export async function schedulePassword(service: BackupsService): Promise<string | undefined> {
  const sealed = await readSealedPassword(service.app.db);
  if (!sealed) return undefined;
  const password = openWithAppKey(sealed, process.env.APP_KEY || '');
  if (password === null) throw new BackupError('SCHEDULE_PASSWORD_UNREADABLE', {}, 500);
  return password;
}
