import type { Context } from '@nocobase/actions';
import { PASSWORD_HEADER } from '../../constants';
import { BackupError } from '../errors';

/**
 * Backup passwords travel in a header, URI-encoded (browsers refuse non-Latin-1 header values): NocoBase's request
 * log records bodies but only whitelisted headers, so the password never lands in a log.
 */
export function passwordFrom(ctx: Context): string | undefined {
  return decodePassword(ctx.get(PASSWORD_HEADER));
}

/**
 * The header must be exactly encodeURIComponent(password), as our client sends it. Anything else is refused rather
 * than guessed at: decoding a raw '%41' would encrypt with 'A', another password than the one the API user typed.
 */
export function decodePassword(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  let password: string;
  try {
    password = decodeURIComponent(raw);
    if (encodeURIComponent(password) !== raw) throw new Error('not canonical');
  } catch {
    throw new BackupError('PASSWORD_HEADER_INVALID', {}, 400);
  }
  return password || undefined;
}
