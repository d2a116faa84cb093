import { metadataEntryChunks, readMetadataEntry } from './entry-data';
import { ArchiveError } from './errors';
import { headerOf, sameHeader } from './header';
import { ENCRYPTION_NAME, MANIFEST_ENC_NAME, MANIFEST_NAME, SIGNATURE_NAME } from './layout';
import { MAX_MANIFEST_BYTES, metadataInvalid, parseManifestChunksAsync } from './manifest';
import type { Manifest } from './manifest-types';
import { headerMismatch, readSealedManifest, Sealed, storedName, storedSize, unlockArchive } from './sealed';
import type { OpenArchive } from './zip-directory';
import { TimeSlice } from '../time-slice';
import { someEntry } from './entry-scan';
import type { ParseOptions } from './manifest-parse';
import type { PackHint } from './packed-entries';
import type { CentralTable } from './central-table';

// The manifest of an opened archive: read (decrypted when sealed) and checked against the central directory.

export async function readPlainManifest(z: OpenArchive, opts: ParseOptions = {}): Promise<Manifest> {
  const entry = z.entries.get(MANIFEST_NAME);
  if (!entry) throw new ArchiveError('MANIFEST_MISSING', `The archive has no ${MANIFEST_NAME}`, {});
  return parseManifestChunksAsync(metadataEntryChunks(z, entry, MAX_MANIFEST_BYTES, true, { reuse: true }), () =>
    readMetadataEntry(z, entry, MAX_MANIFEST_BYTES, true),
    { ...opts, packHint: packHintOf(z) },
  );
}

/** Every ZIP entry but the metadata is an entry of the manifest, named as in it when the archive is plain. */
export function packHintOf(z: OpenArchive): PackHint {
  const names = (z.entries as Partial<CentralTable>).nameBytes;
  return { entries: z.entries.size, nameBytes: typeof names === 'number' ? names : undefined };
}

/**
 * Cross-checks a (validated) manifest with the central directory: every entry present with the size it must have
 * (ENTRY_MISSING / ENTRY_SIZE_MISMATCH; the encrypted size in an encrypted archive), no entry the manifest does not
 * list (ENTRY_UNLISTED). Errors name the real path; only an unlisted entry can be named by its ZIP name alone.
 */
async function checkAgainst(z: OpenArchive, manifest: Manifest, sealed: Sealed | null): Promise<void> {
  // Encrypted: every entry names its opaque ZIP entry; plain: none does (validateManifest allows all or none).
  if (await someEntry(manifest.entries, (e) => (e.stored !== undefined) !== !!sealed)) {
    throw metadataInvalid(MANIFEST_NAME, sealed ? 'an entry has no stored name' : 'stored names in a plain archive');
  }
  // manifest.sig (the provenance signature) is metadata too, judged by provenance.ts.
  const metadata = [...(sealed ? [MANIFEST_ENC_NAME, ENCRYPTION_NAME] : [MANIFEST_NAME]), SIGNATURE_NAME];
  // In slices, as the manifest is validated: the server keeps answering during a check of 50,000 entries.
  const slice = new TimeSlice();
  for (const e of manifest.entries) {
    if (slice.due()) await slice.pause();
    const c = z.entries.get(storedName(e, sealed));
    if (!c) {
      throw new ArchiveError(
        'ENTRY_MISSING',
        `Entry "${e.path}" is listed in the manifest but missing from the archive`,
        {
          path: e.path,
        },
      );
    }
    const expected = storedSize(e, sealed);
    if (c.size !== expected) {
      throw new ArchiveError(
        'ENTRY_SIZE_MISMATCH',
        `Entry "${e.path}": manifest says ${expected} bytes, archive holds ${c.size}`,
        {
          path: e.path,
          declared: expected,
          actual: c.size,
        },
      );
    }
  }
  // The manifest's names are unique and none is metadata (validateManifest): each found a ZIP entry of its own, so
  // the counts tell whether any is left over, without a set of every name. Only then is the one left over looked for.
  const present = metadata.filter((name) => z.entries.has(name)).length;
  if (z.entries.size === manifest.entries.length + present) return;
  const listed = new Set<string>(metadata);
  for (const e of manifest.entries) listed.add(storedName(e, sealed));
  for (const name of z.entries.keys()) {
    if (!listed.has(name)) {
      throw new ArchiveError('ENTRY_UNLISTED', `Entry "${name}" is not listed in the manifest`, { path: name });
    }
  }
}

/**
 * Unlocks the archive (when encrypted), then takes `given` (validated by the caller; for an encrypted archive it
 * must match the header) or reads the manifest, and checks it against the central directory. Reads metadata only.
 */
export async function openManifest(
  z: OpenArchive,
  password: string | undefined,
  given?: Manifest,
  opts: ParseOptions = {},
): Promise<{ manifest: Manifest; sealed: Sealed | null }> {
  const sealed = await unlockArchive(z, password);
  let manifest: Manifest;
  if (given) {
    if (sealed && !sameHeader(headerOf(given), sealed.info.header)) throw headerMismatch();
    manifest = given;
  } else {
    manifest = sealed ? await readSealedManifest(z, sealed, opts) : await readPlainManifest(z, opts);
  }
  await checkAgainst(z, manifest, sealed);
  return { manifest, sealed };
}
