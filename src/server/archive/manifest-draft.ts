import { FORMAT, FORMAT_VERSION_DUMP_DIR, FORMAT_VERSION_PLAIN } from '../../constants';
import { validateManifestHead } from './manifest';
import type { FolderMode, Manifest, SkippedFile } from './manifest-types';

/** What finish() needs: the manifest without entries (format/formatVersion are always set by the writer). */
export type ManifestDraft = Omit<Manifest, 'entries' | 'format' | 'formatVersion'> & {
  format?: string;
  formatVersion?: number;
};

/** What the archive writer gathered while entries were added (the entries themselves it streams: metadata-entries.ts). */
export interface WriterRecords {
  /** Paths of the entries added one by one (not from a folder): the dumps the manifest names are among them. */
  listed: ReadonlySet<string>;
  folders: readonly FolderMode[];
  skipped: readonly SkippedFile[];
  skippedCount: number;
}

/**
 * The lowest version that describes the archive, so older plugins still read every archive they can: only a
 * directory-format dump needs version 2 (a plugin before it would not find its dump and call the archive damaged;
 * with 2 it says to upgrade).
 */
export function formatVersionOf(draft: { database?: { dumpFormat?: string } }): number {
  return draft.database?.dumpFormat === 'directory' ? FORMAT_VERSION_DUMP_DIR : FORMAT_VERSION_PLAIN;
}

/**
 * The manifest an archive closes with, but its entries: the draft (its own entries, format and version ignored) with
 * this format, and what the writer recorded; validated as a manifest (validateManifestHead).
 */
export function completeManifestHead(draft: ManifestDraft, records: WriterRecords): Omit<Manifest, 'entries'> {
  const {
    entries: _ignored,
    format: _f,
    formatVersion: _v,
    ...rest
  } = draft as ManifestDraft & { entries?: unknown };
  return validateManifestHead(
    {
      format: FORMAT,
      formatVersion: formatVersionOf(rest),
      ...rest,
      ...(records.folders.length ? { folders: [...records.folders] } : {}),
      ...(records.skippedCount ? { skippedFiles: [...records.skipped], skippedFileCount: records.skippedCount } : {}),
    },
    records.listed,
  );
}
