import type { TFunction } from '../locale';

// The server stores a task's error in English (`error`) beside its code (`errorCode`). A code whose message has no
// parameters can be shown in the admin's language; the others need values only the English text still has.
const PLAIN_CODES = new Set([
  'BUSY',
  'SCHEDULE_PASSWORD_UNREADABLE',
  'NOT_AN_ARCHIVE',
  'MANIFEST_MISSING',
  'NOT_FOUND',
  'FILE_MISSING',
  'INVALID_NAME',
  'UPLOAD_EMPTY',
  'UPLOAD_NOT_FOUND',
  'PASSWORD_REQUIRED',
  'PASSWORD_WRONG',
  'INTERRUPTED',
  'NOT_SUCCEEDED',
  'KEEP_LAST_INVALID',
  'SKIPPED_BUSY',
]);

export interface HasError {
  error?: string | null;
  errorCode?: string | null;
}

/** A failed task's (or last run's) error, translated when that can be done without losing anything. */
export function errorText(t: TFunction, item: HasError): string {
  if (item.errorCode && PLAIN_CODES.has(item.errorCode)) return t(item.errorCode);
  return item.error || item.errorCode || '';
}
