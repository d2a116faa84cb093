import crypto from 'crypto';
import { ArchiveError } from './errors';
import { ENCRYPTION_NAME, MANIFEST_ENC_NAME, MANIFEST_NAME, SIGNATURE_NAME } from './layout';
import { MAX_MANIFEST_BYTES } from './manifest';
import { metadataEntryChunks, readMetadataEntry } from './entry-data';
import { OpenArchive, withArchive } from './zip-directory';
import { TimeSlice } from '../time-slice';

/**
 * Provenance: restore and verify run the SQL inside an archive, so an archive from elsewhere is code. Every archive
 * this plugin writes carries manifest.sig, an HMAC-SHA256 under a key derived from the app's APP_KEY, over the
 * metadata that pins every entry (manifest.json; encrypted: encryption.json and manifest.json.enc, as stored, so it is
 * checked without the password). A valid signature proves that an application holding the same APP_KEY made the
 * archive and that its manifest (and so, through the SHA-256 of each entry, its content) is unchanged since.
 */
export { SIGNATURE_NAME };
const PURPOSE = 'nocobase-backups-manager: archive signature v1';
const SIGNATURE_MAX_BYTES = 4096;

export type Provenance = 'this-app' | 'elsewhere';
/** Why: signed with this app's key; no signature (another tool, or a version before signatures); another key. */
export type ProvenanceReason = 'signed' | 'unsigned' | 'other-key' | 'no-app-key';

export interface SignedPart {
  name: string;
  bytes: Buffer;
}

/** The signing key: HKDF-SHA256 of APP_KEY with a purpose label of its own. Null without an APP_KEY. */
export function signingKey(appKey: string | undefined | null): Buffer | null {
  if (!appKey) return null;
  return Buffer.from(crypto.hkdfSync('sha256', Buffer.from(appKey, 'utf8'), 'backups-manager', PURPOSE, 32));
}

/** The entries a signature covers: fixed by the kind of archive, never read from the signature itself. */
export const signedNames = (encrypted: boolean): string[] =>
  encrypted ? [ENCRYPTION_NAME, MANIFEST_ENC_NAME] : [MANIFEST_NAME];

/**
 * The signature's MAC fed part by part, each part's bytes as they are written: the manifest of a large archive is
 * streamed into it and never whole in memory. Name and length before each part: no two different lists of parts feed
 * the same bytes.
 */
export class SignatureMac {
  private readonly h: crypto.Hmac;
  private readonly names: string[] = [];

  constructor(key: Buffer) {
    this.h = crypto.createHmac('sha256', key);
  }

  /** Starts a part of `length` bytes; its bytes follow through update(). */
  part(name: string, length: number): void {
    this.names.push(name);
    this.h.update(`${name}\0${length}\0`);
  }

  update(bytes: Buffer): void {
    this.h.update(bytes);
  }

  /** The MAC (once). */
  digest(): Buffer {
    return this.h.digest();
  }

  /** The content of manifest.sig (once, instead of digest()). */
  signature(): Buffer {
    const sig = { alg: 'HMAC-SHA256', key: 'HKDF-SHA256(APP_KEY)', signed: this.names, mac: this.digest().toString('hex') };
    return Buffer.from(JSON.stringify(sig), 'utf8');
  }
}

function feed(mac: SignatureMac, parts: SignedPart[]): SignatureMac {
  for (const p of parts) {
    mac.part(p.name, p.bytes.length);
    mac.update(p.bytes);
  }
  return mac;
}

/** The content of manifest.sig for parts at hand. */
export function signatureBytes(key: Buffer, parts: SignedPart[]): Buffer {
  return feed(new SignatureMac(key), parts).signature();
}

/**
 * Does `sig` (manifest.sig's bytes) sign exactly `parts` under `key`? Never throws. The MAC is computed a megabyte at a
 * time in time slices: the manifest of 500,000 files is about 70 MB, whose HMAC in one call held the server for a few
 * hundred milliseconds.
 */
export async function signatureValid(key: Buffer, parts: SignedPart[], sig: Buffer): Promise<boolean> {
  const pieces = function* (bytes: Buffer) {
    for (let at = 0; at < bytes.length; at += MAC_PIECE) yield bytes.subarray(at, at + MAC_PIECE);
  };
  return macMatches(key, sig, parts.map((p) => ({ name: p.name, size: p.bytes.length, chunks: pieces(p.bytes) })));
}

/** A signed part read as it is hashed: `size` bytes (checked by the source), from `chunks`. */
interface StreamedPart {
  name: string;
  size: number;
  chunks: Iterable<Buffer> | AsyncIterable<Buffer>;
}

/** Reads every part even when `sig` is garbage: a damaged part is an error whatever the signature says. */
async function macMatches(key: Buffer, sig: Buffer, parts: StreamedPart[]): Promise<boolean> {
  const mac = new SignatureMac(key);
  const slice = new TimeSlice();
  for (const p of parts) {
    mac.part(p.name, p.size);
    for await (const chunk of p.chunks) {
      mac.update(chunk);
      if (slice.due()) await slice.pause();
    }
  }
  const claimed = claimedMac(sig);
  return !!claimed && crypto.timingSafeEqual(claimed, mac.digest());
}

const MAC_PIECE = 1024 * 1024;

/** The MAC manifest.sig claims, or null when it is not a signature of this kind. */
function claimedMac(sig: Buffer): Buffer | null {
  let parsed: { alg?: unknown; mac?: unknown };
  try {
    parsed = JSON.parse(sig.toString('utf8'));
  } catch {
    return null;
  }
  if (parsed?.alg !== 'HMAC-SHA256' || typeof parsed.mac !== 'string' || !/^[0-9a-f]{64}$/.test(parsed.mac)) return null;
  return Buffer.from(parsed.mac, 'hex');
}

async function provenanceOf(z: OpenArchive, key: Buffer | null): Promise<{ provenance: Provenance; reason: ProvenanceReason }> {
  const sigEntry = z.entries.get(SIGNATURE_NAME);
  if (!sigEntry) return { provenance: 'elsewhere', reason: 'unsigned' };
  if (!key) return { provenance: 'elsewhere', reason: 'no-app-key' };
  const sig = await readMetadataEntry(z, sigEntry, SIGNATURE_MAX_BYTES, true);
  const names = signedNames(z.entries.has(ENCRYPTION_NAME));
  const parts: StreamedPart[] = [];
  for (const name of names) {
    const entry = z.entries.get(name);
    if (!entry) return { provenance: 'elsewhere', reason: 'other-key' };
    // Hashed as it is read, never held whole (the manifest of 500,000 files is about 80 MB), with the checks of a
    // whole read; the encrypted manifest is a little larger than its plaintext limit.
    parts.push({ name, size: entry.size, chunks: metadataEntryChunks(z, entry, MAX_MANIFEST_BYTES * 2, true, { reuse: true }) });
  }
  return (await macMatches(key, sig, parts))
    ? { provenance: 'this-app', reason: 'signed' }
    : { provenance: 'elsewhere', reason: 'other-key' };
}

/**
 * Whether this application (its APP_KEY) made the archive. Reads metadata only, no password needed. Archive errors
 * (not an archive, damaged metadata...) are thrown as by readHeader.
 */
export function readProvenance(
  archivePath: string,
  appKey: string | undefined | null,
): Promise<{ provenance: Provenance; reason: ProvenanceReason }> {
  return withArchive(archivePath, (z) => provenanceOf(z, signingKey(appKey)));
}

/** readProvenance on an archive already open (one read of its central directory for several questions). */
export function provenanceIn(z: OpenArchive, appKey: string | undefined | null): Promise<{ provenance: Provenance; reason: ProvenanceReason }> {
  return provenanceOf(z, signingKey(appKey));
}

/**
 * Refuses FOREIGN_ARCHIVE_NEEDS_ACK (422) for an archive made elsewhere unless the admin acknowledged it
 * (`trustForeign`): restore and verify execute the SQL it carries.
 */
export async function requireProvenance(
  archivePath: string,
  appKey: string | undefined | null,
  trustForeign: unknown,
): Promise<Provenance> {
  return assertTrusted(await readProvenance(archivePath, appKey), trustForeign);
}

/** requireProvenance's decision, for a provenance already read (provenanceIn). */
export function assertTrusted({ provenance, reason }: { provenance: Provenance; reason: ProvenanceReason }, trustForeign: unknown): Provenance {
  if (provenance === 'elsewhere' && trustForeign !== true) {
    throw new ArchiveError(
      'FOREIGN_ARCHIVE_NEEDS_ACK',
      'This archive was not made by this application; restoring or verifying it runs its SQL: acknowledge it explicitly',
      { reason },
    );
  }
  return provenance;
}
