import fs from 'fs';
import path from 'path';
import { NAMESPACE } from '../../constants';
import { readManifest } from '../archive';
import type { Manifest } from '../archive/manifest-types';
import type { DbConfig, ToolPaths } from '../dumpers/types';
import { createBackup } from '../engine/backup';
import { inspectArchive, restoreDatabase, stageArchive, swapStorage } from '../engine/restore';
import { archiveName, type BackupPaths } from '../paths';
import { messageOf } from './exit-codes';

export interface OfflineRestoreInput {
  file: string;
  db: DbConfig;
  appName: string;
  /** NocoBase's version in the app folder; unknown skips the "backup is newer" check (the upgrade then tells). */
  appVersion?: string;
  /** For an encrypted archive. The safety backup is not encrypted (as in the web UI's restore). */
  password?: string;
  paths: BackupPaths;
  safetyBackup: boolean;
  /** Tables whose rows the safety backup leaves out (schema kept). */
  safetyExclude: string[];
  pluginVersion: string;
  /** Signs the safety backup (archive/provenance.ts). */
  appKey?: string;
  tools?: ToolPaths;
  say: (message: string) => void;
  onProgress?: (phase: string, percent: number) => void;
  /** Right before the database is replaced, e.g. to close the app's SQLite connection. */
  beforeDatabase?: () => Promise<void>;
}

export interface OfflineRestoreResult {
  manifest: Manifest;
  size: number;
  safetyFile?: string;
}

// Greater than any real version: with no NocoBase found, inspectArchive's version check cannot refuse.
const UNKNOWN_VERSION = String(Number.MAX_SAFE_INTEGER);

/**
 * A restore with the app stopped (standalone command, app CLI): validate → unpack and check every entry → safety
 * backup → database → files. When the database step fails after it started, the safety backup is put back.
 * The caller then runs `nocobase upgrade`. Nothing live is touched before the safety backup exists.
 */
export async function restoreOffline(input: OfflineRestoreInput): Promise<OfflineRestoreResult> {
  const { say, paths } = input;
  const progress = input.onProgress ?? (() => undefined);
  const tag = `cli-${Date.now()}`;
  const staging = path.join(paths.tmp, `${tag}-staging`);
  const toolsTmp = path.join(paths.tmp, `${tag}-tools`);
  try {
    say(`Checking ${input.file}`);
    const target = { dialect: input.db.dialect, appVersion: input.appVersion ?? UNKNOWN_VERSION };
    const manifest = await inspectArchive(input.file, target, input.password);
    const size = (await fs.promises.stat(input.file)).size;
    say('Unpacking and checking every file of the backup');
    await stageArchive(input.file, manifest, staging, (p) => progress('validating', p), input.password);

    let safetyFile: string | undefined;
    if (input.safetyBackup) {
      say('Making a safety backup of the current state');
      safetyFile = await safetyBackupOf(input, path.join(paths.tmp, `${tag}-safety`)).catch((err) => {
        say(
          'The safety backup failed: nothing was changed. If the current database is too damaged to be backed up, run the restore again with --no-safety-backup.',
        );
        throw err;
      });
      say(`Safety backup: ${safetyFile}`);
    }

    await input.beforeDatabase?.();
    say('Restoring the database');
    try {
      await fs.promises.mkdir(toolsTmp, { recursive: true, mode: 0o700 });
      await restoreDatabase(input.db, manifest, staging, toolsTmp, input.tools);
      say('Restoring the files');
      const swap = await swapStorage(paths.storage, input.appName, manifest, staging, tag);
      await swap.commit();
    } catch (err) {
      await putBack(input, safetyFile, toolsTmp);
      throw err;
    }
    return { manifest, size, safetyFile };
  } finally {
    await fs.promises.rm(staging, { recursive: true, force: true });
    await fs.promises.rm(toolsTmp, { recursive: true, force: true });
  }
}

async function safetyBackupOf(input: OfflineRestoreInput, tmpDir: string): Promise<string> {
  try {
    const result = await createBackup({
      db: input.db,
      app: { name: input.appName, version: input.appVersion ?? '0.0.0' },
      plugin: { name: NAMESPACE, version: input.pluginVersion },
      storage: input.paths.storage,
      archivesDir: input.paths.archives,
      tmpDir,
      fileName: archiveName(input.appName, new Date(), 'safety'),
      include: { uploads: true, plugins: true },
      excludeTableData: input.safetyExclude,
      origin: 'safety',
      tools: input.tools,
      onProgress: (phase, percent) => input.onProgress?.(phase, percent),
    });
    return result.filePath;
  } finally {
    await fs.promises.rm(tmpDir, { recursive: true, force: true });
  }
      appKey: input.appKey,
}

/** The database step failed part-way: put the safety backup's database back (files were swapped back already). */
async function putBack(input: OfflineRestoreInput, safetyFile: string | undefined, toolsTmp: string): Promise<void> {
  if (!safetyFile) {
    input.say('The database may be partly restored. Fix the cause and run the restore again.');
    return;
  }
  const staging = path.join(input.paths.tmp, `putback-${Date.now()}`);
  try {
    input.say('Putting the database back from the safety backup');
    const manifest = await readManifest(safetyFile);
    await stageArchive(safetyFile, manifest, staging);
    await restoreDatabase(input.db, manifest, staging, toolsTmp, input.tools);
    input.say('The database was put back as it was before the restore.');
  } catch (err) {
    input.say(
      `Putting the database back failed too (${messageOf(err)}). Once the cause is fixed, restore ${safetyFile} with --no-safety-backup.`,
    );
  } finally {
    await fs.promises.rm(staging, { recursive: true, force: true });
  }
}
