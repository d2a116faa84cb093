import fs from 'fs';
import path from 'path';
import type { Manifest } from '../archive/manifest-types';
import { storageParts } from '../engine/storage-parts';
import { BackupError } from '../errors';
import type { SwapRecord } from './journal';
import { removeTree } from './remove-tree';

// The storage folders (uploads, plugins, key files) are put in place by renames: the current one is set aside first
// and removed only at commit. Every operation here is idempotent, so a start-up after a crash can run it again
// from the journal whatever instant the crash hit: forward to the staged copy, or back to the set-aside one.

/** The parts this restore moves, decided before the first move (and journaled): `existed` is the state before. */
export function swapRecords(storage: string, appName: string, manifest: Manifest, stagingDir: string, tag: string): SwapRecord[] {
  const records: SwapRecord[] = [];
  for (const part of storageParts(storage, appName).filter((p) => manifest.parts.includes(p.name))) {
    const staged = path.join(stagingDir, part.entry);
    const hasStaged = fs.existsSync(staged);
    // A key file the backup lacks is left as it is; a folder the backup had empty becomes empty.
    if (!hasStaged && part.kind === 'file') continue;
    const aside = `${part.source}.bm-old-${tag}`;
    // The moves are idempotent only if every aside path is ours: one already there (a leftover, or anything else)
    // would be taken for the set-aside original by a rollback. Refused before the first move.
    if (exists(aside)) throw new BackupError('STORAGE_ASIDE_EXISTS', { path: aside }, 409);
    records.push({ live: part.source, aside, staged, kind: part.kind, hasStaged, existed: exists(part.source) });
  }
  return records;
}

function exists(p: string): boolean {
  try {
    fs.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/** Moves each staged part into place (the current one aside); `afterMove` runs after each part (progress, tests). */
export async function swapForward(records: SwapRecord[], afterMove?: (index: number) => void): Promise<void> {
  for (const [i, r] of records.entries()) {
    if (r.existed && exists(r.live) && !exists(r.aside)) await fs.promises.rename(r.live, r.aside);
    await fs.promises.mkdir(path.dirname(r.live), { recursive: true });
    if (r.hasStaged && exists(r.staged)) {
      await fs.promises.rename(r.staged, r.live);
    } else if (!r.hasStaged && !exists(r.live)) {
      await fs.promises.mkdir(r.live, { recursive: true, mode: 0o755 });
    }
    afterMove?.(i);
  }
}

/** Puts every part back as it was before the restore (reverse order). */
export async function swapBack(records: SwapRecord[]): Promise<void> {
  for (const r of [...records].reverse()) {
    if (r.existed) {
      // No aside: the part was never moved, the live one is the original.
      if (!exists(r.aside)) continue;
      await fs.promises.rm(r.live, { recursive: true, force: true });
      await fs.promises.rename(r.aside, r.live);
    } else {
      await fs.promises.rm(r.live, { recursive: true, force: true });
    }
  }
}

/** The restore is kept: the set-aside parts go. */
export async function dropAsides(records: SwapRecord[]): Promise<void> {
  for (const r of records) await removeTree(r.aside);
}
