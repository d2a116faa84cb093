import crypto, { createHash } from 'crypto';
import { Writable } from 'stream';
import { ChunkAuthError, openAll } from '../crypto';
import { ArchiveError, isArchiveError } from './errors';
import { HashLimitError, HashStream } from './hash-stream';
import type { ManifestEntry } from './manifest-types';
import { EntryWindow } from './entry-window';
import { authFailed, entryPlaintext, Sealed, storedName } from './sealed';
import type { OpenArchive } from './zip-directory';
import type { CentralEntry } from './zip-basics';

export function abortedError(): ArchiveError {
  return new ArchiveError('ABORTED', 'Cancelled', {});
}

function mismatch(
  entry: ManifestEntry,
  reason: 'size' | 'sha256' | 'read',
  actual: string | number,
  detail?: string,
): ArchiveError {
  const what =
    reason === 'size'
      ? `size ${actual}, expected ${entry.size}`
      : reason === 'sha256'
        ? 'SHA-256 differs'
        : `unreadable (${detail})`;
  return new ArchiveError('CHECKSUM_MISMATCH', `Entry "${entry.path}" is damaged: ${what}`, {
    path: entry.path,
    reason,
    expected: reason === 'size' ? entry.size : reason === 'sha256' ? entry.sha256 : '',
    actual,
  });
}

/** A failure of an entry's source stream (read error, or an encrypted chunk failing its tag) as CHECKSUM_MISMATCH. */
export function readFailed(entry: ManifestEntry, err: unknown): ArchiveError {
  if (err instanceof ChunkAuthError) return authFailed(entry.path, err);
  return mismatch(entry, 'read', '', (err as Error)?.message ?? String(err));
}

/**
 * Streams one entry's plaintext through a size-limited hash into `sink`, then compares with the manifest.
 * Read and authentication errors and overlong data become CHECKSUM_MISMATCH; sink (write) errors are thrown as is.
 */
export async function copyVerified(
  z: OpenArchive,
  sealed: Sealed | null,
  entry: ManifestEntry,
  sink: Writable,
  doneEvent: 'finish' | 'close',
  signal: AbortSignal | undefined,
  onBytes: (n: number) => void,
  /** The entry's central record, when the caller has it (z.entries may have let go of its names). */
  central?: CentralEntry,
): Promise<void> {
  const src = entryPlaintext(z, entry, sealed, central);
  const hasher = new HashStream({ limit: entry.size, onProgress: onBytes });
  let srcErr: Error | null = null;
  let hashErr: Error | null = null;
  let sinkErr: Error | null = null;
  // Plain pipes rather than stream.pipeline: pipeline allocates an AbortController (and a DOMException) per
  // call, which dominates when an archive holds many thousands of small files.
  await new Promise<void>((resolve, reject) => {
    let settled = false;
    const settle = (err?: Error) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      if (!err) return resolve();
      src.destroy();
      hasher.destroy();
      sink.destroy();
      reject(err);
    };
    const onAbort = () => settle(abortedError());
    src.on('error', (e) => settle((srcErr = srcErr ?? e)));
    hasher.on('error', (e) => settle((hashErr = hashErr ?? e)));
    sink.on('error', (e) => settle((sinkErr = sinkErr ?? e)));
    sink.once(doneEvent, () => settle());
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    src.pipe(hasher).pipe(sink);
  }).catch((err) => {
    if (isArchiveError(err, 'ABORTED')) throw err;
    if (hashErr instanceof HashLimitError) throw mismatch(entry, 'size', hashErr.seen);
    if (srcErr) throw readFailed(entry, srcErr);
    throw sinkErr ?? err;
  });
  if (hasher.bytes !== entry.size) throw mismatch(entry, 'size', hasher.bytes);
  if (hasher.sha256 !== entry.sha256) throw mismatch(entry, 'sha256', hasher.sha256);
}

/** Checks size and SHA-256 of what passes through against a manifest entry; fails with CHECKSUM_MISMATCH. */
export class VerifyStream extends HashStream {
  constructor(private readonly entry: ManifestEntry) {
    super({ limit: entry.size });
  }

  _transform(chunk: Buffer, enc: BufferEncoding, cb: (err?: Error | null, data?: Buffer) => void): void {
    super._transform(chunk, enc, (err, data) =>
      cb(err instanceof HashLimitError ? mismatch(this.entry, 'size', err.seen) : err, data),
    );
  }

  _flush(cb: (err?: Error | null) => void): void {
    super._flush((err) => {
      if (err) return cb(err);
      if (this.bytes !== this.entry.size) return cb(mismatch(this.entry, 'size', this.bytes));
      if (this.sha256 !== this.entry.sha256) return cb(mismatch(this.entry, 'sha256', this.sha256));
      cb();
    });
  }
}

/**
 * The central record of a small entry, whose stored bytes fit an EntryWindow (read, decrypted and checked whole,
 * without a stream: verifiedWhole); null for a larger one. One lookup per entry, handed on.
 */
export function inWindow(z: OpenArchive, entry: ManifestEntry, sealed: Sealed | null, central?: CentralEntry): CentralEntry | null {
  const c = central ?? z.entries.get(storedName(entry, sealed))!;
  return c.size <= EntryWindow.MAX_ENTRY ? c : null;
}

/**
 * The plaintext of a small entry, checked against the manifest (size and SHA-256) before anyone sees it: the same
 * judgement copyVerified makes, with the same errors. The answer may be a view of the window: use it before the next
 * read.
 */
export function verifiedWhole(window: EntryWindow, central: CentralEntry, sealed: Sealed | null, entry: ManifestEntry): Buffer {
  let plain: Buffer;
  try {
    const raw = window.read(central);
    const id = entry.stored as string;
    plain = sealed ? openAll(sealed.keyring.entryKey(id), id, sealed.info.chunkSize, raw) : raw;
  } catch (err) {
    throw readFailed(entry, err);
  }
  if (plain.length !== entry.size) throw mismatch(entry, 'size', plain.length);
  const sha = sha256Hex(plain);
  if (sha !== entry.sha256) throw mismatch(entry, 'sha256', sha);
  return plain;
}

// One call, no Hash object (Node >= 20.12): a Hash object per small file held its native context until a garbage
// collection, which a restore's small heap rarely runs: about 80 MB of them at 200,000 files.
const oneShot = (crypto as { hash?: (alg: string, data: Buffer, encoding: 'hex') => string }).hash;
const sha256Hex = (data: Buffer): string => (oneShot ? oneShot('sha256', data, 'hex') : createHash('sha256').update(data).digest('hex'));
