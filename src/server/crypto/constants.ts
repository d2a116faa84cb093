/** Name written to encryption.json `cipher`; a different scheme must get a new name, never reuse this one. */
export const CIPHER = 'aes-256-gcm-chunked';
export const KDF = 'scrypt';

/**
 * scrypt cost for new archives: about 0.5 s and 128 MiB once per archive opened (2-core Xeon; 2^16 before).
 * The parameters are stored per archive, so older archives keep theirs and raising them needs no format change.
 */
export const DEFAULT_SCRYPT = { N: 2 ** 17, r: 8, p: 1 } as const;
export const SALT_BYTES = 16;
/** Plaintext bytes per chunk: small enough to keep memory flat, large enough that the 16-byte tags cost 0.02 %. */
export const DEFAULT_CHUNK_SIZE = 64 * 1024;

export const KEY_BYTES = 32;
export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;

/**
 * What a reader accepts from an archive. A hostile encryption.json must not make the server allocate gigabytes or
 * spin for minutes before it can even say "wrong password": memory 128·N·r ≤ 256 MiB, work N·r·p ≤ 4× the default.
 */
export const SCRYPT_LIMITS = { minN: 2 ** 10, maxMemory: 256 * 1024 * 1024, maxWork: 2 ** 22, maxP: 16 } as const;
export const SALT_LIMITS = { min: SALT_BYTES, max: 64 } as const;
export const CHUNK_SIZE_LIMITS = { min: 1024, max: 4 * 1024 * 1024 } as const;
/** The password check: a known 32-byte plaintext, encrypted and tagged (see keyring.ts). */
export const CHECK_PLAINTEXT = Buffer.from('nocobase-backups-manager:check/1', 'ascii');
export const CHECK_BYTES = CHECK_PLAINTEXT.length + TAG_BYTES;
