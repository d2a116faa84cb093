import { CodedError } from '../errors';

/**
 * Errors raised by the archive layer. `code` is stable (UPPER_SNAKE) and translated elsewhere;
 * `message` is English for logs; `params` carries the values a translation may interpolate.
 */
export type ArchiveErrorCode =
  /** Not a ZIP at all: empty, random bytes, truncated, broken central directory. */
  | 'NOT_AN_ARCHIVE'
  /** A ZIP without manifest.json. */
  | 'MANIFEST_MISSING'
  /** manifest.json is not valid JSON, fails its CRC, is too large or lacks required fields. */
  | 'MANIFEST_INVALID'
  /** format !== FORMAT, or formatVersion newer than this plugin understands. */
  | 'FORMAT_UNKNOWN'
  /** An entry name that could escape the extraction folder (absolute, '..', backslash, NUL, ...). */
  | 'ENTRY_UNSAFE'
  /** The same entry name twice (in the zip or in the manifest). */
  | 'ENTRY_DUPLICATE'
  /** A manifest entry that the zip does not contain. */
  | 'ENTRY_MISSING'
  /** A zip entry that the manifest does not list. */
  | 'ENTRY_UNLISTED'
  /** Sizes disagree between manifest and central directory, or a size the file cannot hold. */
  | 'ENTRY_SIZE_MISMATCH'
  /** Encrypted entry, or a compressed one (this plugin writes every entry stored). */
  | 'ENTRY_UNSUPPORTED'
  /** Content differs from the manifest (SHA-256, size, or an encrypted chunk fails its tag); params.path names it. */
  | 'CHECKSUM_MISMATCH'
  /** The writer's target already exists. */
  | 'ARCHIVE_EXISTS'
  /** A source stream or file failed while being packed; params.path names the entry. */
  | 'SOURCE_FAILED'
  /** The writer was used after finish/abort/failure. */
  | 'WRITER_CLOSED'
  /** Cancelled through an AbortSignal. */
  | 'ABORTED'
  /** The archive is encrypted and no password was given. */
  | 'PASSWORD_REQUIRED'
  /** The password does not open the archive (its check value fails). */
  | 'PASSWORD_WRONG'
  /** encryption.json names a cipher or key derivation this plugin does not know, or costs beyond its limits. */
  | 'ENCRYPTION_UNSUPPORTED'
  /** The central directory declares more records than any archive this plugin reads can hold. */
  | 'ARCHIVE_TOO_MANY_ENTRIES'
  /** The filesystem cannot hold what is about to be written (staging, upload). */
  | 'NOT_ENOUGH_SPACE'
  /** Restore or verify of an archive not signed by this app (provenance.ts) without the admin's acknowledgement (422). */
  | 'FOREIGN_ARCHIVE_NEEDS_ACK';

const STATUS: Record<ArchiveErrorCode, number> = {
  NOT_AN_ARCHIVE: 422,
  MANIFEST_MISSING: 422,
  MANIFEST_INVALID: 422,
  FORMAT_UNKNOWN: 422,
  ENTRY_UNSAFE: 422,
  ENTRY_DUPLICATE: 422,
  ENTRY_MISSING: 422,
  ENTRY_UNLISTED: 422,
  ENTRY_SIZE_MISMATCH: 422,
  ENTRY_UNSUPPORTED: 422,
  CHECKSUM_MISMATCH: 422,
  ARCHIVE_EXISTS: 409,
  SOURCE_FAILED: 500,
  WRITER_CLOSED: 500,
  ABORTED: 499,
  PASSWORD_REQUIRED: 400,
  // Not 401: NocoBase's client treats 401 as an expired session and logs the admin out.
  PASSWORD_WRONG: 422,
  ENCRYPTION_UNSUPPORTED: 422,
  ARCHIVE_TOO_MANY_ENTRIES: 422,
  NOT_ENOUGH_SPACE: 507,
  FOREIGN_ARCHIVE_NEEDS_ACK: 422,
};

export type ArchiveErrorParams = Record<string, string | number>;

export class ArchiveError extends CodedError {
  declare readonly code: ArchiveErrorCode;

  constructor(
    code: ArchiveErrorCode,
    message: string,
    params: ArchiveErrorParams = {},
    options?: { cause?: unknown; status?: number },
  ) {
    super(code, message, params, options?.status ?? STATUS[code] ?? 500, options && 'cause' in options ? { cause: options.cause } : undefined);
    this.name = 'ArchiveError';
  }
}

export function isArchiveError(err: unknown, code?: ArchiveErrorCode): err is ArchiveError {
  return err instanceof ArchiveError && (code === undefined || err.code === code);
}
