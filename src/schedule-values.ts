/** The automatic-backup settings as stored, answered by the API and read by the scheduler (server and client). */
export interface ScheduleValues {
  enabled: boolean;
  cron: string;
  timezone: string;
  includeUploads: boolean;
  includePlugins: boolean;
  keepLast: number;
  maxAgeDays: number | null;
  /** Restic-style calendar rules: the newest backup of each of the last N days, ISO weeks, months, years; null: off. */
  keepDaily: number | null;
  keepWeekly: number | null;
  keepMonthly: number | null;
  keepYearly: number | null;
  /** Collections whose rows are left out (their tables are kept, empty). */
  excludeCollections: string[];
  /** A file-manager storage that receives a copy of each manual and scheduled backup; null: none. */
  offsiteStorage: string | null;
  /**
   * The admin chose to copy scheduled backups off-site without a password. Off by default: an enabled schedule with an
   * off-site copy needs a backup password (see settings-values.ts checkOffsiteEncryption).
   */
  offsiteUnencrypted: boolean;
  /** Sub-applications whose databases each scheduled backup carries too; ['*']: all of them. */
  subApps: string[];
  /** External data sources each scheduled backup dumps too. */
  dataSources: string[];
  /** Alert the admins when no backup has succeeded for longer than this many hours; null: no such alert. */
  staleAfterHours: number | null;
  /** A NocoBase e-mail notification channel (by name) that also receives the alerts; null: in-app only. */
  alertEmailChannel: string | null;
  /** Restore drills: the newest backup verified into a scratch database on their own schedule (same time zone). */
  drillEnabled: boolean;
  drillCron: string;
  /**
   * PostgreSQL/KingbaseES: parallel jobs of the main database's dump and restore (pg_dump -Fd -j N, pg_restore -j N);
   * 1 is one stream (the custom format); null: automatic, from the CPU count.
   */
  dumpJobs: number | null;
}
