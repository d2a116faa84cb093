// Errors an admin can act on. `code` is a locale key (src/locale/*.json) rendered with `params`; `status` is the
// HTTP status: 4xx for bad input or a busy server, 5xx only for our own faults.
export class BackupError extends Error {
  constructor(
    public code: string,
    public params: Record<string, string | number> = {},
    public status = 422,
    options?: { cause?: unknown },
  ) {
    super(`${code}${Object.keys(params).length ? ` ${JSON.stringify(params)}` : ''}`, options);
    this.name = 'BackupError';
  }
}

export const busy = () => new BackupError('BUSY', {}, 409);
export const notFound = () => new BackupError('NOT_FOUND', {}, 404);
/** The restore pre-flight refused (409, nothing touched): `checks` names the blocking checks, or the warnings not accepted. */
export const preflightBlocked = (checks: string) => new BackupError('PREFLIGHT_BLOCKED', { checks }, 409);
export const preflightWarningsNotAccepted = (checks: string) => new BackupError('PREFLIGHT_WARNINGS_NOT_ACCEPTED', { checks }, 409);

/** Anything with a code/params/status (ArchiveError, ToolError...) is rendered the same way. */
export interface CodedError {
  code: string;
  params?: Record<string, string | number>;
  status?: number;
  message: string;
}

/** Ours only: Node's own codes (ENOENT, MODULE_NOT_FOUND) look alike but are not locale keys. */
export function isCoded(err: unknown): err is CodedError {
  const name = (err as Error)?.name;
  return (name === 'BackupError' || name === 'ArchiveError') && typeof (err as CodedError).code === 'string';
}
