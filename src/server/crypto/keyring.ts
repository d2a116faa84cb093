import {
  createCipheriv,
  createDecipheriv,
  createSecretKey,
  hkdfSync,
  KeyObject,
  randomBytes,
  scrypt,
  timingSafeEqual,
} from 'crypto';
import {
  CHECK_PLAINTEXT,
  CIPHER,
  DEFAULT_CHUNK_SIZE,
  DEFAULT_SCRYPT,
  KDF,
  KEY_BYTES,
  NONCE_BYTES,
  SALT_BYTES,
  TAG_BYTES,
} from './constants';
import { CipherParams, decodeBase64, ScryptParams } from './params';

const INFO_PREFIX = `nbbm/${CIPHER}/1/`;
const CHECK_AAD = Buffer.from('nbbm-check/1', 'ascii');

/**
 * NFC, so that a password typed on macOS (often decomposed) and on Windows or Linux (composed) derives the same key.
 */
export function passwordBytes(password: string): Buffer {
  return Buffer.from(password.normalize('NFC'), 'utf8');
}

function deriveMaster(password: string, kdf: ScryptParams): Promise<Buffer> {
  const { N, r, p } = kdf;
  // OpenSSL needs 128·r·(N + p + 2) bytes; Node refuses anything above maxmem (32 MiB by default).
  const maxmem = 128 * r * (N + p + 2) + 1024 * 1024;
  const pw = passwordBytes(password);
  return new Promise<Buffer>((resolve, reject) => {
    scrypt(pw, decodeBase64(kdf.salt, 'kdf.salt'), KEY_BYTES, { N, r, p, maxmem }, (err, key) => {
      pw.fill(0);
      if (err) reject(err);
      else resolve(key);
    });
  });
}

/**
 * The keys of one archive. Only the master key (from scrypt) is kept; everything used for data is derived from it
 * with HKDF under a distinct label, so no two entries, nor the check, ever share a key.
 */
export class Keyring {
  private constructor(private readonly master: KeyObject) {}

  static async derive(password: string, kdf: ScryptParams): Promise<Keyring> {
    const raw = await deriveMaster(password, kdf);
    const master = createSecretKey(raw);
    raw.fill(0); // best effort: the KeyObject holds its own copy
    return new Keyring(master);
  }

  /** The key of one entry, by its id (the opaque ZIP name, e.g. 'e/000001' or 'manifest.json.enc'). */
  entryKey(entryId: string): KeyObject {
    return this.subkey(`entry:${entryId}`);
  }

  /** A fresh check value for encryption.json. */
  makeCheck(): string {
    // The check key encrypts exactly one message per archive (the salt makes the master key unique):
    // a fixed nonce is safe.
    const cipher = createCipheriv('aes-256-gcm', this.subkey('check'), Buffer.alloc(NONCE_BYTES), {
      authTagLength: TAG_BYTES,
    });
    cipher.setAAD(CHECK_AAD);
    return Buffer.concat([cipher.update(CHECK_PLAINTEXT), cipher.final(), cipher.getAuthTag()]).toString('base64');
  }

  /** True when `check` was made with this key: the password is right. */
  verifyCheck(check: string): boolean {
    const buf = decodeBase64(check, 'check');
    if (buf.length !== CHECK_PLAINTEXT.length + TAG_BYTES) return false;
    const decipher = createDecipheriv('aes-256-gcm', this.subkey('check'), Buffer.alloc(NONCE_BYTES), {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(CHECK_AAD);
    decipher.setAuthTag(buf.subarray(buf.length - TAG_BYTES));
    try {
      const plain = Buffer.concat([decipher.update(buf.subarray(0, buf.length - TAG_BYTES)), decipher.final()]);
      return timingSafeEqual(plain, CHECK_PLAINTEXT);
    } catch {
      return false;
    }
  }

  private subkey(label: string): KeyObject {
    const bytes = Buffer.from(hkdfSync('sha256', this.master, Buffer.alloc(0), INFO_PREFIX + label, KEY_BYTES));
    const key = createSecretKey(bytes);
    bytes.fill(0);
    return key;
  }
}

/** Cost overrides, for tests and benchmarks; archives made for users always use the defaults. */
export interface CipherTuning {
  scrypt?: { N: number; r: number; p: number };
  chunkSize?: number;
}

/** Parameters for a new archive (fresh random salt) and its keyring. */
export async function createCipherParams(
  password: string,
  tuning: CipherTuning = {},
): Promise<{ params: CipherParams; keyring: Keyring }> {
  const kdf: ScryptParams = {
    name: KDF,
    ...(tuning.scrypt ?? DEFAULT_SCRYPT),
    salt: randomBytes(SALT_BYTES).toString('base64'),
  };
  const keyring = await Keyring.derive(password, kdf);
  return {
    params: { cipher: CIPHER, kdf, chunkSize: tuning.chunkSize ?? DEFAULT_CHUNK_SIZE, check: keyring.makeCheck() },
    keyring,
  };
}

/** The keyring when `password` is the archive's, null when it is not. `params` must come from parseCipherParams. */
export async function unlockCipherParams(params: CipherParams, password: string): Promise<Keyring | null> {
  const keyring = await Keyring.derive(password, params.kdf);
  return keyring.verifyCheck(params.check) ? keyring : null;
}
