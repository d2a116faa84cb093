import type { Context, Next } from '@nocobase/actions';
import { gatherAppReadiness } from '../readiness/app-facts';
import { readinessReport } from '../readiness/report';
import { getService } from '../service';
import { action } from './respond';

/** `backupsManagerSettings:readiness`: whether a backup would work now, each line with its fix (settings page). */
export const readiness = action(async (ctx: Context, next: Next) => {
  ctx.body = readinessReport(await gatherAppReadiness(getService(ctx.app)));
  await next();
});
