import type { PreflightLevel } from '../preflight/types';

// Readiness: whether a backup would work here now, asked before any backup is attempted (settings page, `nb-backups
// doctor`). Facts are gathered by gather.ts (the app) or cli/doctor.ts (the command line); report.ts judges them.

export type ReadinessLevel = PreflightLevel;

/** The dump tool of one database a backup would dump, as engine/tool-check.ts found it. */
export type ToolFact =
  | { state: 'none' }
  | { state: 'ok'; tool: string; version: string; serverVersion: string }
  | { state: 'missing'; tool: string }
  | { state: 'too-old'; tool: string; version: string; serverVersion: string; hint: string }
  | { state: 'failed'; tool: string; detail: string };

export interface DatabaseFact {
  /** 'main' for the application's database, else the data source's key. */
  source: string;
  dialect: string;
  tool: ToolFact;
}

export interface ReadinessFacts {
  databases: DatabaseFact[];
  /** Selected data sources no tool of ours dumps (listed as skipped by every backup). */
  skippedSources: { key: string; type: string }[];
  /**
   * Selected data sources the command line could not check (their options use environment templates only the app
   * renders).
   */
  uncheckedSources?: string[];
  /** undefined: the backups folder's filesystem could not be measured. */
  disk?: { free: number; needed: number; where: string; basis: 'last-backup' | 'sizes' };
  write: { ok: boolean; where: string; detail?: string };
  /** undefined: the schedule could not be read (the command line on SQLite). */
  schedule?: { enabled: boolean; cron: string; timezone: string; next: string | null };
}

export interface ReadinessCheck {
  id: string;
  level: ReadinessLevel;
  /** Locale key; warnings and blocking checks also have `<code>_FIX`. */
  code: string;
  params: Record<string, string | number>;
  /** English, params filled in: for the command line and logs. */
  message: string;
}

export interface ReadinessReport {
  checks: ReadinessCheck[];
  blocking: number;
  warnings: number;
}
