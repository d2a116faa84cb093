import fs from 'fs';

/** What SQLite may keep beside a database file: its rollback journal, its write-ahead log and that log's index. */
const SIDE_FILES = ['-journal', '-wal', '-shm'];

/**
 * Removes what SQLite keeps beside `file` (and the file itself with `withFile`): before a file replaces an app's
 * database (its side files belong to the old one), and after a snapshot or a move was stopped mid-write.
 */
export async function removeSqliteFiles(file: string, { withFile = false } = {}): Promise<void> {
  for (const suffix of withFile ? ['', ...SIDE_FILES] : SIDE_FILES) await fs.promises.rm(`${file}${suffix}`, { force: true });
}
