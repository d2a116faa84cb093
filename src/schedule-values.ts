/** The automatic-backup settings as stored, answered by the API and read by the scheduler (server and client). */
export interface ScheduleValues {
  enabled: boolean;
  cron: string;
  timezone: string;
  includeUploads: boolean;
  includePlugins: boolean;
  keepLast: number;
  maxAgeDays: number | null;
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
  /** Restore drills: the newest backup verified into a scratch database on their own schedule (same time zone). */
  drillEnabled: boolean;
  drillCron: string;
}
