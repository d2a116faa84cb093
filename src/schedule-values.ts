/** The automatic-backup settings as stored, answered by the API and read by the scheduler (server and client). */
export interface ScheduleValues {
  enabled: boolean;
  cron: string;
  timezone: string;
  includeUploads: boolean;
  includePlugins: boolean;
  keepLast: number;
  maxAgeDays: number | null;
}
