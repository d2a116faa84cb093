import { FORMAT, FORMAT_VERSION_DUMP_DIR, FORMAT_VERSION_PLAIN } from '../../constants';
import { validateManifestAsync } from './manifest';
import type { FolderMode, Manifest, ManifestEntry, SkippedFile } from './manifest-types';

/** What finish() needs: the manifest without entries (format/formatVersion are always set by the writer). */
export type ManifestDraft = Omit<Manifest, 'entries' | 'format' | 'formatVersion'> & {
  format?: string;
  formatVersion?: number;
};

/** What the archive writer gathered while entries were added. */
export interface WriterRecords {
  entries: readonly ManifestEntry[];
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
 * The manifest an archive closes with: the draft (its own entries, format and version ignored) with this format,
 * and what the writer recorded. Tens of thousands of entries: validated in slices, so the server keeps answering.
 */
export function completeManifest(draft: ManifestDraft, records: WriterRecords): Promise<Manifest> {
  const {
    entries: _ignored,
    format: _f,
    formatVersion: _v,
    ...rest
  } = draft as ManifestDraft & { entries?: unknown };
  return validateManifestAsync({
    format: FORMAT,
    formatVersion: formatVersionOf(rest),
    ...rest,
    ...(records.folders.length ? { folders: [...records.folders] } : {}),
    ...(records.skippedCount ? { skippedFiles: [...records.skipped], skippedFileCount: records.skippedCount } : {}),
    entries: [...records.entries],
  });
}
