import { defineCollection } from '@nocobase/database';
import { SETTINGS } from '../../constants';

// One row (id 1): the automatic-backup schedule and retention. Not 'runtime' on purpose: it is configuration, so a
// backup carries it and a restore brings back the schedule the restored app had.
export default defineCollection({
  name: SETTINGS,
  createdBy: false,
  updatedBy: false,
  sortable: false,
  fields: [
    { type: 'boolean', name: 'enabled', defaultValue: false },
    { type: 'string', name: 'cron', defaultValue: '0 3 * * *' },
    { type: 'string', name: 'timezone', defaultValue: 'UTC' },
    { type: 'boolean', name: 'includeUploads', defaultValue: true },
    { type: 'boolean', name: 'includePlugins', defaultValue: true },
    { type: 'integer', name: 'keepLast', defaultValue: 7 },
    { type: 'integer', name: 'maxAgeDays', allowNull: true },
    // Calendar rules (retention.ts): null is off, so a table from before they existed keeps its old policy.
    { type: 'integer', name: 'keepDaily', allowNull: true },
    { type: 'integer', name: 'keepWeekly', allowNull: true },
    { type: 'integer', name: 'keepMonthly', allowNull: true },
    { type: 'integer', name: 'keepYearly', allowNull: true },
    // Collection names (not tables): a renamed table prefix or a re-created collection still matches.
    { type: 'json', name: 'excludeCollections', defaultValue: [] },
    // Sub-application names, or ['*'] for all of them, whose databases each scheduled backup carries too.
    { type: 'json', name: 'subApps', defaultValue: [] },
    // External data source keys each scheduled backup dumps too (off unless listed).
    { type: 'json', name: 'dataSources', defaultValue: [] },
    // A file-manager storage (by name) that receives a copy of every manual and scheduled backup; null: none.
    { type: 'string', name: 'offsiteStorage', allowNull: true },
    // The admin chose plain archives for the off-site copies of scheduled backups (off: a password is required).
    { type: 'boolean', name: 'offsiteUnencrypted', defaultValue: false },
    // Alerts (server/alerts): no successful backup for longer than this many hours (null: off), and the NocoBase
    // e-mail channel that also receives them (null: in-app only).
    { type: 'double', name: 'staleAfterHours', defaultValue: 48, allowNull: true },
    { type: 'string', name: 'alertEmailChannel', allowNull: true },
    // Restore drills: the newest backup verified into a scratch database on this schedule (the time zone above).
    { type: 'boolean', name: 'drillEnabled', defaultValue: false },
    { type: 'string', name: 'drillCron', defaultValue: '0 4 * * 0' },
    // PostgreSQL/KingbaseES parallel dump and restore jobs (dumpers/parallel-jobs.ts); null: from the CPU count.
    { type: 'integer', name: 'dumpJobs', allowNull: true },
    // The task the scheduler started last, for logs and support; the settings page reads the task table itself.
    { type: 'bigInt', name: 'lastRunTaskId', allowNull: true },
    // The schedule's backup password, sealed with a key derived from APP_KEY (crypto/app-key-seal.ts); hidden so no
    // generic read returns it, and our own actions only ever answer `hasPassword`.
    { type: 'text', name: 'passwordSealed', allowNull: true, hidden: true },
  ],
});
