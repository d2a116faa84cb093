import { loadFileSync, type LoadedFile } from './file-loader';
import { walkFolder, type SkipReason, type WalkItem } from './folder-walk';
import { ReadAhead } from './read-ahead';
import type { FolderMode, ManifestEntry, SkippedFile } from './manifest-types';
import { sourceFailed } from './source-error';
import { TimeSlice } from '../time-slice';
import { errnoOf } from '../errno';

export interface AddDirectoryOptions {
  /** Content bytes of this folder packed so far. */
  onProgress?: (bytesDone: number) => void;
  /** Called for every item left out: symlinks, special files, names that cannot be a safe entry path, files deleted meanwhile. */
  onSkip?: (relPath: string, reason: SkipReason) => void;
}

/** What packFolder needs of the archive writer. */
export interface FolderPackTarget {
  /** Refuses a name the archive cannot take (unsafe, reserved, already added); answers it canonical. */
  checkName(entryPath: string): string;
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
 * Adds every regular file under absDir as `<base>/<relative path>`, depth first in sorted name order (folder-walk.ts),
 * reading files with synchronous calls in time slices. Items that cannot be packed, or that change meanwhile, are
 * left out and recorded (skipReasonOf); the modes of the folders holding packed files are recorded too.
 */
export async function packFolder(
  base: string,
  absDir: string,
  target: FolderPackTarget,
  opts: AddDirectoryOptions,
): Promise<ManifestEntry[]> {
  const added: ManifestEntry[] = [];
  let done = 0;
  const slice = new TimeSlice();
  const skip = (rel: string, reason: SkipReason) => {
    target.skipped({ path: `${base}/${rel}`, reason });
    opts.onSkip?.(rel, reason);
  };
  // Per folder entered: how many entries had been added before it. Only folders that will exist again on
  // restore, those holding packed files, have their mode recorded.
  const addedAtEnter: number[] = [];
  // Walked items wait here in order while their files are read ahead; a folder with few files is read here.
  const queue: WalkItem[] = [];
  let ahead: ReadAhead | null = null;
  let toAsk: string[] = [];
  const askNow = () => {
    ahead!.ask(toAsk);
    toAsk = [];
  };

  const handle = async (item: WalkItem) => {
    if (item.kind === 'skip') return skip(item.rel, item.reason);
    if (item.kind === 'enter') return void addedAtEnter.push(added.length);
    if (item.kind === 'leave') {
      if (added.length > addedAtEnter.pop()!) target.folder({ path: item.rel ? `${base}/${item.rel}` : base, mode: item.mode });
      return;
    }
    target.checkName(item.name);
    let loaded: LoadedFile | null = null;
    let release = () => undefined as void;
    try {
      if (ahead) ({ loaded, done: release } = await ahead.next());
      // Read here: no worker, or a file too large to inline (streamed from its own descriptor).
      loaded = loaded ?? loadFileSync(item.abs, target.inlineMax, target.scratch);
    } catch (err) {
      const reason = skipReasonOf(err);
      if (reason) return skip(item.rel, reason);
      throw sourceFailed(item.name, err);
    }
    try {
      const start = done;
      const entry = await target.addLoaded(item.name, loaded, opts.onProgress ? (n) => opts.onProgress!(start + n) : undefined);
      done += entry.size;
      opts.onProgress?.(done);
      added.push(entry);
    } finally {
      release();
    }
    if (slice.due()) await slice.pause();
  };

  try {
    for await (const item of walkFolder(absDir, base)) {
      queue.push(item);
      if (item.kind !== 'file') continue;
      if (ahead) {
        toAsk.push(item.abs);
        if (toAsk.length >= ASK_BATCH) askNow();
      } else if (queue.length >= AHEAD_FROM) {
        // Many files: from here on they are read on the worker, those already queued first.
        ahead = new ReadAhead(target.inlineMax);
        toAsk = queue.filter((q): q is Extract<WalkItem, { kind: 'file' }> => q.kind === 'file').map((q) => q.abs);
        askNow();
      }
      while (queue.length > (ahead ? LOOKAHEAD : AHEAD_FROM)) {
        if (ahead && toAsk.length) askNow();
        await handle(queue.shift()!);
      }
    }
    if (ahead && toAsk.length) askNow();
    while (queue.length) await handle(queue.shift()!);
  } finally {
    await ahead?.close();
  }
  return added;
}

/** Files walked before a worker is started: a folder with fewer is read on the main thread, as before. */
const AHEAD_FROM = 512;
/** Walked items kept waiting while their files are read ahead. */
const LOOKAHEAD = 4096;
/** Paths sent to the worker in one message. */
const ASK_BATCH = 256;

/** Files that change while a folder is packed are left out, not fatal: a live app keeps writing uploads. */
function skipReasonOf(err: unknown): SkipReason | null {
  const code = errnoOf(err);
  if (code === 'ENOENT') return 'vanished';
  if (code === 'ELOOP') return 'symlink'; // replaced by a symlink since readdir
  if (code === 'NOT_REGULAR') return 'not a regular file';
  return null;
}
