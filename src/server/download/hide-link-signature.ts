import type { Context, Next } from '@nocobase/actions';
import type { Application } from '@nocobase/server';
import { SIGNED_DOWNLOAD, TASKS } from '../../constants';

const ACTION_PATH = `/${TASKS}:${SIGNED_DOWNLOAD}`;
const STASH = Symbol.for('@nbkit/plugin-backups-manager:link-signature');

/**
 * NocoBase's request log writes each request's URL: a download link's signature is taken out of the query before
 * that middleware runs, and kept on the request for the action. Proxies in front may still log it; it expires in
 * a minute and grants one file.
 */
export function hideLinkSignatures(app: Application): void {
  app.use(
    async (ctx: Context, next: Next) => {
      if (ctx.path.endsWith(ACTION_PATH) && ctx.querystring.includes('sig=')) {
        const query = new URLSearchParams(ctx.querystring);
        (ctx.req as unknown as Record<symbol, string | null>)[STASH] = query.get('sig');
        query.delete('sig');
        ctx.querystring = query.toString();
      }
      await next();
    },
    { tag: 'backups-manager-hide-link-signature', after: 'generateReqId', before: ['audit', 'logger'] },
  );
}

export function takeLinkSignature(ctx: Context): string | null {
  return (ctx.req as unknown as Record<symbol, string | null>)[STASH] ?? null;
}
