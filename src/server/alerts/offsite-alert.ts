import { Op } from '@nocobase/database';
import type { Application } from '@nocobase/server';
import { TASKS } from '../../constants';
import { offsiteStreakKey } from './conditions';
import { claimAlert } from './ledger';
import { alertAdmins } from './send';

/**
 * After a backup whose off-site copy failed (its row already says why, `remoteError`): alerts once per failing
 * streak, not at every backup while the bucket stays unreachable. Never throws.
 */
export async function alertOffsiteFailure(app: Application, failed: { fileName: string; storage: string; reason: string }): Promise<void> {
  try {
    const model = app.db.getModel(TASKS);
    const lastCopy = await model.findOne({ where: { kind: 'backup', remote: { [Op.ne]: null } }, order: [['id', 'DESC']] });
    const since = lastCopy ? { id: { [Op.gt]: lastCopy.get('id') } } : {};
    const first = await model.findOne({ where: { kind: 'backup', remoteError: { [Op.ne]: null }, ...since }, order: [['id', 'ASC']] });
    const key = offsiteStreakKey(first ? (first.get('id') as number) : null);
    if (!key || !(await claimAlert(app.db, key, 'offsiteFailed'))) return;
    await alertAdmins(app, 'offsiteFailed', { file: failed.fileName, storage: failed.storage, reason: failed.reason });
  } catch (err) {
    app.log.error(`off-site failure alert failed`, { err });
  }
}
