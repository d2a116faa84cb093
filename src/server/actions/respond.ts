import type { Context, Next } from '@nocobase/actions';
import { NAMESPACE } from '../../constants';
import { isCoded } from '../errors';

type Handler = (ctx: Context, next: Next) => Promise<void>;

/**
 * Our coded errors answer their own status (4xx for bad input, 409 busy...) with a message translated into the
 * request's language; anything else is our fault and stays a 500 for NocoBase's error handler.
 */
export function action(fn: Handler): Handler {
  return async (ctx, next) => {
    try {
      await fn(ctx, next);
    } catch (err) {
      if (!isCoded(err)) throw err;
      const status = typeof err.status === 'number' && err.status >= 400 ? err.status : 422;
      ctx.withoutDataWrapping = true;
      ctx.status = status;
      const message = ctx.t(err.code, { ns: NAMESPACE, interpolation: { escapeValue: false }, ...(err.params || {}) });
      // A refused restore carries its pre-flight report, so the dialog can show why without asking again.
      const preflight = (err as { preflight?: unknown }).preflight;
      ctx.body = { errors: [{ code: err.code, message, ...(preflight ? { preflight } : {}) }] };
    }
  };
}
