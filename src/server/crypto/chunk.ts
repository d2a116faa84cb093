import { createCipheriv, createDecipheriv, KeyObject } from 'crypto';
import { NONCE_BYTES, TAG_BYTES } from './constants';

const ALGORITHM = 'aes-256-gcm';
const AAD_LABEL = Buffer.from('nbbm-chunk/1', 'ascii');

export type ChunkFailure = 'tag' | 'truncated';

/** A chunk failed authentication: wrong key, altered bytes, reordered, dropped, swapped or truncated chunks. */
export class ChunkAuthError extends Error {
  readonly code = 'CHUNK_AUTH_FAILED';
  constructor(
    readonly entryId: string,
    readonly index: number,
    readonly reason: ChunkFailure,
  ) {
    super(
      reason === 'truncated'
        ? `${entryId}: data ends inside chunk ${index}`
        : `${entryId}: chunk ${index} fails authentication`,
    );
    this.name = 'ChunkAuthError';
  }
}

/**
 * The nonce is the chunk counter. Every entry has its own key (HKDF of the archive's master key, itself from a
 * random salt), so a (key, counter) pair is never used twice and no random nonce is needed.
 */
export function chunkNonce(index: number): Buffer {
  const nonce = Buffer.alloc(NONCE_BYTES);
  nonce.writeBigUInt64BE(BigInt(index), NONCE_BYTES - 8);
  return nonce;
}

/**
 * Binds the chunk to its entry, its position and whether it is the last one. Moving a chunk to another place or
 * entry, or cutting the stream after a non-final chunk, changes the AAD and so fails the tag.
 */
export function chunkAad(entryId: string, index: number, final: boolean): Buffer {
  const id = Buffer.from(entryId, 'utf8');
  const aad = Buffer.alloc(AAD_LABEL.length + 2 + id.length + 8 + 1);
  let at = AAD_LABEL.copy(aad, 0);
  at = aad.writeUInt16BE(id.length, at);
  at += id.copy(aad, at);
  at = aad.writeBigUInt64BE(BigInt(index), at);
  aad.writeUInt8(final ? 1 : 0, at);
  return aad;
}

/** Encrypts one chunk given as pieces (no concatenation); returns ciphertext pieces followed by the 16-byte tag. */
export function sealChunk(
  key: KeyObject,
  entryId: string,
  index: number,
  final: boolean,
  plain: readonly Buffer[],
): Buffer[] {
  const cipher = createCipheriv(ALGORITHM, key, chunkNonce(index), { authTagLength: TAG_BYTES });
  cipher.setAAD(chunkAad(entryId, index, final));
  const out: Buffer[] = [];
  for (const piece of plain) {
    const ct = cipher.update(piece);
    if (ct.length > 0) out.push(ct);
  }
  const rest = cipher.final();
  if (rest.length > 0) out.push(rest);
  out.push(cipher.getAuthTag());
  return out;
}

/** Decrypts one record (ciphertext + tag); returns plaintext only once the tag has been checked. */
export function openChunk(key: KeyObject, entryId: string, index: number, final: boolean, record: Buffer): Buffer {
  if (record.length < TAG_BYTES) throw new ChunkAuthError(entryId, index, 'truncated');
  const decipher = createDecipheriv(ALGORITHM, key, chunkNonce(index), { authTagLength: TAG_BYTES });
  decipher.setAAD(chunkAad(entryId, index, final));
  decipher.setAuthTag(record.subarray(record.length - TAG_BYTES));
  const plain = decipher.update(record.subarray(0, record.length - TAG_BYTES));
  try {
    decipher.final();
  } catch {
    throw new ChunkAuthError(entryId, index, 'tag');
  }
  return plain;
}

/** Chunks for `plainSize` bytes: an empty entry still has one (empty, final) chunk, so cutting it off is detected. */
export function chunkCount(plainSize: number, chunkSize: number): number {
  return Math.max(1, Math.ceil(plainSize / chunkSize));
}

/** Size of the encrypted form of `plainSize` bytes. */
export function encryptedSize(plainSize: number, chunkSize: number): number {
  return plainSize + TAG_BYTES * chunkCount(plainSize, chunkSize);
}

/**
 * Every record of a whole (small) encrypted entry, opened at once: the plaintext, or ChunkAuthError at the first
 * record that fails, exactly as DecryptStream would judge the same bytes.
 */
export function openAll(key: KeyObject, entryId: string, chunkSize: number, records: Buffer): Buffer {
  const recordSize = chunkSize + TAG_BYTES;
  const plain: Buffer[] = [];
  let at = 0;
  let index = 0;
  while (records.length - at > recordSize) {
    plain.push(openChunk(key, entryId, index++, false, records.subarray(at, at + recordSize)));
    at += recordSize;
  }
  if (records.length - at < TAG_BYTES) throw new ChunkAuthError(entryId, index, 'truncated');
  plain.push(openChunk(key, entryId, index, true, records.subarray(at)));
  return plain.length === 1 ? plain[0] : Buffer.concat(plain);
}
