import fs from 'fs';
import path from 'path';
import { ARCHIVE_EXT } from '../../constants';
import { readHeader, readManifest } from '../archive';
import type { ArchiveHeaderInfo, Manifest } from '../archive/manifest-types';
import { human } from '../engine/backup';
import { CliError, codeOf, EXIT, messageOf } from './exit-codes';

export interface ListedArchive {
  fileName: string;
  path: string;
  size: number;
  /** From the archive; the file's mtime when it cannot be read. */
  createdAt: string;
  /** What every readable archive shows without its password (dialect, versions, parts). */
  header?: ArchiveHeaderInfo;
  /** Plain archives only: an encrypted manifest needs the password. */
  manifest?: Manifest;
  /** Why the archive could not be read (damaged, not ours...). */
  error?: { code: string; message: string };
  /** The admin's note: the task row's when the app lists the archive (it may have been edited), else the manifest's. */
  note?: string;
}

/** Every archive in the folder, newest first, each judged by its header and manifest alone (fast, whatever the size). */
export async function listArchives(dir: string): Promise<ListedArchive[]> {
  const names = await fs.promises.readdir(dir).catch(() => [] as string[]);
  const listed: ListedArchive[] = [];
  for (const fileName of names.filter((n) => n.endsWith(ARCHIVE_EXT) && !n.startsWith('.'))) {
    const file = path.join(dir, fileName);
    const stat = await fs.promises.stat(file).catch(() => null);
    if (!stat?.isFile()) continue;
    try {
      const header = await readHeader(file);
      const manifest = header.encrypted ? undefined : await readManifest(file);
      const note = typeof manifest?.note === 'string' && manifest.note ? manifest.note : undefined;
      listed.push({ fileName, path: file, size: stat.size, createdAt: header.createdAt, header, manifest, ...(note ? { note } : {}) });
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
      const h = a.header;
      if (!h) return `${a.fileName}  ${human(a.size)}  UNREADABLE: ${a.error?.message ?? ''}`;
      const tables = a.manifest?.database.tables;
      const extra = a.manifest
        ? `${a.manifest.origin ?? ''}  ${tables ? `${Object.keys(tables).length} tables` : 'no row counts'}`
        : 'encrypted';
      const note = a.note ? `  "${a.note}"` : '';
      return `${a.fileName}  ${a.createdAt}  ${human(a.size)}  ${h.database.dialect}  NocoBase ${h.app.version}  [${h.parts.join(', ')}]  ${extra}${note}`;
    })
    .join('\n');
}
