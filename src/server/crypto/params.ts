import { CHECK_BYTES, CHUNK_SIZE_LIMITS, CIPHER, KDF, SALT_LIMITS, SCRYPT_LIMITS } from './constants';

export interface ScryptParams {
  name: typeof KDF;
  N: number;
  r: number;
  p: number;
  /** base64, random per archive. */
  salt: string;
}

/** The secret-free part of encryption.json that says how to derive and check the key. */
export interface CipherParams {
  cipher: typeof CIPHER;
  kdf: ScryptParams;
  /** Plaintext bytes per chunk. */
  chunkSize: number;
  /** base64 of the encrypted, tagged CHECK_PLAINTEXT: tells a wrong password from a damaged archive. */
  check: string;
}

/** 'invalid': not the shape we write (damage or forgery). 'unsupported': well formed, but not something we accept. */
export type ParamsProblem = 'invalid' | 'unsupported';

export class CipherParamsError extends Error {
  constructor(
    readonly problem: ParamsProblem,
    readonly reason: string,
  ) {
    super(`encryption parameters ${problem === 'invalid' ? 'are invalid' : 'are not supported'}: ${reason}`);
    this.name = 'CipherParamsError';
  }
}

const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

/** Strict base64 (Buffer.from would silently skip junk characters). */
export function decodeBase64(value: unknown, field: string): Buffer {
  if (typeof value !== 'string' || !BASE64_RE.test(value)) {
    throw new CipherParamsError('invalid', `${field} must be base64`);
  }
  return Buffer.from(value, 'base64');
}

/**
 * Checks the shape first ('invalid'), then that the values are ones this version accepts ('unsupported'), the cost
 * bounds before anything is derived. Returns a copy holding only the known fields.
 */
export function parseCipherParams(value: Record<string, unknown>): CipherParams {
  const { cipher, kdf, chunkSize, check } = value;
  if (typeof cipher !== 'string') throw new CipherParamsError('invalid', 'cipher must be a string');
  if (cipher !== CIPHER) throw new CipherParamsError('unsupported', `cipher "${cipher}"`);
  if (!isObj(kdf) || typeof kdf.name !== 'string') {
    throw new CipherParamsError('invalid', 'kdf must be an object with a name');
  }
  if (kdf.name !== KDF) throw new CipherParamsError('unsupported', `key derivation "${kdf.name}"`);
  const { N, r, p } = kdf;
  if (!isInt(N) || !isInt(r) || !isInt(p) || N < 2 || r < 1 || p < 1) {
    throw new CipherParamsError('invalid', 'kdf N, r and p must be positive integers');
  }
  if (!Number.isInteger(Math.log2(N))) throw new CipherParamsError('invalid', 'kdf N must be a power of two');
  if (N < SCRYPT_LIMITS.minN) throw new CipherParamsError('unsupported', `scrypt N=${N} is too weak`);
  if (128 * N * r > SCRYPT_LIMITS.maxMemory || N * r * p > SCRYPT_LIMITS.maxWork || p > SCRYPT_LIMITS.maxP) {
    throw new CipherParamsError('unsupported', `scrypt N=${N} r=${r} p=${p} is too costly`);
  }
  const salt = decodeBase64(kdf.salt, 'kdf.salt');
  if (salt.length < SALT_LIMITS.min || salt.length > SALT_LIMITS.max) {
    throw new CipherParamsError(
      'unsupported',
      `salt of ${salt.length} bytes (${SALT_LIMITS.min} to ${SALT_LIMITS.max} accepted)`,
    );
  }
  if (!isInt(chunkSize)) throw new CipherParamsError('invalid', 'chunkSize must be an integer');
  if (chunkSize < CHUNK_SIZE_LIMITS.min || chunkSize > CHUNK_SIZE_LIMITS.max) {
    throw new CipherParamsError('unsupported', `chunk size ${chunkSize}`);
  }
  if (decodeBase64(check, 'check').length !== CHECK_BYTES) {
    throw new CipherParamsError('invalid', `check must be ${CHECK_BYTES} bytes`);
  }
  return { cipher: CIPHER, kdf: { name: KDF, N, r, p, salt: kdf.salt as string }, chunkSize, check: check as string };
}
