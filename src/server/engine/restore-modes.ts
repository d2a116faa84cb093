import fsp from 'fs/promises';
import path from 'path';
import type { Manifest, ManifestEntry } from '../archive/manifest-types';
import { storageParts } from './storage-parts';

/** What archives made before modes were recorded get, as restores always gave them. */
const FILE_DEFAULT = 0o644;
const FOLDER_DEFAULT = 0o755;

/** Permission bits only: never setuid, setgid or sticky from an archive. */
export const fileMode = (recorded: number | undefined) => (recorded ?? FILE_DEFAULT) & 0o777;
/** The same, and the owner (this server) keeps rwx: it must be able to set the folder aside or remove it later. */
export const folderMode = (recorded: number | undefined) => ((recorded ?? FOLDER_DEFAULT) & 0o777) | 0o700;

/** Storage files (uploads, plugins) get their recorded mode, 0644 where none was; anything else (dumps, keys) 0600. */
export function stagedFileMode(manifest: Manifest): (entry: ManifestEntry) => number {
  const prefixes = storageParts('', manifest.app.name)
    .filter((p) => p.kind === 'dir')
    .map((p) => `${p.entry}/`);
  return (entry) => (prefixes.some((p) => entry.path.startsWith(p)) ? fileMode(entry.mode) : 0o600);
}

/**
 * Gives the staged storage folders (uploads, plugins) the modes recorded at backup time (the manifest's `folders`),
 * 0755 where none was recorded; their files got theirs when extracted (stagedFileMode). Extraction makes folders
 * 0700; this runs inside the 0700 staging folder, so nothing is exposed before the restore moves them into place.
 */
export async function applyRecordedModes(manifest: Manifest, stagingDir: string): Promise<void> {
  const folders = new Map((manifest.folders ?? []).map((f) => [f.path, f.mode]));
  const walk = async (rel: string): Promise<void> => {
    const abs = path.join(stagingDir, rel);
    // Staged entries are regular files and folders only (extraction never creates links): only folders are walked.
    for (const d of await fsp.readdir(abs, { withFileTypes: true })) if (d.isDirectory()) await walk(`${rel}/${d.name}`);
    await fsp.chmod(abs, folderMode(folders.get(rel)));
  };
  for (const part of storageParts('', manifest.app.name).filter((p) => p.kind === 'dir')) {
    const staged = await fsp.lstat(path.join(stagingDir, part.entry)).catch(() => null);
    if (staged?.isDirectory()) await walk(part.entry);
  }
}
