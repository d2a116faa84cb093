import { CipherParams, CipherParamsError, parseCipherParams } from '../crypto';
import { ArchiveError } from './errors';
import { validateHeader } from './header';
import { ENCRYPTION_NAME } from './layout';
import { metadataInvalid } from './manifest';
import type { ArchiveHeader } from './manifest-types';

/** encryption.json: how to derive and check the key, plus the plain header. */
export interface EncryptionInfo extends CipherParams {
  header: ArchiveHeader;
}

export function encryptionInfoBytes(params: CipherParams, header: ArchiveHeader): Buffer {
  const info: EncryptionInfo = { ...params, header };
  return Buffer.from(JSON.stringify(info), 'utf8');
}

/**
 * Parses encryption.json: the header first (a newer format may change the cipher too, so FORMAT_UNKNOWN wins), then
 * the cipher parameters. Throws FORMAT_UNKNOWN, MANIFEST_INVALID (not our shape), ENCRYPTION_UNSUPPORTED (a cipher,
 * key derivation or cost this version does not accept).
 */
export function parseEncryptionInfo(buf: Buffer): EncryptionInfo {
  let value: unknown;
  try {
    value = JSON.parse(buf.toString('utf8'));
  } catch (err) {
    throw metadataInvalid(ENCRYPTION_NAME, `not valid JSON (${(err as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw metadataInvalid(ENCRYPTION_NAME, 'not a JSON object');
  }
  const obj = value as Record<string, unknown>;
  const header = validateHeader(obj.header, ENCRYPTION_NAME);
  try {
    return { ...parseCipherParams(obj), header };
  } catch (err) {
    if (!(err instanceof CipherParamsError)) throw err;
    if (err.problem === 'invalid') throw metadataInvalid(ENCRYPTION_NAME, err.reason);
    throw new ArchiveError('ENCRYPTION_UNSUPPORTED', `The archive's encryption is not supported: ${err.reason}`, {
      reason: err.reason,
    });
  }
}
