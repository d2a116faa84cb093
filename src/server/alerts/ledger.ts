import type { Database } from '@nocobase/database';
import { ALERTS } from '../../constants';
import { retryBusy } from '../db/retry-busy';
import { isUniqueViolation } from '../schedule/settings-store';

// The alerts already sent, by key. The database decides who sends: the first process to insert a key does.

/** True when this call recorded `key` (so the caller sends the alert); false when it was recorded already. */
export async function claimAlert(db: Database, key: string, kind: string): Promise<boolean> {
  const model = db.getModel(ALERTS);
  if (await model.findOne({ where: { key } })) return false;
  try {
    await retryBusy(() => model.create({ key, kind }));
    return true;
  } catch (err) {
    if (isUniqueViolation(err)) return false;
    throw err;
  }
}

const WATCH_KEY = 'watch:start';

/** When this app first checked for stale backups (recorded on the first call). */
export async function watchStart(db: Database): Promise<Date> {
  const model = db.getModel(ALERTS);
  const read = async () => (await model.findOne({ where: { key: WATCH_KEY } }))?.get('createdAt') as Date | string | undefined;
  const found = await read();
  if (found) return new Date(found);
  await claimAlert(db, WATCH_KEY, 'watch');
  return new Date((await read()) ?? Date.now());
}
