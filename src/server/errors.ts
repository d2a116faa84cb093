import { NAMESPACE } from '../constants';

export type ErrorParams = Record<string, string | number>;

/**
 * The base of every error of ours (BackupError, ArchiveError, ToolError, the CLI's): `code` is a locale key
 * (src/locale/*.json) rendered with `params`, `status` the HTTP status (4xx for bad input or a busy server, 5xx
 * only for our own faults), `message` English for logs. Recognised with `instanceof`, never by name: Node's own
 * codes (ENOENT, MODULE_NOT_FOUND) look alike but are not locale keys.
 */
export class CodedError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly params: ErrorParams = {},
    readonly status = 422,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CodedError';
  }
}

/** Errors an admin can act on, raised by the server's own checks. */
export class BackupError extends CodedError {
  constructor(code: string, params: ErrorParams = {}, status = 422, options?: { cause?: unknown }) {
    super(code, `${code}${Object.keys(params).length ? ` ${JSON.stringify(params)}` : ''}`, params, status, options);
    this.name = 'BackupError';
  }
}

export const busy = () => new BackupError('BUSY', {}, 409);
export const notFound = () => new BackupError('NOT_FOUND', {}, 404);
/** The restore pre-flight refused (409, nothing touched): `checks` names the blocking checks, or the warnings not accepted. */
export const preflightBlocked = (checks: string) => new BackupError('PREFLIGHT_BLOCKED', { checks }, 409);
export const preflightWarningsNotAccepted = (checks: string) => new BackupError('PREFLIGHT_WARNINGS_NOT_ACCEPTED', { checks }, 409);

/** i18next's `t`, as app.i18n and a request's ctx carry it. */
export interface Translator {
  t(key: string, options?: Record<string, unknown>): string;
}

/**
 * One of our texts in a language (the translator's own, e.g. the request's, when none is named). Values are not
 * HTML-escaped: every reader (the page, notifications, logs, the CLI) shows text, never HTML.
 */
export function translate(i18n: Translator, key: string, params: Record<string, unknown> = {}, lng?: string): string {
  return i18n.t(key, { ns: NAMESPACE, ...(lng ? { lng } : {}), interpolation: { escapeValue: false }, ...params });
}

/**
 * Any error in a language: ours by code and params (a code without a text, e.g. a CLI error's, by its own English
 * message), anything else by its message.
 */
export function renderError(i18n: Translator, err: unknown, lng?: string): string {
  if (!err) return 'Unknown error';
  if (err instanceof CodedError) return translate(i18n, err.code, { defaultValue: err.message, ...err.params }, lng);
  return (err as Error).message || String(err);
}
