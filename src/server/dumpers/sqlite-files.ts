import fs from 'fs';
import path from 'path';
import { fsyncDir, fsyncFile } from '../archive/fs-ops';

/** What SQLite may keep beside a database file: its rollback journal, its write-ahead log and that log's index. */
const SIDE_FILES = ['-journal', '-wal', '-shm'];

/**
 * Removes what SQLite keeps beside `file` (and the file itself with `withFile`): before a file replaces an app's
 * database (its side files belong to the old one), and after a snapshot or a move was stopped mid-write.
 */
export async function removeSqliteFiles(file: string, { withFile = false } = {}): Promise<void> {
  for (const suffix of withFile ? ['', ...SIDE_FILES] : SIDE_FILES) await fs.promises.rm(`${file}${suffix}`, { force: true });
}

/**
 * Puts `incoming` in place of the SQLite database `file` (a restore, a move into SQLite): on disk before it takes the
 * name, so that after a power cut the app finds the old file or the new one whole, never an empty one in its place
 * (ext4 allocates a new file's blocks late, the rename is in its journal at once); the old file's side files removed
 * (they belong to it); the folder synced after the rename.
 */
export async function replaceSqliteFile(incoming: string, file: string): Promise<void> {
  await fsyncFile(incoming);
  await removeSqliteFiles(file);
  await fs.promises.rename(incoming, file);
  await fsyncDir(path.dirname(file));
}
