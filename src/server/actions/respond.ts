import type { Context, Next } from '@nocobase/actions';
import { CodedError, renderError, type Translator } from '../errors';
import { ToolError } from '../process/errors';

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
      // A tool that failed under a request is our fault: a 500 for NocoBase's handler, as any other.
      if (!(err instanceof CodedError) || err instanceof ToolError) throw err;
      const status = err.status >= 400 ? err.status : 422;
      ctx.withoutDataWrapping = true;
      ctx.status = status;
      const message = renderError(requestLanguage(ctx), err);
      // A refused restore carries its pre-flight report, so the dialog can show why without asking again.
      const preflight = (err as { preflight?: unknown }).preflight;
      ctx.body = { errors: [{ code: err.code, message, ...(preflight ? { preflight } : {}) }] };
    }
  };
}

/** Texts in the request's language (NocoBase's ctx.t follows the client's locale). */
export function requestLanguage(ctx: Context): Translator {
  return { t: (key, options) => ctx.t(key, options) };
}
