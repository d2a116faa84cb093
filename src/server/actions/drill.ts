import type { Context, Next } from '@nocobase/actions';
import { startDrill } from '../drills/run';
import { getService } from '../service';
import { action } from './respond';

/**
 * backupsManagerTasks:drill (Run drill now): the same drill the schedule runs, on the newest backup. Answers the drill
 * task at once (pending, or failed when it could not start: busy, no backup); the client polls it like a verify.
 */
export const drillAction = action(async (ctx: Context, next: Next) => {
  const service = getService(ctx.app);
  const { task, done } = await startDrill(service, { origin: 'manual', userId: ctx.state?.currentUser?.id ?? ctx.auth?.user?.id });
  done.catch(() => undefined);
  const row: Record<string, unknown> = { ...(task ?? {}) };
  delete row.slot;
  ctx.body = row;
  await next();
});
