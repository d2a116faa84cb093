import fsp from 'fs/promises';
import path from 'path';
import type { Manifest } from '../archive/manifest-types';
import { storageParts } from './storage-parts';

/** What archives made before modes were recorded get, as restores always gave them. */
const FILE_DEFAULT = 0o644;
const FOLDER_DEFAULT = 0o755;

/** Permission bits only: never setuid, setgid or sticky from an archive. */
export const fileMode = (recorded: number | undefined) => (recorded ?? FILE_DEFAULT) & 0o777;
/** The same, and the owner (this server) keeps rwx: it must be able to set the folder aside or remove it later. */
export const folderMode = (recorded: number | undefined) => ((recorded ?? FOLDER_DEFAULT) & 0o777) | 0o700;

/**
 * Gives the staged storage folders (uploads, plugins) the modes recorded at backup time (the manifest's entry
 * `mode` and `folders`), 0644/0755 where none was recorded. Extraction writes 0600/0700; this runs inside the 0700
 * staging folder, so nothing is exposed before the restore moves the folders into place.
 */
export async function applyRecordedModes(manifest: Manifest, stagingDir: string): Promise<void> {
  const files = new Map(manifest.entries.filter((e) => e.mode !== undefined).map((e) => [e.path, e.mode]));
  const folders = new Map((manifest.folders ?? []).map((f) => [f.path, f.mode]));
  const walk = async (rel: string): Promise<void> => {
    const abs = path.join(stagingDir, rel);
    // Staged entries are regular files and folders only (extraction never creates links): nothing else is touched.
    for (const d of await fsp.readdir(abs, { withFileTypes: true })) {
      const child = `${rel}/${d.name}`;
      if (d.isDirectory()) await walk(child);
      else if (d.isFile()) await fsp.chmod(path.join(stagingDir, child), fileMode(files.get(child)));
    }
    await fsp.chmod(abs, folderMode(folders.get(rel)));
  };
  for (const part of storageParts('', manifest.app.name).filter((p) => p.kind === 'dir')) {
    const staged = await fsp.lstat(path.join(stagingDir, part.entry)).catch(() => null);
    if (staged?.isDirectory()) await walk(part.entry);
  }
}
