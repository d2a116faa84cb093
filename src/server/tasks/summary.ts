import fs from 'fs';
import type { ArchiveHeaderInfo, Manifest, ManifestHead } from '../archive/manifest-types';
import type { DbConfig } from '../dumpers/types';
import { sumEntrySizes } from '../archive/entry-scan';
import { readProvenance } from '../archive/provenance';
import { inspectArchive, inspectHeader } from '../engine/restore';
import type { PreflightReport } from '../preflight/types';

// What a task row and the restore confirmation say of an archive. Kept apart from the service so that the standalone
// command (which must never load NocoBase or the S3 client) can use it.

/** Skipped files named in a task summary. */
export const SUMMARY_SKIPPED_LISTED = 100;

/** What the restore confirmation shows. Encrypted archives reveal only their plain header until the password is given. */
export function summaryOf(manifest: Manifest | ManifestHead | ArchiveHeaderInfo, size: number, encrypted = false) {
  // A whole manifest (read back, or as the writer answers it), not only the plain header of an encrypted archive.
  const full = 'entries' in manifest || 'entryCount' in manifest ? (manifest as Omit<Manifest, 'entries'>) : null;
  return {
    createdAt: manifest.createdAt,
    appName: manifest.app.name,
    appVersion: manifest.app.version,
    dialect: manifest.database.dialect,
    serverVersion: full?.database.serverVersion,
    size,
    parts: manifest.parts,
    encrypted: encrypted || ('encrypted' in manifest && !!manifest.encrypted),
    excludedTableData: full?.database.excludedTableData ?? [],
    apps: full?.apps?.map((a) => a.name) ?? [],
    dataSources: full?.dataSources?.map((s) => s.key) ?? [],
    skippedDataSources: full?.skippedDataSources ?? [],
    // The task row keeps the first few (every list page carries it); the manifest has up to MAX_SKIPPED_LISTED.
    skippedFiles: full?.skippedFiles?.slice(0, SUMMARY_SKIPPED_LISTED) ?? [],
    skippedFileCount: full?.skippedFileCount ?? 0,
    // PostgreSQL family since parallel dumps: 'custom' (one stream) or 'directory', and pg_dump's jobs.
    ...(full?.database.dumpFormat ? { dumpFormat: full.database.dumpFormat, dumpJobs: full.database.dumpJobs } : {}),
  };
}

/**
 * Summary of an archive on disk without its password: the manifest when plain, the plain header when encrypted; and
 * its provenance, 'this-app' (signed with a key derived from `appKey`) or 'elsewhere' (see archive/provenance.ts).
 */
export async function archiveSummary(
  file: string,
  target: { dialect: DbConfig['dialect']; appVersion: string },
  appKey?: string,
  /** The restore pre-flight report against this target (tasks/preflight.ts); its result is `summary.preflight`. */
  preflight?: (archive: Manifest | ArchiveHeaderInfo, stagingBytes: number) => Promise<PreflightReport>,
) {
  const header = await inspectHeader(file, target);
  const size = (await fs.promises.stat(file)).size;
  const { provenance } = await readProvenance(file, appKey);
  if (header.encrypted) {
    // Only the plain header is known (its requirements included): the archive's size stands for the staging copy.
    return { ...summaryOf(header, size, true), provenance, ...(preflight ? { preflight: await preflight(header, size) } : {}) };
  }
  const manifest = await inspectArchive(file, target);
  const staging = await sumEntrySizes(manifest.entries);
  return { ...summaryOf(manifest, size), provenance, ...(preflight ? { preflight: await preflight(manifest, staging) } : {}) };
}
