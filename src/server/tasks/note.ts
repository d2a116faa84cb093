import { BackupError } from '../errors';

// A backup's note ("before the v2.3 upgrade"): one line of plain text, on the row and in the manifest. Pure.

export const NOTE_MAX = 500;

/**
 * The note to store: trimmed, control characters (line breaks included) as spaces, so a CLI list line stays one
 * line; empty is none (null). Longer than NOTE_MAX or not text: a 422.
 */
export function noteOf(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw new BackupError('NOTE_INVALID', { max: NOTE_MAX }, 422);
  // eslint-disable-next-line no-control-regex
  const note = value.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  if (note.length > NOTE_MAX) throw new BackupError('NOTE_INVALID', { max: NOTE_MAX }, 422);
  return note || null;
}
