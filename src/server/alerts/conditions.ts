// When an alert is due, and under which key it is sent at most once (see alerts/ledger.ts). Pure.

const HOUR_MS = 3600 * 1000;

export interface StaleInput {
  now: Date;
  /** The setting; null or 0: this alert is off. */
  thresholdHours: number | null;
  /** The newest succeeded backup, if any. */
  lastSuccess: { id: string | number; finishedAt: Date } | null;
  /** When this app started watching (the first check), the reference while no backup has ever succeeded. */
  watchStart: Date;
}

export interface StaleAlert {
  kind: 'staleBackup' | 'noBackupYet';
  /** One key per stale period: a new successful backup starts a new period, so the next staleness alerts again. */
  key: string;
  since: Date;
}

/** Null while a backup is recent enough (or the alert is off). */
export function staleAlert(input: StaleInput): StaleAlert | null {
  const { thresholdHours, lastSuccess } = input;
  if (!thresholdHours || !(thresholdHours > 0)) return null;
  const since = lastSuccess ? lastSuccess.finishedAt : input.watchStart;
  if (input.now.getTime() - since.getTime() <= thresholdHours * HOUR_MS) return null;
  return lastSuccess
    ? { kind: 'staleBackup', key: `stale:${lastSuccess.id}`, since }
    : { kind: 'noBackupYet', key: 'stale:none', since };
}

/**
 * A failing off-site copy alerts once per streak: the streak is named after its first failed copy since the last
 * copy that worked, so a copy that works again ends it, and the next failure starts a new one.
 * `firstFailureSinceLastCopy`: the id of that first failure, or null when no copy failed since.
 */
export function offsiteStreakKey(firstFailureSinceLastCopy: string | number | null): string | null {
  return firstFailureSinceLastCopy === null ? null : `offsite:${firstFailureSinceLastCopy}`;
}

export const SUPPORTED_LANGUAGES = ['en-US', 'zh-CN'] as const;

/** The language an admin reads alerts in: theirs when we have it, else the app's, else English. */
export function languageOf(userLang: string | null | undefined, appLang: string | null | undefined): string {
  const pick = (l: string | null | undefined) => (SUPPORTED_LANGUAGES as readonly string[]).find((s) => s.toLowerCase() === l?.toLowerCase());
  return pick(userLang) || pick(appLang) || 'en-US';
}

/** Recipients grouped by language: one message per language, each to its readers. */
export function groupByLanguage(recipients: { id: number; lang: string }[]): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  for (const r of recipients) groups.set(r.lang, [...(groups.get(r.lang) || []), r.id]);
  return groups;
}
