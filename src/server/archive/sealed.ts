import { pipeline, Readable } from 'stream';
import { ChunkAuthError, DecryptStream, encryptedSize, Keyring, unlockCipherParams } from '../crypto';
import { EncryptionInfo, parseEncryptionInfo } from './encryption-info';
import { ArchiveError } from './errors';
import { headerOf, sameHeader } from './header';
import { ENCRYPTION_NAME, MANIFEST_ENC_NAME, MANIFEST_NAME } from './layout';
import { MAX_MANIFEST_BYTES, metadataInvalid, parseManifestChunksAsync } from './manifest';
import type { Manifest, ManifestEntry } from './manifest-types';
import { metadataEntryChunks, rawEntryStream, readMetadataEntry } from './entry-data';
import type { CentralEntry } from './zip-basics';
import type { ParseOptions } from './manifest-parse';
import type { OpenArchive } from './zip-directory';

/** encryption.json holds a few hundred bytes; anything near this is not ours. */
const MAX_ENCRYPTION_INFO_BYTES = 64 * 1024;

/** An encrypted archive, unlocked: its parameters and keys. */
export interface Sealed {
  info: EncryptionInfo;
  keyring: Keyring;
}

/** encryption.json, parsed and validated; null for a plain archive. Needs no password. */
export async function readEncryptionInfo(z: OpenArchive): Promise<EncryptionInfo | null> {
  const entry = z.entries.get(ENCRYPTION_NAME);
  if (!entry) return null;
  return parseEncryptionInfo(await readMetadataEntry(z, entry, MAX_ENCRYPTION_INFO_BYTES, true));
}

/**
 * The keys of an encrypted archive; null for a plain one, whatever `password` says (a password for a plain archive
 * is ignored, never reported as wrong). Throws what readEncryptionInfo throws, then PASSWORD_REQUIRED (no or empty
 * password) and PASSWORD_WRONG, all before any entry is read.
 */
export async function unlockArchive(z: OpenArchive, password: string | undefined): Promise<Sealed | null> {
  const info = await readEncryptionInfo(z);
  if (!info) return null;
  if (!password) throw new ArchiveError('PASSWORD_REQUIRED', 'This archive is encrypted: a password is required', {});
  const keyring = await unlockCipherParams(info, password);
  if (!keyring) throw new ArchiveError('PASSWORD_WRONG', 'The password does not open this archive', {});
  return { info, keyring };
}

/** The ZIP entry holding `entry`'s data. */
export function storedName(entry: ManifestEntry, sealed: Sealed | null): string {
  return sealed ? (entry.stored as string) : entry.path;
}

/** The size that ZIP entry must have. */
export function storedSize(entry: ManifestEntry, sealed: Sealed | null): number {
  return sealed ? encryptedSize(entry.size, sealed.info.chunkSize) : entry.size;
}

/**
 * `entry`'s plaintext as a stream, decrypted and authenticated chunk by chunk in an encrypted archive. Errors are
 * read errors as they are, or ChunkAuthError. The entry must have passed checkAgainst.
 */
export function entryPlaintext(z: OpenArchive, entry: ManifestEntry, sealed: Sealed | null, central?: CentralEntry): Readable {
  const raw = rawEntryStream(z, central ?? z.entries.get(storedName(entry, sealed))!);
  if (!sealed) return raw;
  const id = entry.stored as string;
  const decrypt = new DecryptStream(sealed.keyring.entryKey(id), id, sealed.info.chunkSize);
  raw.on('error', (err) => decrypt.destroy(err));
  decrypt.once('close', () => raw.destroy());
  return raw.pipe(decrypt);
}

/** CHECKSUM_MISMATCH for a chunk of `path` failing authentication: `path` is always the real name, never 'e/000001'. */
export function authFailed(path: string, err: ChunkAuthError): ArchiveError {
  const what =
    err.reason === 'truncated'
      ? `encrypted data ends inside chunk ${err.index}`
      : `encrypted chunk ${err.index} fails authentication`;
  return new ArchiveError('CHECKSUM_MISMATCH', `Entry "${path}" is damaged or was altered: ${what}`, {
    path,
    reason: 'auth',
    expected: '',
    actual: `chunk ${err.index}`,
  });
}

/**
 * Decrypts and validates manifest.json.enc, then checks it against the plain header: the header is not
 * authenticated by itself, so a forged dialect or version in it is caught here. Throws MANIFEST_MISSING,
 * MANIFEST_INVALID, CHECKSUM_MISMATCH (path 'manifest.json'), and what validateManifest throws.
 */
export async function readSealedManifest(z: OpenArchive, sealed: Sealed, opts: ParseOptions = {}): Promise<Manifest> {
  const entry = z.entries.get(MANIFEST_ENC_NAME);
  if (!entry) throw new ArchiveError('MANIFEST_MISSING', `The encrypted archive has no ${MANIFEST_ENC_NAME}`, {});
  // Decrypted and parsed as it is read, never held whole (neither sealed nor open): the manifest of 500,000 files is
  // about 80 MB. The decryption lets out only authenticated chunks.
  const plaintext = () => decryptedManifest(z, entry, sealed);
  const manifest = await parseManifestChunksAsync(plaintext(), async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of plaintext()) chunks.push(chunk);
    return Buffer.concat(chunks);
  }, { ...opts, packHint: { entries: z.entries.size } });
  if (!sameHeader(headerOf(manifest), sealed.info.header)) throw headerMismatch();
  return manifest;
}

async function* decryptedManifest(z: OpenArchive, entry: CentralEntry, sealed: Sealed): AsyncGenerator<Buffer> {
  // No CRC check: the GCM tags are stronger, and a failure must name the manifest as damaged (CHECKSUM_MISMATCH).
  const source = Readable.from(metadataEntryChunks(z, entry, encryptedSize(MAX_MANIFEST_BYTES, sealed.info.chunkSize), false));
  const decrypt = new DecryptStream(sealed.keyring.entryKey(MANIFEST_ENC_NAME), MANIFEST_ENC_NAME, sealed.info.chunkSize);
  // pipeline, not pipe: an error of the read must end the decryption too (and reach the reader).
  pipeline(source, decrypt, () => undefined);
  try {
    for await (const chunk of decrypt) yield chunk as Buffer;
  } catch (err) {
    if (err instanceof ChunkAuthError) throw authFailed(MANIFEST_NAME, err);
    throw err;
  }
}

export function headerMismatch(): ArchiveError {
  return metadataInvalid(ENCRYPTION_NAME, 'its header does not match the encrypted manifest');
}
