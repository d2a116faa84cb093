import { subAppDumpEntry } from '../archive/layout';
import { BackupError } from '../errors';

// Which sub-applications (NocoBase's multi-app manager) a backup carries and a restore replaces. Pure.

/** '*' in a list means every sub-application that exists when the backup runs. */
export const ALL_SUB_APPS = '*';

/** Sub-application names as NocoBase allows them; 'main' is the main application itself. */
export function isSubAppName(name: unknown): name is string {
  return typeof name === 'string' && name !== 'main' && /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(name);
}

/** Where a sub-application's dump goes in the archive. */
export function subAppEntry(name: string, dialect: string): string {
  if (!isSubAppName(name)) throw new Error(`not a sub-application name: ${name}`);
  return subAppDumpEntry(name, dialect);
}

/** A list of names (or '*'), or null when value is not one (a JSON column may come back as a string). */
export function subAppList(value: unknown): string[] | null {
  let v = value;
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v);
    } catch {
      return null;
    }
  }
  if (!Array.isArray(v) || !v.every((n) => n === ALL_SUB_APPS || isSubAppName(n))) return null;
  return [...new Set(v as string[])];
}

/**
 * The sub-applications a backup carries: the requested names, or all existing ones for '*'. A name that does not
 * exist is refused (400) when asked for now; a schedule passes `skipMissing` and keeps running without it.
 */
export function resolveBackupSubApps(requested: unknown, existing: readonly string[], skipMissing = false): string[] {
  const list = subAppList(requested);
  if (list === null) throw new BackupError('SUBAPP_UNKNOWN', { name: String(requested) }, 400);
  if (list.includes(ALL_SUB_APPS)) return [...existing].sort();
  const missing = list.filter((n) => !existing.includes(n));
  if (missing.length && !skipMissing) throw new BackupError('SUBAPP_UNKNOWN', { name: missing[0] }, 400);
  return list.filter((n) => existing.includes(n)).sort();
}

export interface RestoreSelection {
  main: boolean;
  subApps: string[];
}

/**
 * What a restore replaces: 'main' and sub-application names from the archive. Without a choice, the main
 * application only (as before sub-applications were carried). Names the archive does not carry are refused.
 */
export function resolveRestoreSelection(requested: unknown, inArchive: readonly string[], otherChosen = 0): RestoreSelection {
  if (requested === undefined || requested === null) return { main: true, subApps: [] };
  const list = Array.isArray(requested) ? requested : typeof requested === 'string' ? requested.split(',').filter(Boolean) : null;
  // No application at all is fine when data sources alone are restored.
  if (list && !list.length && otherChosen > 0) return { main: false, subApps: [] };
  if (!list || !list.length) throw new BackupError('RESTORE_NOTHING_CHOSEN', {}, 400);
  const names = [...new Set(list.map((n) => String(n).trim()))];
  for (const n of names) {
    if (n !== 'main' && !inArchive.includes(n)) throw new BackupError('SUBAPP_NOT_IN_BACKUP', { name: n }, 400);
  }
  return { main: names.includes('main'), subApps: names.filter((n) => n !== 'main').sort() };
}
