import type { Context, Next } from '@nocobase/actions';
import type { Application } from '@nocobase/server';
import type { IncomingMessage } from 'http';
import { PASSWORD_HEADER } from '../../../constants';

export interface FakeCtxOptions {
  params?: Record<string, unknown>;
  /** The backup password as the client sends it (encodeURIComponent), or a raw header value with `rawPassword`. */
  password?: string;
  rawPassword?: string;
  userId?: number;
  lng?: string;
  req?: IncomingMessage;
}

/**
 * The slice of a Koa/NocoBase request context the actions use: params, the password header, the user, the
 * request's language (ctx.t), the response's body, status and headers.
 */
export function fakeCtx(app: Application, opts: FakeCtxOptions = {}) {
  const headers: Record<string, string> = {};
  if (opts.password !== undefined) headers[PASSWORD_HEADER.toLowerCase()] = encodeURIComponent(opts.password);
  if (opts.rawPassword !== undefined) headers[PASSWORD_HEADER.toLowerCase()] = opts.rawPassword;
  const ctx = {
    app,
    db: app.db,
    req: opts.req,
    action: { params: opts.params || {} },
    state: opts.userId !== undefined ? { currentUser: { id: opts.userId } } : {},
    get: (name: string) => headers[name.toLowerCase()] ?? '',
    // What the action set on the response.
    response: { headers: {} as Record<string, string>, attachment: undefined as string | undefined },
    set(name: string, value: string) {
      ctx.response.headers[name] = value;
    },
    attachment(name: string) {
      ctx.response.attachment = name;
    },
    t: (key: string, options?: Record<string, unknown>) => app.i18n.t(key, { ...options, lng: opts.lng || 'en-US' }),
    body: undefined as unknown,
    // Koa's status once a body is set; a refusal sets its own.
    status: 200,
    withoutDataWrapping: false,
  };
  return ctx;
}

export type FakeCtx = ReturnType<typeof fakeCtx>;

/** Runs an action handler on a fake context; resolves with the context, whose body and status the action set. */
export async function call(handler: (ctx: Context, next: Next) => Promise<void>, ctx: FakeCtx): Promise<FakeCtx & { next: jest.Mock }> {
  const next = jest.fn(async () => undefined);
  await handler(ctx as unknown as Context, next);
  return Object.assign(ctx, { next });
}

/** The coded refusal the action answered: its status, code and translated message. */
export function refusal(ctx: FakeCtx) {
  const body = ctx.body as { errors?: { code: string; message: string; preflight?: unknown }[] };
  return { status: ctx.status, ...(body?.errors?.[0] || {}) };
}
