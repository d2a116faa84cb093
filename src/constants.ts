// Every name this plugin owns. None may equal a name of NocoBase's built-in
// @nocobase/plugin-backups (backups, backup, backupSettings, pm.backups), so both can be enabled together.
export const NAMESPACE = '@nbkit/plugin-backups-manager';
export const TASKS = 'backupsManagerTasks';
export const SETTINGS = 'backupsManagerSettings';
/** The one public action: a signed, short-lived link to one archive (server/actions/downloads.ts). */
export const SIGNED_DOWNLOAD = 'signedDownload';
/** The resumable (tus) upload's resource: no collection behind it. */
export const UPLOADS = 'backupsManagerUploads';
/** The settings collection's only row. NocoBase refuses an `update` without filterByTk, so the client names it. */
export const SETTINGS_ROW_ID = 1;
export const SETTINGS_KEY = 'backups-manager';
export const ACL_SNIPPET = `pm.${SETTINGS_KEY}`;
export const CLI_NAMESPACE = 'backups-manager';
/** The request header that carries an archive password, URI-encoded (client: api/headers.ts, server: actions/password.ts). */
export const PASSWORD_HEADER = 'X-Backups-Manager-Password';

/** Folder under the app's storage that holds our archives: storage/backups-manager/<app>/ */
export const STORAGE_DIR = 'backups-manager';
export const ARCHIVE_EXT = '.nbbm';
export const FORMAT = 'nocobase-backups-manager';
/** The newest archive format version this plugin reads. */
export const FORMAT_VERSION = 2;
/** What archives are written as: 1 unless they need 2 (archive/manifest-draft.ts formatVersionOf). */
export const FORMAT_VERSION_PLAIN = 1;
/** 2: the main dump may be a folder of entries (PostgreSQL's directory format, manifest database.dumpFormat). */
export const FORMAT_VERSION_DUMP_DIR = 2;

export const TASK_STATUS = ['pending', 'running', 'succeeded', 'failed'] as const;
export type TaskStatus = (typeof TASK_STATUS)[number];
/** 'drill': a scheduled (or Run drill now) verify of the newest backup, listed as its own kind. */
export const TASK_KINDS = ['backup', 'restore', 'verify', 'drill'] as const;
export type TaskKind = (typeof TASK_KINDS)[number];
export const TASK_ORIGINS = ['manual', 'scheduled', 'safety', 'upload', 'cli'] as const;
export type TaskOrigin = (typeof TASK_ORIGINS)[number];
export const PHASES = [
  'queued',
  'checking',
  'dumping database',
  'packing files',
  'finalising',
  'copying off-site',
  'validating',
  'safety backup',
  'restoring database',
  'restoring files',
  'upgrading',
  'restarting',
  'rolling back',
  'done',
] as const;
export type Phase = (typeof PHASES)[number];
/** Which alerts were already sent (one per stale period, one per failing off-site streak): see server/alerts. */
export const ALERTS = 'backupsManagerAlerts';
