import type { ScheduleValues } from '../../schedule-values';
import { BackupError } from '../errors';
import { checkCron } from './cron';
import { subAppList } from '../subapps/selection';
import { hasCalendarRule } from './retention';
import { jobsSetting, MAX_JOBS } from '../dumpers/parallel-jobs';

// The schedule settings as the API and the scheduler see them, and the validation of an update. Pure.

export type ScheduleSettings = ScheduleValues;

export const DEFAULT_SETTINGS: ScheduleSettings = {
  enabled: false,
  cron: '0 3 * * *',
  timezone: 'UTC',
  includeUploads: true,
  includePlugins: true,
  keepLast: 7,
  maxAgeDays: null,
  keepDaily: null,
  keepWeekly: null,
  keepMonthly: null,
  keepYearly: null,
  excludeCollections: [],
  offsiteStorage: null,
  offsiteUnencrypted: false,
  subApps: [],
  dataSources: [],
  staleAfterHours: 48,
  alertEmailChannel: null,
  drillEnabled: false,
  // Weekly, Sunday 04:00: after a nightly backup at 03:00 has usually finished.
  drillCron: '0 4 * * 0',
  dumpJobs: null,
};

const KEYS = Object.keys(DEFAULT_SETTINGS) as (keyof ScheduleSettings)[];

export const CALENDAR_KEYS = ['keepDaily', 'keepWeekly', 'keepMonthly', 'keepYearly'] as const;

/** A calendar rule as stored: a whole number above 0, else off (null). */
function ruleOf(value: unknown): number | null {
  const n = Number(value);
  return value !== null && value !== undefined && Number.isInteger(n) && n > 0 ? n : null;
}

/** A stored row (or anything) reduced to the settings, defaults for what is missing. */
export function fromRow(row: Record<string, unknown> | null | undefined): ScheduleSettings {
  const merged = { ...DEFAULT_SETTINGS };
  for (const key of KEYS) {
    if (row?.[key] !== undefined && row[key] !== null) (merged as Record<string, unknown>)[key] = row[key];
  }
  for (const key of CALENDAR_KEYS) merged[key] = ruleOf(row?.[key]);
  // 0 is only valid beside a calendar rule (applyUpdate); otherwise the default, as before calendar rules.
  const keepLast = Number(merged.keepLast);
  merged.keepLast = keepLast === 0 && hasCalendarRule(merged) ? 0 : keepLast || DEFAULT_SETTINGS.keepLast;
  merged.maxAgeDays = row?.maxAgeDays === null || row?.maxAgeDays === undefined ? null : Number(row.maxAgeDays);
  merged.excludeCollections = namesOf(row?.excludeCollections) ?? [];
  merged.subApps = subAppList(row?.subApps) ?? [];
  merged.dataSources = namesOf(row?.dataSources) ?? [];
  merged.offsiteStorage = typeof row?.offsiteStorage === 'string' && row.offsiteStorage ? row.offsiteStorage : null;
  merged.offsiteUnencrypted = row?.offsiteUnencrypted === true || row?.offsiteUnencrypted === 1;
  // Stored null means "no stale alert"; a row from before this setting existed (undefined) gets the default.
  merged.staleAfterHours = row?.staleAfterHours === null ? null : hoursOf(row?.staleAfterHours) ?? DEFAULT_SETTINGS.staleAfterHours;
  merged.alertEmailChannel = typeof row?.alertEmailChannel === 'string' && row.alertEmailChannel ? row.alertEmailChannel : null;
  merged.drillEnabled = row?.drillEnabled === true || row?.drillEnabled === 1;
  merged.dumpJobs = jobsSetting(row?.dumpJobs);
  return merged;
}

/** A list of collection names, or null when value is not one (a JSON column may come back as a string). */
function namesOf(value: unknown): string[] | null {
  let v = value;
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v);
    } catch {
      return null;
    }
  }
  if (!Array.isArray(v) || !v.every((n) => typeof n === 'string' && n.length > 0 && n.length <= 255)) return null;
  return [...new Set(v as string[])];
}

function bool(value: unknown, current: boolean): boolean {
  if (value === undefined || value === null) return current;
  return value === true || value === 'true' || value === 1 || value === '1';
}

/** Up to ten years; fractions allowed (1.5 hours; tests use seconds' worth). */
const MAX_STALE_HOURS = 87600;

function hoursOf(value: unknown): number | null {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) && n > 0 && n <= MAX_STALE_HOURS ? n : null;
}

function wholeNumber(value: unknown): number | null {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) ? n : null;
}

/**
 * Merges an update into the current settings; anything wrong is a 422 with a locale code. Unknown keys are dropped
 * (clearPassword and the like belong to encryption, handled elsewhere).
 */
export function applyUpdate(current: ScheduleSettings, values: Record<string, unknown>): ScheduleSettings {
  const next: ScheduleSettings = { ...current };
  next.enabled = bool(values.enabled, current.enabled);
  next.includeUploads = bool(values.includeUploads, current.includeUploads);
  next.includePlugins = bool(values.includePlugins, current.includePlugins);
  next.offsiteUnencrypted = bool(values.offsiteUnencrypted, current.offsiteUnencrypted);
  next.drillEnabled = bool(values.drillEnabled, current.drillEnabled);
  if (values.drillCron !== undefined) next.drillCron = typeof values.drillCron === 'string' ? values.drillCron.trim() : '';
  if (values.cron !== undefined) next.cron = typeof values.cron === 'string' ? values.cron.trim() : '';
  if (values.timezone !== undefined) next.timezone = typeof values.timezone === 'string' ? values.timezone.trim() : '';
  const check = checkCron(next.cron, next.timezone);
  if (check.valid === false) {
    const params: Record<string, string> = check.code === 'TIMEZONE_INVALID' ? { timezone: check.detail } : { detail: check.detail };
    throw new BackupError(check.code, params, 422);
  }
  for (const key of CALENDAR_KEYS) {
    const value = values[key];
    if (value === undefined) continue;
    if (value === null || value === '') {
      next[key] = null;
      continue;
    }
    const n = wholeNumber(value);
    if (n === null || n < 0) throw new BackupError('RETENTION_RULE_INVALID', {}, 422);
    next[key] = n || null;
  }
  const drillCheck = checkCron(next.drillCron, next.timezone);
  if (drillCheck.valid === false) throw new BackupError('DRILL_CRON_INVALID', { detail: drillCheck.detail }, 422);
  if (values.keepLast !== undefined) {
    const keepLast = wholeNumber(values.keepLast);
    if (keepLast === null || keepLast < 0) throw new BackupError('KEEP_LAST_INVALID', {}, 422);
    next.keepLast = keepLast;
  }
  // Something must keep backups: keepLast 0 only beside a calendar rule.
  if (next.keepLast < 1 && !hasCalendarRule(next)) throw new BackupError('KEEP_LAST_INVALID', {}, 422);
  if (values.maxAgeDays !== undefined) {
    if (values.maxAgeDays === null || values.maxAgeDays === '') {
      next.maxAgeDays = null;
    } else {
      const days = wholeNumber(values.maxAgeDays);
      if (days === null || days < 1) throw new BackupError('MAX_AGE_INVALID', {}, 422);
      next.maxAgeDays = days;
    }
  }
  if (values.excludeCollections !== undefined) {
    const names = values.excludeCollections === null ? [] : namesOf(values.excludeCollections);
    if (!names) throw new BackupError('COLLECTION_UNKNOWN', { name: String(values.excludeCollections) }, 422);
    next.excludeCollections = names;
  }
  if (values.subApps !== undefined) {
    const names = subAppList(values.subApps);
    if (!names) throw new BackupError('SUBAPP_UNKNOWN', { name: String(values.subApps) }, 422);
    next.subApps = names;
  }
  if (values.dataSources !== undefined) {
    const keys = values.dataSources === null ? [] : namesOf(values.dataSources);
    if (!keys) throw new BackupError('DATASOURCE_UNKNOWN', { key: String(values.dataSources) }, 422);
    next.dataSources = keys;
  }
  if (values.staleAfterHours !== undefined) {
    if (values.staleAfterHours === null || values.staleAfterHours === '' || values.staleAfterHours === 0) next.staleAfterHours = null;
    else {
      const hours = hoursOf(values.staleAfterHours);
      if (hours === null) throw new BackupError('STALE_HOURS_INVALID', {}, 422);
      next.staleAfterHours = hours;
    }
  }
  if (values.dumpJobs !== undefined) {
    if (values.dumpJobs === null || values.dumpJobs === '') next.dumpJobs = null;
    else {
      const jobs = jobsSetting(values.dumpJobs);
      if (jobs === null) throw new BackupError('DUMP_JOBS_INVALID', { max: MAX_JOBS }, 422);
      next.dumpJobs = jobs;
    }
  }
  if (values.alertEmailChannel !== undefined) {
    const name = values.alertEmailChannel;
    if (name === null || name === '') next.alertEmailChannel = null;
    else if (typeof name === 'string' && name.length <= 255) next.alertEmailChannel = name;
    else throw new BackupError('EMAIL_CHANNEL_UNKNOWN', { name: String(name) }, 422);
  }
  if (values.offsiteStorage !== undefined) {
    const name = values.offsiteStorage;
    if (name === null || name === '') next.offsiteStorage = null;
    else if (typeof name === 'string' && name.length <= 255) next.offsiteStorage = name;
    else throw new BackupError('OFFSITE_STORAGE_UNKNOWN', { name: String(name) }, 422);
  }
  return next;
}

/**
 * A plain archive holds the whole database and the app's key files: scheduled backups copied to a bucket are
 * encrypted unless the admin chose otherwise explicitly (offsiteUnencrypted). `hasPassword`: after this update.
 */
export function checkOffsiteEncryption(settings: ScheduleSettings, hasPassword: boolean): void {
  if (settings.enabled && settings.offsiteStorage && !hasPassword && !settings.offsiteUnencrypted) {
    throw new BackupError('OFFSITE_PASSWORD_REQUIRED', { storage: settings.offsiteStorage }, 422);
  }
}
