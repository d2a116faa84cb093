import type { Context, Next } from '@nocobase/actions';
import { getService } from '../service';
import { startVerify } from '../tasks/verify-flow';
import { passwordFrom } from './password';
import { action } from './respond';
import { isTrue } from './trust';

/**
 * backupsManagerTasks:verify?filterByTk=<backup task id>: answers the new verify task at once (pending); the client
 * polls backupsManagerTasks:get until it has finished. Its summary holds the report.
 */
export const verifyAction = action(async (ctx: Context, next: Next) => {
  const task = await startVerify(getService(ctx.app), {
    taskId: ctx.action.params.filterByTk,
    userId: ctx.state?.currentUser?.id ?? ctx.auth?.user?.id,
    // An encrypted backup needs its password, sent like Backup now's in the X-Backups-Manager-Password header.
    password: passwordFrom(ctx),
    // The acknowledgement for a backup made elsewhere: { trustForeign: true } in the body (or ?trustForeign=true).
    trustForeign: isTrue(ctx.action.params.values?.trustForeign ?? ctx.action.params.trustForeign),
  });
  const { slot: _slot, ...row } = task;
  ctx.body = row;
  await next();
});
