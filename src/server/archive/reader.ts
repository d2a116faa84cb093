import { Readable, Writable } from 'stream';
import { abortedError, copyVerified, inWindow, readFailed, verifiedWhole, VerifyStream } from './entry-verify';
import { filterEntries, sumEntrySizes } from './entry-scan';
import { EntryWindow } from './entry-window';
import { ArchiveError } from './errors';
import { ensureFreeSpace } from './free-space';
import { headerOf } from './header';
import { validateManifestAsync } from './manifest';
import { openManifest, readPlainManifest } from './manifest-check';
import type { ArchiveHeaderInfo, Manifest, ManifestEntry } from './manifest-types';
import { CentralTable } from './central-table';
import { entryAtOf } from './packed-entries';
import type { CentralEntry } from './zip-basics';
import { entryPlaintext, readEncryptionInfo, storedName, type Sealed } from './sealed';
import { resolveInside } from './safe-path';
import { StagingFolder } from './staging-folder';
import { openArchive, withArchive, type OpenArchive } from './zip-directory';
import { TimeSlice } from '../time-slice';

export interface PasswordOptions {
  /**
   * The archive's password. Needed for an encrypted archive (PASSWORD_REQUIRED without it, PASSWORD_WRONG when it
   * does not fit); ignored for a plain one. An empty string counts as no password.
   */
  password?: string;
}

export interface ExtractOptions extends PasswordOptions {
  /** Only these entries are extracted (all by default); the archive is still checked whole against the manifest. */
  select?: (entry: ManifestEntry) => boolean;
  /** The mode each extracted file is created with (default 0600): set at creation, not by a second pass. */
  modeOf?: (entry: ManifestEntry) => number;
  /** Content bytes extracted so far, and the total the manifest announces. */
  onProgress?: (bytesDone: number, bytesTotal: number) => void;
  signal?: AbortSignal;
}

export type VerifyOptions = ExtractOptions;

export interface EntryStreamOptions extends PasswordOptions {
  /** The manifest readManifest returned, to skip reading (and decrypting) it again. */
  manifest?: Manifest;
}

export interface ExtractResult {
  /**
   * Absolute path of an extracted file, by entry path. A function, not a map: one kept per file was the largest
   * growth of a restore's memory (about 150 MB at 500,000 files).
   */
  pathOf(entryPath: string): string;
  bytes: number;
}

/**
 * What can be judged without the password, in milliseconds: format, version, dates, app, dialect, parts, and whether
 * the archive is encrypted. Reads the central directory and encryption.json, or manifest.json for a plain archive.
 * For an encrypted archive these values are not yet authenticated: readManifest (with the password) refuses an
 * archive whose header was altered. Throws NOT_AN_ARCHIVE, MANIFEST_MISSING, MANIFEST_INVALID, FORMAT_UNKNOWN,
 * ENCRYPTION_UNSUPPORTED and the central directory checks (ENTRY_UNSAFE, ENTRY_DUPLICATE, ENTRY_UNSUPPORTED, ...).
 */
export function readHeader(archivePath: string): Promise<ArchiveHeaderInfo> {
  return withArchive(archivePath, async (z) => {
    const info = await readEncryptionInfo(z);
    if (info) return { encrypted: true, ...headerOf(info.header) };
    return { encrypted: false, ...headerOf(await readPlainManifest(z)) };
  });
}

/**
 * readHeader and readManifest in one pass over the archive (the central directory of a 50,000-file archive takes about
 * a second to read): `checkHeader` judges the header before the password is tried (as readHeader then readManifest
 * would), and for a plain archive before the manifest is checked against the central directory.
 */
export function readHeaderAndManifest<T = undefined>(
  archivePath: string,
  opts: PasswordOptions & {
    checkHeader?: (header: ArchiveHeaderInfo) => void;
    /** One more question of the same open archive, asked once the manifest is read (e.g. its provenance). */
    also?: (z: OpenArchive) => Promise<T>;
    /** The entries held packed (archive/packed-entries.ts): for a manifest a restore holds through its run. */
    packEntries?: boolean;
  } = {},
): Promise<{ header: ArchiveHeaderInfo; manifest: Manifest; also: T }> {
  return withArchive(archivePath, async (z) => {
    const info = await readEncryptionInfo(z);
    const parse = { packEntries: opts.packEntries };
    const plain = info ? null : await readPlainManifest(z, parse);
    const header: ArchiveHeaderInfo = info
      ? { encrypted: true, ...headerOf(info.header) }
      : { encrypted: false, ...headerOf(plain!) };
    opts.checkHeader?.(header);
    const { manifest } = await openManifest(z, opts.password, plain ?? undefined, parse);
    return { header, manifest, also: (opts.also ? await opts.also(z) : undefined) as T };
  });
}

/**
 * Reads and checks the manifest using only the central directory and the metadata entries: no entry data is read.
 * Throws NOT_AN_ARCHIVE, MANIFEST_MISSING, MANIFEST_INVALID, FORMAT_UNKNOWN, ENCRYPTION_UNSUPPORTED,
 * PASSWORD_REQUIRED, PASSWORD_WRONG, CHECKSUM_MISMATCH (encrypted manifest damaged: path 'manifest.json'),
 * ENTRY_UNSAFE, ENTRY_DUPLICATE, ENTRY_UNSUPPORTED, ENTRY_MISSING, ENTRY_SIZE_MISMATCH, ENTRY_UNLISTED.
 */
export function readManifest(archivePath: string, opts: PasswordOptions = {}): Promise<Manifest> {
  return withArchive(archivePath, async (z) => (await openManifest(z, opts.password)).manifest);
}

/**
 * Extracts every manifest entry into stagingDir (files 0600, folders 0700), checking size and SHA-256 of each.
 * The archive is re-checked against `manifest` first (names, sizes, unlisted entries) before anything is written.
 * Refuses NOT_ENOUGH_SPACE when the filesystem of stagingDir cannot hold the manifest's total (plus a margin).
 * Never writes outside stagingDir: entry paths are canonical and resolved inside it, existing symlinks or files
 * on the way are refused (ENTRY_UNSAFE), files are created exclusively. On any failure everything written is removed.
 */
export async function extractVerified(
  archivePath: string,
  manifest: Manifest,
  stagingDir: string,
  opts: ExtractOptions = {},
): Promise<ExtractResult> {
  const { signal, onProgress } = opts;
  const modeOf = opts.modeOf ?? (() => 0o600);
  if (signal?.aborted) throw abortedError();
  await validateManifestAsync(manifest);
  return withArchive(archivePath, async (z) => {
    // Password, header and sizes are all checked here, before the staging folder is even created.
    const { sealed } = await openManifest(z, opts.password, manifest);
    const chosen = opts.select ? await filterEntries(manifest.entries, opts.select) : manifest.entries;
    const total = await sumEntrySizes(chosen);
    // A restore that runs out of disk halfway leaves a full disk and nothing restored: refuse up front.
    await ensureFreeSpace(stagingDir, total);

    const recordOf = await recordsByEntry(z, chosen, sealed);
    const staging = await StagingFolder.open(stagingDir);
    let done = 0;
    const window = new EntryWindow(z);
    const slice = new TimeSlice();
    try {
      let i = 0;
      for (const entry of chosen) {
        if (signal?.aborted) throw abortedError();
        const central = recordOf(i++, entry);
        // No promise per file where none is needed: what a restore allocates per file is what its heap grows by.
        const target = staging.readyTarget(entry.path) ?? (await staging.prepare(entry.path));
        const small = inWindow(z, entry, sealed, central);
        if (small) {
          // Small: checked whole before its file exists, which a worker thread creates (file-maker.ts).
          const plain = verifiedWhole(window, small, sealed, entry);
          const wait = staging.writeFileSoon(target, entry.path, plain, modeOf(entry));
          if (wait) await wait;
          done += entry.size;
          onProgress?.(done, total);
          if (slice.due()) await slice.pause();
          continue;
        }
        const out = await staging.openFile(target, entry.path, modeOf(entry));
        const start = done;
        await copyVerified(z, sealed, entry, out, 'close', signal, (n) => onProgress?.(start + n, total), central);
        done += entry.size;
        if (entry.size === 0) onProgress?.(done, total);
      }
      await staging.settle();
      await staging.close();
    } catch (err) {
      await staging.removeAll();
      throw err;
    }
    // The root only: the staging folder's lists of every file and folder it made must not live as long as pathOf.
    const root = staging.root;
    return { pathOf: (entryPath: string) => resolveInside(root, entryPath), bytes: done };
  });
}

/**
 * Each chosen entry's central record, by its place in `chosen`, after which the central directory's table lets go of
 * its names (they are the manifest's, checked by openManifest) and their index: an extraction held both the packed
 * manifest and the table, the same 500,000 names twice. A table that cannot let go (a plain Map) is asked by name.
 */
async function recordsByEntry(
  z: OpenArchive,
  chosen: readonly ManifestEntry[],
  sealed: Sealed | null,
): Promise<(i: number, entry: ManifestEntry) => CentralEntry> {
  const table = z.entries;
  if (!(table instanceof CentralTable)) return (_i, entry) => table.get(storedName(entry, sealed))!;
  const at = new Int32Array(chosen.length);
  const entryAt = entryAtOf(chosen);
  const slice = new TimeSlice();
  for (let i = 0; i < chosen.length; i++) {
    at[i] = table.indexOf(storedName(entryAt(i), sealed));
    if (at[i] < 0) throw new Error(`central record of "${entryAt(i).path}" not found`); // openManifest checked it
    if ((i & 1023) === 1023 && slice.due()) await slice.pause();
  }
  table.releaseNames();
  return (i, entry) => table.recordAt(at[i], storedName(entry, sealed));
}

/** Reads the manifest, then streams every entry (decrypted if need be) and checks size and SHA-256, writing nothing. */
export function verifyArchive(archivePath: string, opts: VerifyOptions = {}): Promise<Manifest> {
  const { signal, onProgress } = opts;
  return withArchive(archivePath, async (z) => {
    const { manifest, sealed } = await openManifest(z, opts.password);
    const total = await sumEntrySizes(manifest.entries);
    let done = 0;
    const window = new EntryWindow(z);
    const slice = new TimeSlice();
    for (const entry of manifest.entries) {
      if (signal?.aborted) throw abortedError();
      const small = inWindow(z, entry, sealed);
      if (small) {
        verifiedWhole(window, small, sealed, entry);
        done += entry.size;
        onProgress?.(done, total);
        if (slice.due()) await slice.pause();
        continue;
      }
      const start = done;
      const sink = new Writable({ write: (_c, _e, cb) => cb() });
      await copyVerified(z, sealed, entry, sink, 'finish', signal, (n) => onProgress?.(start + n, total));
      done += entry.size;
    }
    return manifest;
  });
}

/**
 * One entry as a stream, for callers that pipe it elsewhere (e.g. the dump into pg_restore). The archive is
 * checked as by readManifest (or against `opts.manifest`) first; the stream decrypts (releasing only authenticated
 * chunks), verifies size and SHA-256 as it goes and fails with CHECKSUM_MISMATCH at the end (or at the first bad chunk,
 * or as soon as there is too much data) if they differ. Throws ENTRY_MISSING when the manifest does not list entryPath.
 */
export async function openEntryStream(
  archivePath: string,
  entryPath: string,
  opts: EntryStreamOptions = {},
): Promise<Readable> {
  if (opts.manifest) await validateManifestAsync(opts.manifest);
  const z = await openArchive(archivePath);
  try {
    const { manifest, sealed } = await openManifest(z, opts.password, opts.manifest);
    const entry = manifest.entries.find((e) => e.path === entryPath);
    if (!entry) {
      throw new ArchiveError('ENTRY_MISSING', `Entry "${entryPath}" is not in the archive`, { path: entryPath });
    }
    const src = entryPlaintext(z, entry, sealed);
    const verify = new VerifyStream(entry);
    src.on('error', (e) => verify.destroy(readFailed(entry, e)));
    verify.once('close', () => {
      src.destroy();
      void z.close();
    });
    src.pipe(verify);
    return verify;
  } catch (err) {
    await z.close();
    throw err;
  }
}
