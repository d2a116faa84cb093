import type { TaskKind, TaskOrigin, TaskStatus } from '../constants';
import type { ScheduleValues } from '../schedule-values';
import type { DataSourceChoice, StorageChoice, SubAppChoice } from '../choices';

export type { DataSourceChoice, StorageChoice, SubAppChoice };

export type { TaskKind, TaskOrigin, TaskStatus };
export type TaskId = number | string;

export interface Task {
  id: TaskId;
  kind: TaskKind;
  status: TaskStatus;
  origin: TaskOrigin;
  fileName?: string | null;
  /** Bytes; a bigint column may arrive as a string. */
  size?: number | string | null;
  dialect?: string | null;
  appVersion?: string | null;
  phase?: string | null;
  progress?: number | null;
  /** English, as the server stores it; see errorCode for a translation. */
  error?: string | null;
  errorCode?: string | null;
  encrypted?: boolean | null;
  verifiedAt?: string | null;
  /** A backup's last verify or restore drill: its result and when ("last verified" in the list). */
  lastCheckStatus?: 'succeeded' | 'failed' | null;
  lastCheckAt?: string | null;
  startedAt?: string | null;
  finishedAt?: string | null;
  createdAt?: string | null;
  createdBy?: { nickname?: string | null } | null;
  /** The archive is on this server. */
  local?: boolean;
  /** Its copy in an off-site storage, if any. */
  remote?: { storage: string; size?: number | string | null; uploadedAt?: string | null } | null;
  /** Why the off-site copy failed (English, from the server). */
  remoteError?: string | null;
  /** A backup's or restore's: what its archive holds (ArchiveSummary); a verify's: its report. */
  summary?: unknown;
  /** Keep forever: no retention policy deletes it. */
  pinned?: boolean | null;
  /** The admin's note ("before the v2.3 upgrade"). */
  note?: string | null;
  /** What the server records of the run (a restore's phases, a move's dialects and report...). */
  options?: TaskOptions | null;
}

/** The parts of a task's options the page reads. */
export interface TaskOptions {
  /** A restore that moved the data into another dialect. */
  move?: { from?: string; to?: string } | null;
  /** Its report once done (src/server/move/copy-plan.ts MoveReport). */
  moveReport?: MoveReportView | null;
  [key: string]: unknown;
}

/** What a move copied and what it could not (the server's MoveReport). */
export interface MoveReportView {
  /** Source table → rows copied. */
  moved: Record<string, number>;
  tablesNotMoved?: string[];
  columnsNotMoved?: string[];
  views?: string[];
  triggers?: string[];
  functions?: string[];
  /** Column kind (boolean, json, datetime...) → columns converted on the way. */
  converted?: Record<string, number>;
}

export interface ListMeta {
  count: number;
  page: number;
  pageSize: number;
  totalPage: number;
}

export interface ArchiveSummary {
  createdAt?: string | null;
  appName?: string | null;
  appVersion?: string | null;
  dialect?: string | null;
  serverVersion?: string | null;
  size?: number | string | null;
  parts?: string[];
  encrypted?: boolean;
  excludedTableData?: string[];
  /** Sub-applications the archive carries (known for encrypted archives only once the password is given). */
  apps?: string[];
  /** External data sources the archive carries, and those that were asked for but skipped. */
  dataSources?: string[];
  skippedDataSources?: { key: string; type: string; reason: string; detail?: string }[];
  /** Files of the storage folders left out (symlinks, FIFOs, unsafe names): the first few, and how many in all. */
  skippedFiles?: { path: string; reason: string }[];
  skippedFileCount?: number;
  /** Signed with this app's APP_KEY ('this-app') or not ('elsewhere': restore and verify need an acknowledgement). */
  provenance?: 'this-app' | 'elsewhere';
  /** What the restore must match here (servers before issue 16 send none). */
  preflight?: PreflightReport;
}

export type PreflightLevel = 'ok' | 'warning' | 'blocking';

/** One check of the pre-flight report: `code` is an i18n key (`<code>_FIX` its fix), `message` its English text. */
export interface PreflightCheck {
  id: string;
  level: PreflightLevel;
  code: string;
  params?: Record<string, string | number>;
  message: string;
}

export interface PreflightReport {
  checks: PreflightCheck[];
  blocking: number;
  warnings: number;
  /** false: the versions match and the restore only restarts the app. */
  upgrade: boolean;
}

/** Whether a backup would work here now (settings page, `nb-backups doctor`): the same line shape as the pre-flight. */
export interface ReadinessReport {
  checks: PreflightCheck[];
  blocking: number;
  warnings: number;
}


/** What a restore starts from: a finished backup in the list, or an uploaded archive. */
export type RestoreSource = { taskId: TaskId } | { uploadId: string };

export interface LastRun {
  status: TaskStatus;
  error?: string | null;
  errorCode?: string | null;
  finishedAt?: string | null;
}

export interface ScheduleSettings extends ScheduleValues {
  hasPassword: boolean;
  lastRun?: LastRun | null;
  nextRuns?: string[];
}

export interface ScheduleUpdate extends ScheduleValues {
  clearPassword?: boolean;
}

/** What a retention policy not yet saved would delete now (settings retentionPreview). */
export interface RetentionPreview {
  destroy: {
    id: TaskId;
    status: TaskStatus;
    fileName?: string | null;
    size?: number | string | null;
    finishedAt?: string | null;
    createdAt?: string | null;
    note?: string | null;
    offsite: boolean;
  }[];
  /** Succeeded backups listed now. */
  backups: number;
}

/** A NocoBase e-mail notification channel the alerts can go through. */
export interface EmailChannelChoice {
  name: string;
  title: string;
}

export interface CronPreview {
  valid: boolean;
  error?: string;
  nextRuns: string[];
}

export function isActive(task: Pick<Task, 'status'>): boolean {
  return task.status === 'pending' || task.status === 'running';
}

export function isFinished(task: Pick<Task, 'status'>): boolean {
  return task.status === 'succeeded' || task.status === 'failed';
}
