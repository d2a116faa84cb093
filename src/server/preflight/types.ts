import type { RequiredPlugin } from '../archive/manifest-types';

/** What the backup's caller knows of the application (gather.ts); the engine adds the database and dump facts. */
export interface RequirementsDraft {
  nocobaseVersion: string;
  plugins?: RequiredPlugin[];
  underscored: boolean;
  lowerCaseTableNames?: number;
}

export type PreflightLevel = 'ok' | 'warning' | 'blocking';

export interface PreflightCheck {
  id: string;
  level: PreflightLevel;
  /** Locale key; warnings and blocking checks also have `<code>_FIX`. */
  code: string;
  params: Record<string, string | number>;
  /** English, params filled in: for the command lines and logs. */
  message: string;
}

export interface PreflightReport {
  checks: PreflightCheck[];
  blocking: number;
  warnings: number;
  /** False when the backup's NocoBase and every plugin version equal the installed ones: no `nocobase upgrade`. */
  upgrade: boolean;
}

/** A plugin package as found here. */
export interface InstalledPlugin {
  version: string;
}

/** Facts about the restore target, gathered by facts.ts. `undefined` means "could not be read". */
export interface TargetFacts {
  dialect: string;
  nocobaseVersion?: string;
  /** Looks a required plugin up here (package in node_modules or storage/plugins); null when not installed. */
  plugins: Record<string, InstalledPlugin | null>;
  db: {
    underscored: boolean;
    schema?: string;
    tablePrefix?: string;
    lowerCaseTableNames?: number;
  };
  /** The restore tool here: pg_restore (its major reads formats up to restoreReads), mysql/mariadb, sqlite. */
  restoreTool?: { tool: string; version: string; reads?: string };
  disk?: { free: number; needed: number; where: string };
  /** null: could not be checked. */
  privileges?: { ok: boolean; missing: string } | null;
}
