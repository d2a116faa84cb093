import path from 'path';
import { loadFileSync, type LoadedFile } from './file-loader';
import { FILE_DATA, FILE_ERROR, FILE_SKIP, FIELDS } from './file-reader-worker';
import { FolderReader, type FileRun, type FoundItem } from './folder-reader';
import type { FolderMode, ManifestEntry, SkippedFile } from './manifest-types';
import { safeEntryPath } from './safe-path';
import { sourceFailed } from './source-error';
import { TimeSlice } from '../time-slice';
import { errnoOf } from '../errno';

export interface AddDirectoryOptions {
  /** Content bytes of this folder packed so far. */
  onProgress?: (bytesDone: number) => void;
  /** Called for every item left out: symlinks, special files, names that cannot be a safe entry path, files deleted meanwhile. */
  onSkip?: (relPath: string, reason: SkipReason) => void;
}

export type SkipReason = 'symlink' | 'not a regular file' | 'unsafe name' | 'vanished';

/** What packing a folder added: how many files, and their content bytes. */
export interface PackedFolder {
  files: number;
  bytes: number;
}

/** CRC-32 and SHA-256 of an entry's content, computed where it was read. */
export interface Digest {
  crc: number;
  sha256: string;
}

/** What packFolder needs of the archive writer. */
export interface FolderPackTarget {
  /** Refuses a name, already canonical (isCanonical), the archive cannot take (reserved, already added). */
  checkName(entryPath: string): string;
  /**
   * Adds a small file's content, bytes [at, at + len) of a batch buffer, hashed already, as entry `name`: at once, or
   * (encrypted) in a promise. The batch buffer may be reused when the call returns (or its promise settles).
   */
  addDigested(name: string, batch: Buffer, at: number, len: number, digest: Digest, mode: number): ManifestEntry | Promise<ManifestEntry>;
  /** While the output is behind, a promise to await before adding more (after an entry added at once). */
  pressure(): Promise<void> | null;
  /** Adds a loaded file as entry `name`. */
  addLoaded(name: string, loaded: LoadedFile, onProgress?: (bytes: number) => void): Promise<ManifestEntry>;
  /** Records an item left out (as an archive path) for the manifest. */
  skipped(item: SkippedFile): void;
  /** Records the mode of a folder holding packed files, for the manifest. */
  folder(mode: FolderMode): void;
  /** Buffer small files are read into (reused: one file at a time). */
  scratch: Buffer;
  /** Files up to this size are read whole. */
  inlineMax: number;
}

/**
 * Adds every regular file under absDir as `<base>/<relative path>`, depth first in sorted name order. The folder is
 * walked and its small files read and hashed on worker threads (folder-reader.ts); this loop writes what comes back,
 * yielding to the event loop in time slices. Items that cannot be packed, or that change meanwhile, are left out and
 * recorded (skipReasonOf); the modes of the folders holding packed files are recorded too.
 */
export async function packFolder(
  base: string,
  absDir: string,
  target: FolderPackTarget,
  opts: AddDirectoryOptions,
): Promise<PackedFolder> {
  // Counts, not the entries: one object kept per file was memory growing with the file count.
  let added = 0;
  let done = 0;
  const slice = new TimeSlice();
  const skip = (rel: string, reason: SkipReason) => {
    target.skipped({ path: `${base}/${rel}`, reason });
    opts.onSkip?.(rel, reason);
  };
  // Per folder entered: how many entries had been added before it. Only folders that will exist again on
  // restore, those holding packed files, have their mode recorded.
  const addedAtEnter: number[] = [];
  const root = path.resolve(absDir);
  const reader = new FolderReader(root, target.inlineMax);

  const counted = (entry: ManifestEntry): Promise<void> | undefined => {
    done += entry.size;
    opts.onProgress?.(done);
    added++;
    return target.pressure() ?? undefined;
  };

  /** A walk item that is not a file: a folder entered or left, an item left out, an error. */
  const handle = (item: FoundItem): void => {
    if (item.k === 'fatal') throw sourceFailed(base, Object.assign(new Error(item.message), { code: item.code }));
    if (item.k === 'enter') return void addedAtEnter.push(added);
    if (item.k === 'leave') {
      if (added > addedAtEnter.pop()!) target.folder({ path: item.rel ? `${base}/${item.rel}` : base, mode: item.mode });
      return;
    }
    if (item.k === 'skip') return skip(item.rel, item.reason);
    // A folder that could not be listed: left out as a file would be when it vanished or became a link, else fatal.
    if (!isCanonical(`${base}/${item.rel}`)) return skip(item.rel, 'unsafe name');
    const err = Object.assign(new Error(item.message), { code: item.code });
    const reason = skipReasonOf(err);
    if (reason) return skip(item.rel, reason);
    throw sourceFailed(`${base}/${item.rel}`, err);
  };

  // A run's files, read from its numbers (file-reader-worker.ts) where they are used: no object per file. Synchronous
  // for what a walk mostly is (small files of a plain archive): a promise only where a file is streamed, sealed, or the
  // output asks to wait.
  let shaAt = 0;
  let errorAt = 0;
  const handleFile = (run: FileRun, i: number, data: Buffer): Promise<void> | void => {
    const rel = run.rel(i);
    const m = FIELDS * i;
    const kind = run.meta[m];
    if (kind === FILE_SKIP) return skip(rel, 'not a regular file');
    const sha256 = kind === FILE_DATA ? run.sha.slice(shaAt, (shaAt += 64)) : '';
    const error = kind === FILE_ERROR ? run.errors[errorAt++] : null;
    const entryPath = `${base}/${rel}`;
    if (!isCanonical(entryPath)) return skip(rel, 'unsafe name');
    const name = target.checkName(entryPath);
    if (kind === FILE_DATA) {
      const entry = target.addDigested(name, data, run.meta[m + 1], run.meta[m + 2], { crc: run.meta[m + 4], sha256 }, run.meta[m + 3]);
      return entry instanceof Promise ? entry.then(counted) : counted(entry);
    }
    return addOpened(rel, error, name); // FILE_LARGE (error null) or FILE_ERROR
  };

  /** A file over inlineMax (or one the reader could not read: its error): opened and streamed here. */
  const addOpened = async (rel: string, error: { code: string; message: string } | null, name: string): Promise<void> => {
    let loaded: LoadedFile;
    try {
      if (error) throw Object.assign(new Error(error.message), { code: error.code });
      // Too large to inline: opened and streamed here (read whole if it shrank meanwhile).
      loaded = loadFileSync(path.join(root, ...rel.split('/')), target.inlineMax, target.scratch);
    } catch (err) {
      const reason = skipReasonOf(err);
      if (reason) return skip(rel, reason);
      throw sourceFailed(name, err);
    }
    const start = done;
    const entry = await target.addLoaded(name, loaded, opts.onProgress ? (n) => opts.onProgress!(start + n) : undefined);
    await counted(entry);
  };

  try {
    for (let batch = await reader.next(); batch; batch = await reader.next()) {
      try {
        for (const item of batch.items) {
          handle(item);
          if (slice.due()) await slice.pause();
        }
        const run = batch.files;
        shaAt = 0;
        errorAt = 0;
        for (let i = 0; run && i < run.count; i++) {
          const waiting = handleFile(run, i, batch.data);
          if (waiting) await waiting;
          if (slice.due()) await slice.pause();
        }
      } finally {
        batch.release();
      }
    }
  } finally {
    await reader.close();
  }
  return { files: added, bytes: done };
}

/** A name the archive can take as it is (no backslash, no `..`, nothing that would be rewritten). */
function isCanonical(entryPath: string): boolean {
  try {
    return safeEntryPath(entryPath) === entryPath;
  } catch {
    return false;
  }
}

/** Files that change while a folder is packed are left out, not fatal: a live app keeps writing uploads. */
function skipReasonOf(err: unknown): SkipReason | null {
  const code = errnoOf(err);
  if (code === 'ENOENT') return 'vanished';
  if (code === 'ELOOP') return 'symlink'; // replaced by a symlink since readdir
  if (code === 'NOT_REGULAR') return 'not a regular file';
  return null;
}
