import fs from 'fs';
import path from 'path';
import { ARCHIVE_EXT } from '../../constants';
import { readManifest } from '../archive';
import type { Manifest } from '../archive/manifest-types';
import { human } from '../engine/backup';
import { CliError, codeOf, EXIT, messageOf } from './exit-codes';

export interface ListedArchive {
  fileName: string;
  path: string;
  size: number;
  /** From the manifest; the file's mtime when it cannot be read. */
  createdAt: string;
  manifest?: Manifest;
  /** Why the manifest could not be read (damaged, not ours, encrypted...). */
  error?: { code: string; message: string };
}

/** Every archive in the folder, newest first, each judged by its manifest alone (fast, whatever the size). */
export async function listArchives(dir: string): Promise<ListedArchive[]> {
  const names = await fs.promises.readdir(dir).catch(() => [] as string[]);
  const listed: ListedArchive[] = [];
  for (const fileName of names.filter((n) => n.endsWith(ARCHIVE_EXT) && !n.startsWith('.'))) {
    const file = path.join(dir, fileName);
    const stat = await fs.promises.stat(file).catch(() => null);
    if (!stat?.isFile()) continue;
    try {
      const manifest = await readManifest(file);
      listed.push({ fileName, path: file, size: stat.size, createdAt: manifest.createdAt, manifest });
    } catch (err) {
      const error = { code: codeOf(err), message: messageOf(err) };
      listed.push({ fileName, path: file, size: stat.size, createdAt: stat.mtime.toISOString(), error });
    }
  }
  return listed.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
}

/** A path, or the bare name of an archive in the app's backup folder. */
export function resolveArchive(file: string, archivesDir: string, cwd = process.cwd()): string {
  const inFolder = path.join(archivesDir, file);
  const candidate = file === path.basename(file) && fs.existsSync(inFolder) ? inFolder : path.resolve(cwd, file);
  if (!fs.existsSync(candidate) || !fs.statSync(candidate).isFile()) {
    throw new CliError(`No such backup file: ${file} (looked in ${archivesDir} and ${cwd})`, EXIT.INVALID);
  }
  return candidate;
}

/** One line per archive for the terminal. */
export function formatList(items: ListedArchive[]): string {
  if (!items.length) return 'No backups found.';
  return items
    .map((a) => {
      if (!a.manifest) return `${a.fileName}  ${human(a.size)}  UNREADABLE: ${a.error?.message ?? ''}`;
      const m = a.manifest;
      const tables = m.database.tables ? `${Object.keys(m.database.tables).length} tables` : 'no row counts';
      return `${a.fileName}  ${a.createdAt}  ${human(a.size)}  ${m.database.dialect}  NocoBase ${m.app.version}  ${m.origin ?? ''}  [${m.parts.join(', ')}]  ${tables}`;
    })
    .join('\n');
}
