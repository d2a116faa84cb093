import { defineCollection } from '@nocobase/database';
import { TASKS } from '../../constants';

// One row per backup, restore or verify task. dataCategory 'runtime' keeps our own history out of the data a
// backup carries (and out of what a restore replaces); the rows are carried across a restore by a journal file.
export default defineCollection({
  name: TASKS,
  dataCategory: 'runtime',
  createdBy: true,
  updatedBy: false,
  sortable: false,
  fields: [
    { type: 'string', name: 'kind', defaultValue: 'backup' },
    { type: 'string', name: 'status', defaultValue: 'pending' },
    { type: 'string', name: 'origin', defaultValue: 'manual' },
    { type: 'string', name: 'fileName' },
    { type: 'bigInt', name: 'size' },
    { type: 'string', name: 'dialect' },
    { type: 'string', name: 'appVersion' },
    { type: 'string', name: 'phase' },
    { type: 'integer', name: 'progress', defaultValue: 0 },
    { type: 'text', name: 'error' },
    { type: 'string', name: 'errorCode' },
    { type: 'json', name: 'options' },
    { type: 'json', name: 'summary' },
    { type: 'boolean', name: 'encrypted', defaultValue: false },
    // The off-site copy ({ storage, key, size, uploadedAt }: see offsite/offsite.ts), and why there is none if the
    // upload failed.
    { type: 'json', name: 'remote', allowNull: true },
    { type: 'text', name: 'remoteError', allowNull: true },
    { type: 'string', name: 'slot', unique: true },
    { type: 'date', name: 'verifiedAt' },
    // Keep forever: no retention policy deletes a pinned backup (schedule/retention.ts).
    { type: 'boolean', name: 'pinned', defaultValue: false },
    // The admin's note ("before the v2.3 upgrade"), also written into the manifest at backup time (tasks/note.ts).
    { type: 'text', name: 'note', allowNull: true },
    // A backup's last verify or drill, whichever its result: 'succeeded' or 'failed', and when (verifiedAt keeps the
    // last success). What the list shows as "last verified".
    { type: 'string', name: 'lastCheckStatus', allowNull: true },
    { type: 'date', name: 'lastCheckAt', allowNull: true },
    { type: 'date', name: 'startedAt' },
    { type: 'date', name: 'finishedAt' },
  ],
});
