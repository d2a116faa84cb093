import fs from 'fs';
import { extractVerified, readHeader, readHeaderAndManifest } from '../archive';
import { provenanceIn } from '../archive/provenance';
import type { ArchiveHeaderInfo, Manifest, ManifestEntry } from '../archive/manifest-types';
import { getDumper } from '../dumpers';
import { replaceSqliteFile } from '../dumpers/sqlite-files';
import { chooseJobs, cpuCount } from '../dumpers/parallel-jobs';
import type { DbConfig, ToolPaths } from '../dumpers/types';
import { BackupError } from '../errors';
import { runTool } from '../process/run';
import { canMove } from '../move/crossing';
import { compareVersions } from './version';
import { checkDump } from './dump-check';
import { checkTools } from './tool-check';
import { applyRecordedModes, stagedFileMode } from './restore-modes';

export interface RestoreTarget {
  dialect: DbConfig['dialect'];
  appVersion: string;
  /** The admin asked for a move into this dialect (restore --into-dialect): a supported crossing is accepted. */
  move?: boolean;
}

/**
 * Everything that can be decided without the password and without unpacking (read through the zip's central
 * directory, so a multi-GB archive is judged in milliseconds): format, dialect, version.
 */
export async function inspectHeader(file: string, target: RestoreTarget): Promise<ArchiveHeaderInfo> {
  const header = await readHeader(file);
  checkTarget(header.database.dialect, header.app.version, target);
  return header;
}

/** The full manifest: for an encrypted archive this proves the password (PASSWORD_REQUIRED / PASSWORD_WRONG). */
export async function inspectArchive(file: string, target: RestoreTarget, password?: string): Promise<Manifest> {
  return (await inspectArchiveHeader(file, target, password)).manifest;
}

/**
 * inspectArchive, with the plain header (whether the archive is encrypted) and, given the app's key, the archive's
 * provenance, in one read of the archive (its central directory is what takes time: seconds at 500,000 files).
 */
export async function inspectArchiveHeader(
  file: string,
  target: RestoreTarget,
  password?: string,
  appKey?: string | null,
): Promise<{ header: ArchiveHeaderInfo; manifest: Manifest; provenance: ProvenanceRead }> {
  const read = await readHeaderAndManifest(file, {
    password,
    checkHeader: (header) => checkTarget(header.database.dialect, header.app.version, target),
    also: (z) => provenanceIn(z, appKey),
    // A restore holds the manifest until its files are staged: its entries packed (about 95 bytes each, not 217).
    packEntries: true,
  });
  checkTarget(read.manifest.database.dialect, read.manifest.app.version, target);
  return { header: read.header, manifest: read.manifest, provenance: read.also };
}

type ProvenanceRead = Awaited<ReturnType<typeof provenanceIn>>;

function checkTarget(dialect: string, version: string, target: RestoreTarget): void {
  if (dialect !== target.dialect && !(target.move && canMove(dialect, target.dialect))) {
    throw new BackupError('DIALECT_MISMATCH', { backup: dialect, current: target.dialect }, 422);
  }
  if (compareVersions(version, target.appVersion) > 0) {
    throw new BackupError('VERSION_NEWER', { backup: version, current: target.appVersion }, 422);
  }
}

/** Unpacks into a staging folder, checking every entry's size and SHA-256 on the way: live data is not touched. */
export async function stageArchive(
  file: string,
  manifest: Manifest,
  stagingDir: string,
  onProgress?: (percent: number) => void,
  password?: string,
  select?: (entry: ManifestEntry) => boolean,
): Promise<void> {
  await fs.promises.rm(stagingDir, { recursive: true, force: true });
  await fs.promises.mkdir(stagingDir, { recursive: true, mode: 0o700 });
  await extractVerified(file, manifest, stagingDir, {
    password,
    select,
    onProgress: (done: number, total: number) => onProgress?.(Math.floor((100 * done) / (total || 1))),
    modeOf: stagedFileMode(manifest),
  });
  await applyRecordedModes(manifest, stagingDir);
}

/** Replaces one database (the main one or a sub-application's) with a dump file. */
export async function restoreDump(
  db: DbConfig,
  dump: string,
  tmpDir: string,
  tools?: ToolPaths,
  opts: { checked?: boolean; onRestoreSpawn?: () => void; jobs?: number | null } = {},
): Promise<void> {
  // The restore pipeline checks every dump before its first live change and says so; anything else checks here.
  if (!opts.checked) await checkDump(db, dump, tmpDir, tools);
  const dumper = getDumper(db.dialect);
  if (dumper.kind === 'file') {
    if (!db.storage) throw new BackupError('TOOL_FAILED', { tool: 'sqlite', detail: 'DB_STORAGE is not set' }, 500);
    const incoming = `${db.storage}.bm-incoming`;
    await fs.promises.copyFile(dump, incoming);
    await replaceSqliteFile(incoming, db.storage);
    return;
  }
  await fs.promises.mkdir(tmpDir, { recursive: true, mode: 0o700 });
  const { tool } = await checkTools(dumper, db, tmpDir, tools);
  await runTool(dumper.resetSpec(db, tool, { tmpDir }));
  const plan = dumper.restoreSpec(db, tool, { tmpDir, jobs: await restoreJobs(dumper, dump, opts.jobs) }, dump);
  await runTool(plan.spec, { stdin: plan.stdinFile, onSpawn: opts.onRestoreSpawn });
}


/**
 * pg_restore -j N for a directory-format dump (a staged folder), chosen as for the dump (setting, else the cores);
 * one job for everything else, as before.
 */
export async function restoreJobs(dumper: { directoryFormat?: boolean }, dump: string, setting?: number | null): Promise<number> {
  if (!dumper.directoryFormat) return 1;
  const stat = await fs.promises.stat(dump).catch(() => null);
  return stat?.isDirectory() ? chooseJobs(setting, cpuCount()) : 1;
}
