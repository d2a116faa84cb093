import { defineCollection } from '@nocobase/database';
import { ALERTS } from '../../constants';

// One row per alert already sent for a condition (e.g. `stale:<task id>`): the unique key lets the first process
// that inserts it send the alert, and no other, however many processes check. Runtime: not carried by a backup.
export default defineCollection({
  name: ALERTS,
  dataCategory: 'runtime',
  createdBy: false,
  updatedBy: false,
  sortable: false,
  fields: [
    { type: 'string', name: 'key', unique: true },
    { type: 'string', name: 'kind' },
  ],
});
