import { randomBytes } from 'crypto';
import fs from 'fs';
import path from 'path';
import { pipeline } from 'stream/promises';
import { dumpDirEntry, extractVerified, openEntryStream, verifyArchive } from '../archive';
import type { Manifest } from '../archive/manifest-types';
import { getDumper } from '../dumpers';
import { countAllSqliteRows, resolveSqlite3 } from '../dumpers/sqlite-snapshot';
import type { DbConfig, ToolDumper, ToolInfo, ToolPaths } from '../dumpers/types';
import { BackupError } from '../errors';
import { ToolError } from '../process/errors';
import { runTool } from '../process/run';
import { countToolRows } from './row-counts';
import { checkDump } from './dump-check';
import { checkTools } from './tool-check';
import { restoreJobs } from './restore';

export interface VerifyInput {
  /** The server the scratch copy is made on; its own database is never written to. */
  db: DbConfig;
  /** Scratch folder (0700) for the extracted dump and option files; removed by the caller. */
  tmpDir: string;
  tools?: ToolPaths;
  /** For an encrypted archive (PASSWORD_REQUIRED / PASSWORD_WRONG without the right one). */
  password?: string;
  signal?: AbortSignal;
  onProgress?: (step: VerifyStep, percent: number) => void;
}

export type VerifyStep = 'checksums' | 'restoring' | 'counting';

export interface TableMismatch {
  table: string;
  expected: number;
  actual: number;
}

export interface VerifyReport {
  ok: boolean;
  /** Tables checked against the manifest's counts; the tables found in the copy when it has none. */
  tables: number;
  mismatches: TableMismatch[];
  /** Tables the manifest lists that the restored copy lacks. */
  missing: string[];
  /** False for backups made before row counts were recorded: only the checksums and the restore were checked. */
  counted: boolean;
  /**
   * SQLite counts come from the very snapshot that was packed. Server databases were counted right after the dump,
   * outside its snapshot: writes made meanwhile show up as mismatches.
   */
  exact: boolean;
  /** Archive entries whose size and SHA-256 were checked. */
  entries: number;
  dialect: DbConfig['dialect'];
}

/**
 * Checks a backup end to end without touching the app's data: every entry's checksum, then the dump restored into
 * a scratch copy (a temporary database on the same server, or a temporary SQLite file) whose tables and row counts
 * must match the manifest. The scratch copy is always dropped. Damage in the archive throws (ArchiveError, e.g.
 * CHECKSUM_MISMATCH naming the entry); differing counts are reported with ok = false.
 */
export async function verifyBackup(file: string, input: VerifyInput): Promise<VerifyReport> {
  const progress = input.onProgress ?? (() => undefined);
  progress('checksums', 0);
  const manifest = await verifyArchive(file, {
    password: input.password,
    signal: input.signal,
    onProgress: (done, total) => progress('checksums', Math.floor((60 * done) / Math.max(total, 1))),
  });
  if (manifest.database.dialect !== input.db.dialect) {
    throw new BackupError('DIALECT_MISMATCH', { backup: manifest.database.dialect, current: input.db.dialect }, 422);
  }
  await fs.promises.mkdir(input.tmpDir, { recursive: true, mode: 0o700 });
  const directory = manifest.database.dumpFormat === 'directory';
  const scratch = path.join(
    input.tmpDir,
    `verify-${randomBytes(6).toString('hex')}${directory ? '' : path.extname(manifest.database.dump)}`,
  );
  try {
    progress('restoring', 60);
    // Streamed again, checked again: the copy restored is exactly what was verified. A directory-format dump is
    // its folder's entries, staged as a restore stages them.
    let dump = scratch;
    if (directory) {
      const prefix = dumpDirEntry(manifest.database.dump, '');
      await fs.promises.mkdir(scratch, { mode: 0o700 });
      await extractVerified(file, manifest, scratch, { password: input.password, signal: input.signal, select: (e) => e.path.startsWith(prefix) });
      dump = path.join(scratch, manifest.database.dump);
    } else {
      await pipeline(
        await openEntryStream(file, manifest.database.dump, { manifest, password: input.password }),
        fs.createWriteStream(scratch, { mode: 0o600 }),
      );
    }
    const actual = await restoredCounts(dump, input, progress);
    return compare(manifest, actual);
  } finally {
    await fs.promises.rm(scratch, { recursive: true, force: true });
  }
}

async function restoredCounts(
  dump: string,
  input: VerifyInput,
  progress: (step: VerifyStep, percent: number) => void,
): Promise<Record<string, number>> {
  const dumper = getDumper(input.db.dialect);
  if (dumper.kind === 'file') {
    // The extracted file is already a private copy: opening and counting it is the restore test.
    progress('counting', 90);
    const modulePath = resolveSqlite3(input.db.storage);
    return countAllSqliteRows(dump, { modulePath, signal: input.signal });
  }
  const { tool } = await checkTools(dumper, input.db, input.tmpDir, input.tools);
  const scratch = scratchName();
  return withScratchDatabase(dumper, input, tool, scratch, async (cfg) => {
    const opts = { tmpDir: input.tmpDir };
    // As a restore would, before anything runs: the app's own database counts as another one here.
    await checkDump(cfg, dump, input.tmpDir, input.tools);
    // The same two steps as a real restore (restore.ts), so verify proves what a restore would do.
    await runTool(dumper.resetSpec(cfg, tool, opts), { signal: input.signal });
    const plan = dumper.restoreSpec(cfg, tool, { ...opts, jobs: await restoreJobs(dumper, dump) }, dump);
    await runTool(plan.spec, { stdin: plan.stdinFile, signal: input.signal });
    progress('counting', 90);
    return countToolRows(dumper, cfg, tool, { tmpDir: input.tmpDir, signal: input.signal });
  });
}

/** `bm_verify_<12 hex>`: lower case, so no server folds or quotes it differently; recognisable if ever left over. */
export function scratchName(): string {
  return `bm_verify_${randomBytes(6).toString('hex')}`;
}

/** Creates the scratch database, runs `work` on a config pointing at it, and always drops it again. */
async function withScratchDatabase<T>(
  dumper: ToolDumper,
  input: VerifyInput,
  tool: ToolInfo,
  name: string,
  work: (cfg: DbConfig) => Promise<T>,
): Promise<T> {
  if (name === input.db.database) throw new Error('The scratch database must not be the app database');
  const opts = { tmpDir: input.tmpDir };
  try {
    await runTool(dumper.createDatabaseSpec(input.db, tool, name, opts), { signal: input.signal });
  } catch (err) {
    const detail = err instanceof ToolError ? err.stderrTail.trim().slice(-500) || err.message : (err as Error).message;
    throw new BackupError('VERIFY_SCRATCH_FAILED', { user: input.db.user || '', detail }, 500, { cause: err });
  }
  let result: T;
  try {
    result = await work({ ...input.db, database: name });
  } catch (err) {
    // Not under the signal: a cancelled verify still cleans up.
    await runTool(dumper.dropDatabaseSpec(input.db, tool, name, opts)).catch(() => undefined);
    throw err;
  }
  try {
    await runTool(dumper.dropDatabaseSpec(input.db, tool, name, opts));
  } catch (err) {
    const detail = `the temporary database ${name} could not be dropped: ${(err as Error).message}`;
    throw new BackupError('TOOL_FAILED', { tool: path.basename(tool.tools?.client || tool.command), detail }, 500, {
      cause: err,
    });
  }
  return result;
}

/** Pure: the manifest's counts against those of the restored copy. */
export function compare(manifest: Manifest, actual: Record<string, number>): VerifyReport {
  const expected = manifest.database.tables;
  const base = {
    exact: manifest.database.dialect === 'sqlite',
    entries: manifest.entries.length,
    dialect: manifest.database.dialect,
  };
  if (!expected) {
    return { ok: true, tables: Object.keys(actual).length, mismatches: [], missing: [], counted: false, ...base };
  }
  const has = (table: string) => Object.prototype.hasOwnProperty.call(actual, table);
  const missing = Object.keys(expected).filter((table) => !has(table));
  const mismatches = Object.entries(expected)
    .filter(([table, count]) => has(table) && actual[table] !== count)
    .map(([table, count]) => ({ table, expected: count, actual: actual[table] }));
  const ok = !missing.length && !mismatches.length;
  return { ok, tables: Object.keys(expected).length, mismatches, missing, counted: true, ...base };
}

/** One line for logs, the task's error and the CLI: what differs, and why server counts may. */
export function describeReport(report: VerifyReport): string {
  if (report.ok) return `${report.tables} tables checked, ${report.entries} entries intact`;
  const parts: string[] = [];
  if (report.missing.length) parts.push(`missing tables: ${list(report.missing)}`);
  if (report.mismatches.length) {
    const items = report.mismatches.map((m) => `${m.table} (${m.expected} recorded, ${m.actual} restored)`);
    parts.push(`row counts differ: ${list(items)}`);
  }
  const why = report.exact
    ? ''
    : '. The counts were taken right after the dump: rows written meanwhile also show up here, so verify again or make a new backup';
  return `${parts.join('; ')}${why}`;
}

function list(items: string[], max = 10): string {
  return items.length > max ? `${items.slice(0, max).join(', ')} and ${items.length - max} more` : items.join(', ');
}
