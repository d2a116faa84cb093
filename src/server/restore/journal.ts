import fs from 'fs';
import path from 'path';
import { processAlive } from '../process/children';
import type { JournalState, TargetRef } from './plan';

/** One storage part as the swap moves it: the live path, where the current one is set aside, the staged one. */
export interface SwapRecord {
  live: string;
  aside: string;
  staged: string;
  kind: 'dir' | 'file';
  /** The backup carries this part (false: the backup had the folder empty). */
  hasStaged: boolean;
  /** The live part existed before the restore (else a rollback removes what the restore created). */
  existed: boolean;
}

/**
 * What a restore has changed, written (fsynced, renamed) before and after every step that touches live data, so a
 * start-up after a crash knows what to undo or finish. Holds no secret: databases are found again from the app's
 * environment, extra targets' connection settings are sealed with APP_KEY (see recover.ts).
 */
export interface RestoreJournal {
  version: 1;
  id: string;
  /** The task row to report to; null for the standalone command (no app database to write to). */
  taskId: string | null;
  appName: string;
  storage: string;
  owner: { pid: number; start: string | null };
  archive: string;
  manifestCreatedAt: string;
  appVersion: string;
  staging: string;
  safety: string | null;
  main: boolean;
  /** The main database was being moved from another dialect: it cannot be completed forward from the staged copy. */
  move?: boolean;
  targets: TargetRef[];
  /** JSON of the extra targets' DbConfig, sealed with APP_KEY (passwords included). */
  targetDbs: string | null;
  planned: string[];
  steps: Record<string, 'begun' | 'done'>;
  swaps: SwapRecord[];
  state: JournalState;
  updatedAt: string;
}

/** The manifest of the staged archive, kept beside the staged copy: a forward recovery cannot ask for the password. */
export const MANIFEST_COPY = '.manifest.json';

export const journalDir = (archivesDir: string) => path.join(archivesDir, '.journal', 'restore');
export const journalFile = (dir: string, id: string) => path.join(dir, `${id}.state`);
export const outcomeFile = (dir: string, id: string) => path.join(dir, `${id}.outcome`);

/** Write, fsync, rename, fsync the folder: after a power cut the file is the old or the new version, whole. */
export async function writeDurable(file: string, content: string | Iterable<string>): Promise<void> {
  await fs.promises.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.partial`;
  const fh = await fs.promises.open(tmp, 'w', 0o600);
  try {
    // Pieces (a large manifest's JSON) are written one after the other, never joined into one string. writeFile on a
    // handle writes the whole piece from the current position.
    for (const piece of typeof content === 'string' ? [content] : content) await fh.writeFile(piece);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fs.promises.rename(tmp, file);
  await syncDir(path.dirname(file));
}

export async function syncDir(dir: string): Promise<void> {
  const dh = await fs.promises.open(dir, 'r').catch(() => null);
  if (!dh) return;
  try {
    await dh.sync();
  } catch {
    /* some filesystems refuse fsync on a folder; the rename is still ordered after the file's own fsync */
  } finally {
    await dh.close();
  }
}

export async function saveJournal(dir: string, j: RestoreJournal): Promise<void> {
  j.updatedAt = new Date().toISOString();
  await writeDurable(journalFile(dir, j.id), JSON.stringify(j));
}

export async function readJournals(dir: string): Promise<RestoreJournal[]> {
  const names = (await fs.promises.readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.state')).sort();
  const out: RestoreJournal[] = [];
  for (const n of names) {
    try {
      const j = JSON.parse(await fs.promises.readFile(path.join(dir, n), 'utf8')) as RestoreJournal;
      if (j && j.version === 1 && typeof j.id === 'string') out.push(j);
    } catch {
      /* a journal is replaced by rename, never half-written: an unreadable one is not ours */
    }
  }
  return out;
}

export async function removeJournal(dir: string, id: string): Promise<void> {
  await fs.promises.rm(journalFile(dir, id), { force: true });
  await syncDir(dir);
}

/** What the task row should say once the app runs again (applied by the service at start-up). */
export interface RestoreOutcome {
  taskId: string;
  status: 'failed' | 'succeeded';
  errorCode: string | null;
  /** An i18n key of ours and its parameters: the service renders it. */
  message: { key: string; params: Record<string, string> };
  archive: string;
  safety: string | null;
  upgrade: boolean;
  at: string;
}

export async function saveOutcome(dir: string, o: RestoreOutcome): Promise<void> {
  await writeDurable(outcomeFile(dir, o.taskId), JSON.stringify(o));
}

export async function takeOutcomes(dir: string): Promise<RestoreOutcome[]> {
  const names = (await fs.promises.readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.outcome')).sort();
  const out: RestoreOutcome[] = [];
  for (const n of names) {
    const file = path.join(dir, n);
    try {
      out.push(JSON.parse(await fs.promises.readFile(file, 'utf8')) as RestoreOutcome);
    } catch {
      /* unreadable: dropped below */
    }
  }
  return out;
}

export async function dropOutcome(dir: string, taskId: string): Promise<void> {
  await fs.promises.rm(outcomeFile(dir, taskId), { force: true });
}

/** The owner of a journal is still running (same pid and the same kernel start time). */
export function isAlive(owner: { pid: number; start: string | null }): boolean {
  return processAlive(owner.pid, owner.start);
}
