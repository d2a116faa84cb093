import fs from 'fs';
import path from 'path';
import { readManifest } from '../archive';
import { STORAGE_PREFIX } from '../archive/layout';
import type { Manifest } from '../archive/manifest-types';
import type { DbConfig, ToolPaths } from '../dumpers/types';
import { checkDump } from '../engine/dump-check';
import { restoreDump, stageArchive } from '../engine/restore';
import { BackupError } from '../errors';
import type { RestoreJournal } from './journal';
import { swapBack, swapForward, dropAsides } from './storage-swap';

// The two ways out of a half-done restore, shared by the running server (a failed step) and the start-up after a
// crash: back to the safety backup, or forward to the verified staged copy.

/** The database a journaled step replaces ('db:main', 'db:app:<name>', 'db:source:<key>'), or null if unknown. */
export type DbResolver = (step: string) => DbConfig | null;

/** The dump inside an archive (or a staging folder) for a step. */
export function dumpEntry(manifest: Manifest, step: string): string {
  if (step === 'db:main') return manifest.database.dump;
  const [, kind, ...rest] = step.split(':');
  const name = rest.join(':');
  const dump =
    kind === 'app'
      ? (manifest.apps || []).find((a) => a.name === name)?.dump
      : (manifest.dataSources || []).find((d) => d.key === name)?.dump;
  if (!dump) throw new BackupError(kind === 'app' ? 'SUBAPP_NOT_IN_BACKUP' : 'DATASOURCE_NOT_IN_BACKUP', { name, key: name }, 400);
  return dump;
}

/** Replaces one database from a staged dump; `crash` is a test's mid-step crash switch (restore/crash.ts). */
export async function replaceDatabase(
  db: DbConfig,
  staging: string,
  manifest: Manifest,
  step: string,
  tmpDir: string,
  tools?: ToolPaths,
  crash: { spawned: () => void; stop: () => void } = { spawned: () => undefined, stop: () => undefined },
  checked = false,
  jobs?: number | null,
): Promise<void> {
  try {
    await restoreDump(db, path.join(staging, dumpEntry(manifest, step)), tmpDir, tools, { checked, onRestoreSpawn: crash.spawned, jobs });
  } finally {
    crash.stop();
  }
}

/** Every dump the plan will restore, checked readable and safe with nothing touched (engine/dump-check.ts). */
export async function checkDumps(steps: string[], resolve: DbResolver, staging: string, manifest: Manifest, tmpDir: string, tools?: ToolPaths): Promise<void> {
  await fs.promises.mkdir(tmpDir, { recursive: true, mode: 0o700 });
  for (const step of steps) {
    const db = resolve(step);
    if (!db) throw new BackupError('RESTORE_TARGET_UNKNOWN', { step }, 500);
    await checkDump(db, path.join(staging, dumpEntry(manifest, step)), tmpDir, tools);
  }
}

/**
 * Back to the state before the restore: the set-aside storage parts return, and every database a step had begun to
 * replace is restored from the safety backup (staged and verified again first).
 */
export async function rollBack(j: RestoreJournal, resolve: DbResolver, tmpDir: string, tools?: ToolPaths): Promise<void> {
  if (!j.safety) throw new BackupError('RESTORE_NO_SAFETY', {}, 500);
  await swapBack(j.swaps);
  const touched = Object.keys(j.steps).filter((s) => s.startsWith('db:'));
  if (!touched.length) return;
  const staging = `${j.staging}-rollback`;
  try {
    const manifest = await readManifest(j.safety);
    // Only the dumps: the storage parts came back by renames (swapBack), never from the safety backup's copy.
    await stageArchive(j.safety, manifest, staging, undefined, undefined, (e) => !e.path.startsWith(STORAGE_PREFIX));
    await fs.promises.mkdir(tmpDir, { recursive: true, mode: 0o700 });
    for (const step of touched) {
      const db = resolve(step);
      if (!db) throw new BackupError('RESTORE_TARGET_UNKNOWN', { step }, 500);
      await replaceDatabase(db, staging, manifest, step, tmpDir, tools);
    }
  } finally {
    await fs.promises.rm(staging, { recursive: true, force: true });
  }
}

/** No safety backup: finish what the journal planned from the staged copy, then keep the restored parts. */
export async function completeForward(
  j: RestoreJournal,
  manifest: Manifest,
  resolve: DbResolver,
  tmpDir: string,
  tools?: ToolPaths,
): Promise<void> {
  await fs.promises.mkdir(tmpDir, { recursive: true, mode: 0o700 });
  for (const step of j.planned.filter((s) => s.startsWith('db:') && j.steps[s] !== 'done')) {
    const db = resolve(step);
    if (!db) throw new BackupError('RESTORE_TARGET_UNKNOWN', { step }, 500);
    await replaceDatabase(db, j.staging, manifest, step, tmpDir, tools);
    j.steps[step] = 'done';
  }
  if (j.planned.includes('storage')) {
    await swapForward(j.swaps);
    await dropAsides(j.swaps);
  }
}
