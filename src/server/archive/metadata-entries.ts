import { sealAll, type CipherParams, type Keyring } from '../crypto';
import { encryptionInfoBytes } from './encryption-info';
import { headerOf } from './header';
import { ENCRYPTION_NAME, MANIFEST_ENC_NAME, MANIFEST_NAME, SIGNATURE_NAME } from './layout';
import { manifestJson } from './manifest-json';
import type { Manifest } from './manifest-types';
import { signatureBytes, type SignedPart } from './provenance';

/**
 * The entries that close an archive, in order: manifest.json; or, encrypted, manifest.json.enc then encryption.json
 * (the plain header); then manifest.sig when a signing key is given. The signature covers the bytes as stored, so it
 * can be checked without the password.
 */
export async function metadataEntries(
  manifest: Manifest,
  sealer: { params: CipherParams; keyring: Keyring } | null,
  signingKey: Buffer | null,
): Promise<SignedPart[]> {
  const manifestBytes = await manifestJson(manifest);
  let parts: SignedPart[];
  if (sealer) {
    const key = sealer.keyring.entryKey(MANIFEST_ENC_NAME);
    const sealed = Buffer.concat(sealAll(key, MANIFEST_ENC_NAME, sealer.params.chunkSize, manifestBytes));
    parts = [
      { name: MANIFEST_ENC_NAME, bytes: sealed },
      { name: ENCRYPTION_NAME, bytes: encryptionInfoBytes(sealer.params, headerOf(manifest)) },
    ];
  } else {
    parts = [{ name: MANIFEST_NAME, bytes: manifestBytes }];
  }
  if (!signingKey) return parts;
  // The signed list names encryption.json first (docs/format.md), whatever the order in the ZIP.
  const signed = sealer ? [parts[1], parts[0]] : parts;
  return [...parts, { name: SIGNATURE_NAME, bytes: signatureBytes(signingKey, signed) }];
}
