import type { Context, Next } from '@nocobase/actions';
import { gatherHealth } from '../health/gather';
import { getService } from '../service';
import { action } from './respond';

/** backupsManagerSettings:health: the Backups tab's health panel (admins only, like every action here). */
export const healthAction = action(async (ctx: Context, next: Next) => {
  ctx.body = await gatherHealth(getService(ctx.app));
  await next();
});
