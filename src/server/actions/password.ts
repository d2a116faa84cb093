import type { Context } from '@nocobase/actions';

export const PASSWORD_HEADER = 'x-backups-manager-password';

/**
 * Backup passwords travel in a header, URI-encoded (browsers refuse non-Latin-1 header values): NocoBase's request
 * log records bodies but only whitelisted headers, so the password never lands in a log.
 */
export function passwordFrom(ctx: Context): string | undefined {
  const raw = ctx.get(PASSWORD_HEADER);
  if (!raw) return undefined;
  try {
    return decodeURIComponent(raw) || undefined;
  } catch {
    return raw;
  }
}
