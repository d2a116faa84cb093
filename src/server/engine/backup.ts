import fs from 'fs';
import path from 'path';
import type { Phase } from '../../constants';
import { DUMP_DIR_TOC, MAIN_DUMP_DIR, dumpDirEntry, mainDumpEntry } from '../archive/layout';
import { signingKey } from '../archive/provenance';
import { ArchiveWriter } from '../archive/writer';
import type { DataSourceDump, ManifestHead, SkippedDataSource, SubAppDump } from '../archive/manifest-types';
import { buildManifest } from './backup-manifest';
import { sourceEntry } from '../datasources/kinds';
import { ToolError } from '../process/errors';
import { subAppEntry } from '../subapps/selection';
import { getDumper } from '../dumpers';
import { chooseJobs, cpuCount } from '../dumpers/parallel-jobs';
import { removeSqliteFiles } from '../dumpers/sqlite-files';
import { countAllSqliteRows, resolveSqlite3, snapshotSqlite, sqliteVersion } from '../dumpers/sqlite-snapshot';
import type { DbConfig, QueryText, ToolDumper, ToolPaths } from '../dumpers/types';
import { captureTool, runTool } from '../process/run';
import { BackupError } from '../errors';
import { countToolRows } from './row-counts';
import { checkTools } from './tool-check';
import { folderSize, freeBytes, storageParts } from './storage-parts';
import type { RequirementsDraft } from '../preflight/types';
import { readDumpHead } from '../preflight/dump-head';

export interface BackupInput {
  db: DbConfig;
  app: { name: string; version: string };
  plugin: { name: string; version: string };
  storage: string;
  archivesDir: string;
  tmpDir: string;
  fileName: string;
  include: { uploads: boolean; plugins: boolean };
  /** Tables whose rows stay out (their schema is kept): runtime tables and the admin's choices. */
  excludeTableData: string[];
  origin: string;
  /** The admin's note, written into the manifest. */
  note?: string;
  /** Sub-applications whose databases are dumped too (all of their data: NocoBase's runtime list is per app). */
  subApps?: { name: string; db: DbConfig }[];
  /** External data sources to dump with their engines' tools; one that cannot be dumped is skipped, not fatal. */
  dataSources?: { key: string; type: string; db: DbConfig }[];
  /** Requested sources that have no tool here (MSSQL, Oracle...), recorded as skipped with the reason. */
  skippedDataSources?: SkippedDataSource[];
  /** Encrypts the whole archive (keys included); undefined or '' makes a plain archive. */
  password?: string;
  /** The app's APP_KEY: the manifest is signed with a key derived from it (archive/provenance.ts). */
  appKey?: string;
  /** What a restore must match (preflight/gather.ts); completed here with the database and dump facts. */
  requirements?: RequirementsDraft;
  tools?: ToolPaths;
  /**
   * The main database (db) through a connection at hand, the app's: its server version, tables and row counts are
   * asked there, not through client processes (db/query-text.ts). The dump itself always runs the tool.
   */
  query?: QueryText;
  /** Parallel dump jobs of the main database (settings dumpJobs): null or absent is automatic (parallel-jobs.ts). */
  jobs?: number | null;
  onProgress?: (phase: Phase, percent: number) => void;
  signal?: AbortSignal;
}

export interface BackupResult {
  filePath: string;
  size: number;
  /** The manifest but its entries (their count and bytes instead): readManifest gives them back. */
  manifest: ManifestHead;
}

const DB_SHARE = 60; // percent of the bar for the database dump; files get the rest

/** Dumps the database with its own tool and streams it, with the storage parts, into one verified archive. */
export async function createBackup(input: BackupInput): Promise<BackupResult> {
  const progress = input.onProgress || (() => undefined);
  progress('checking', 0);
  const dumper = getDumper(input.db.dialect);
  await fs.promises.mkdir(input.tmpDir, { recursive: true, mode: 0o700 });
  const parts = storageParts(input.storage, input.app.name).filter(
    (p) => p.name === 'keys' || (p.name === 'uploads' ? input.include.uploads : input.include.plugins),
  );
  // The storage folders are measured (one `find`, or a worker thread: folderSize) while the tools are checked and the
  // files packed: at 500,000 files the walk took about 3 s, which the backup waited for before it started. The disk-space check runs as soon
  // as the size is known; a disk too small stops the backup then (DISK_FULL), its partial file removed.
  const dirs = parts.filter((p) => p.kind === 'dir').map((p) => p.source);
  const sizing = Promise.all([folderSize(...dirs), ...parts.filter((p) => p.kind === 'file').map((p) => fileSize(p.source))]);
  sizing.catch(() => undefined); // awaited below, after a tool check that may fail first
  const checked = dumper.kind === 'tool' ? await checkTools(dumper, input.db, input.tmpDir, input.tools, input.query) : undefined;
  // SQLite has no server: the version recorded is the library's, read with the app's module as the snapshot is.
  const serverVersion = checked ? checked.serverVersion : await readSqliteVersion(input);
  const dbEstimate = input.db.dialect === 'sqlite' && input.db.storage ? await fileSize(input.db.storage) : 0;
  let filesBytes = 0; // unknown until the sizing ends
  let noRoom: unknown = null;
  const room = sizing.then(async (sizes) => {
    filesBytes = sizes.reduce((a, b) => a + b, 0);
    await assertFreeSpace(input.archivesDir, filesBytes + dbEstimate);
  });
  room.catch((err) => (noRoom = err));
  await fs.promises.mkdir(input.archivesDir, { recursive: true, mode: 0o700 });

  const finalPath = path.join(input.archivesDir, input.fileName);
  const writer = await ArchiveWriter.create(finalPath, {
    tmpDir: input.tmpDir,
    password: input.password,
    signingKey: signingKey(input.appKey),
  });
  // The database dump runs in its child process into a 0600 temporary file while this process packs the storage
  // files; the dump is appended when both are done. Wall time is then about the longer of the two, not their sum
  // (docs/benchmarks.md), at the cost of temporary disk space for the dump.
  const dumpFile = path.join(input.tmpDir, `db-${process.pid}-${Date.now()}.part`);
  // PostgreSQL family with more than one job: pg_dump -Fd -j N writes a folder (private: tmpDir is 0700) whose files
  // become entries under one prefix; one job keeps today's single stream (-Fc), one entry.
  const jobs = dumper.kind === 'tool' && dumper.directoryFormat ? chooseJobs(input.jobs, cpuCount()) : 1;
  const dumpDir = jobs > 1 ? `${dumpFile}.dir` : undefined;
  const dumpEntry = dumpDir ? MAIN_DUMP_DIR : mainDumpEntry(input.db.dialect);
  const stopDump = new AbortController();
  const onAbort = () => stopDump.abort();
  input.signal?.addEventListener('abort', onAbort);
  const dumpInput = { ...input, signal: stopDump.signal };
  try {
    progress('dumping database', 1);
    const dumping =
      dumper.kind === 'tool' && checked
        ? dumpWithTool(dumper, dumpInput, checked.tool, dumpFile, dumpDir ? { path: dumpDir, jobs } : undefined)
        : dumpSqlite(dumpInput, dumpFile);
    // Awaited below; a dump that fails while files are packed stops the packing at its next file (no point finishing
    // it: at 500,000 files that was ten seconds before the error showed).
    let dumpFailed: unknown = null;
    dumping.catch((err) => (dumpFailed = err));
    // Row counts per table, for verify. A backup whose dump succeeded is kept even if counting fails (verify then
    // checks that the dump restores, without counts). Server databases are counted as soon as the dump ends (while
    // files may still be packed), outside its snapshot: concurrent writes can make them differ, and verify reports
    // that as a mismatch.
    const counting = dumping.then((snapshotCounts) =>
      dumper.kind === 'tool' && checked
        ? bestEffort(
            countToolRows(dumper, input.db, checked.tool, { tmpDir: input.tmpDir, zero: input.excludeTableData, signal: input.signal, query: input.query }),
            input.signal,
          )
        : snapshotCounts,
    );
    counting.catch(() => undefined);
    let done = 0;
    const included: string[] = ['database'];
    try {
      for (const part of parts) {
        if (part.kind === 'dir') {
          if (!fs.existsSync(part.source)) continue;
          const before = done;
          const added = await writer.addDirectory(part.entry, part.source, {
            onProgress: (bytes: number) => {
              if (noRoom) throw noRoom;
              if (dumpFailed) throw dumpFailed;
              done = before + bytes;
              progress('packing files', filesBytes ? 2 + Math.min(60, Math.floor((60 * done) / filesBytes)) : 2);
            },
          });
          done = before + added.bytes;
        } else {
          if (!fs.existsSync(part.source)) continue;
          await writer.addFile(part.entry, part.source);
        }
        if (!included.includes(part.name)) included.push(part.name);
      }
      await room;
    } catch (err) {
      stopDump.abort();
      await dumping.catch(() => undefined);
      await counting.catch(() => undefined);
      throw err;
    }
    progress('dumping database', 65);
    await dumping;
    // The dump's own format version (pg custom format header), for the pre-flight of a restore elsewhere.
    const dumpHead = await readDumpHead(dumpDir ? path.join(dumpDir, DUMP_DIR_TOC) : dumpFile);
    progress('packing files', 80);
    if (dumpDir) {
      await addDumpFolder(writer, dumpDir);
      await fs.promises.rm(dumpDir, { recursive: true, force: true });
    } else {
      await writer.addFile(dumpEntry, dumpFile);
    }
    await fs.promises.rm(dumpFile, { force: true });
    const apps: SubAppDump[] = [];
    for (const sub of input.subApps || []) {
      const entry = subAppEntry(sub.name, sub.db.dialect);
      await dumpWhole(sub.db, input, dumpFile);
      await writer.addFile(entry, dumpFile);
      await fs.promises.rm(dumpFile, { force: true });
      apps.push({ name: sub.name, dialect: sub.db.dialect, database: sub.db.dialect === 'sqlite' ? undefined : sub.db.database, schema: sub.db.schema, dump: entry });
    }
    const sources: DataSourceDump[] = [];
    const skipped: SkippedDataSource[] = [...(input.skippedDataSources || [])];
    for (const src of input.dataSources || []) {
      const entry = sourceEntry(src.key);
      try {
        await dumpWhole(src.db, input, dumpFile);
      } catch (err) {
        if (input.signal?.aborted) throw err;
        const detail = err instanceof ToolError ? err.stderrTail.trim().slice(-300) || err.message : (err as Error).message;
        skipped.push({ key: src.key, type: src.type, reason: 'DATASOURCE_DUMP_FAILED', detail });
        await fs.promises.rm(dumpFile, { force: true });
        continue;
      }
      await writer.addFile(entry, dumpFile);
      await fs.promises.rm(dumpFile, { force: true });
      sources.push({ key: src.key, type: src.type, dialect: src.db.dialect, database: src.db.database, schema: src.db.schema, dump: entry });
    }
    const tables = await counting;
    progress('finalising', 98);
    const manifest = buildManifest({
      createdAt: new Date().toISOString(),
      app: input.app,
      plugin: input.plugin,
      origin: input.origin,
      note: input.note,
      db: input.db,
      serverVersion,
      tool: checked?.tool,
      dump: dumpEntry,
      dumpFormat: dumper.kind === 'tool' && dumper.directoryFormat ? { format: dumpDir ? 'directory' : 'custom', jobs } : undefined,
      excludedTableData: input.excludeTableData,
      tables,
      parts: included,
      apps,
      dataSources: sources,
      skippedDataSources: skipped,
      requirements: input.requirements,
      dumpHead,
    });
    const result = await writer.finish(manifest);
    progress('done', 100);
    return { filePath: finalPath, size: result.size, manifest: result.manifest };
  } catch (err) {
    await writer.abort();
    throw err;
  } finally {
    input.signal?.removeEventListener('abort', onAbort);
    await removeDumpFile(dumpFile);
    if (dumpDir) await fs.promises.rm(dumpDir, { recursive: true, force: true });
  }
}

/**
 * The temporary dump and, for SQLite, the side files of the snapshot written into it: a snapshot child stopped in
 * the middle of its VACUUM INTO leaves the snapshot's rollback journal beside it.
 */
const removeDumpFile = (file: string) => removeSqliteFiles(file, { withFile: true });

/**
 * The files of a directory-format dump, each its own entry under MAIN_DUMP_DIR (sized and hashed like any other).
 * pg_dump writes a flat folder: anything else there (a folder, a link) was not written by it and fails the backup.
 */
async function addDumpFolder(writer: ArchiveWriter, dir: string): Promise<void> {
  const names = (await fs.promises.readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const item of names) {
    if (!item.isFile()) throw new BackupError('TOOL_FAILED', { tool: 'pg_dump', detail: `unexpected item in the dump folder: ${item.name}` }, 500);
    await writer.addFile(dumpDirEntry(MAIN_DUMP_DIR, item.name), path.join(dir, item.name));
  }
}

/** A sub-application's (or external data source's) database, whole, into `file`, with its engine's tools. */
async function dumpWhole(db: DbConfig, input: BackupInput, file: string): Promise<void> {
  const dumper = getDumper(db.dialect);
  if (dumper.kind === 'tool') {
    const { tool } = await checkTools(dumper, db, input.tmpDir, input.tools);
    await dumpWithTool(dumper, { ...input, db, excludeTableData: [] }, tool, file);
    return;
  }
  if (!db.storage) throw new BackupError('TOOL_FAILED', { tool: 'sqlite', detail: 'no SQLite file for a sub-application' }, 500);
  await snapshotSqlite(db.storage, file, { emptyTables: [], signal: input.signal });
}

/**
 * Runs the dump tool(s) into `file` (0600); several commands append in order (see ToolDumper.dumpPlan). With
 * `directory`, the tool writes that folder itself (pg_dump -Fd -j N) and `file` stays empty.
 */
async function dumpWithTool(
  dumper: ToolDumper,
  input: BackupInput,
  tool: Parameters<ToolDumper['dumpSpec']>[1],
  file: string,
  directory?: { path: string; jobs: number },
): Promise<undefined> {
  // DB_TABLE_PREFIX on a shared MySQL-family database: the dump names the app's tables (pg_dump takes a pattern).
  const tables =
    input.db.tablePrefix && dumper.listDumpTablesSpec
      ? dumper.parseTableList(await captureTool(dumper.listDumpTablesSpec(input.db, tool, { tmpDir: input.tmpDir }), { signal: input.signal }))
      : undefined;
  const specs = dumper.dumpPlan(input.db, tool, { excludeTableData: input.excludeTableData, tmpDir: input.tmpDir, tables, directory });
  // The tool writes the file itself, as `pg_dump -f` would: no byte of the dump passes through the server's heap.
  // 'a' (O_APPEND): several commands of one plan append in order.
  const out = await fs.promises.open(file, 'a', 0o600);
  try {
    for (const spec of specs) {
      await runTool(spec, { stdout: out.fd, signal: input.signal });
    }
  } finally {
    await out.close();
  }
  return undefined;
}

/** Returns the snapshot's row counts: exact, as the snapshot is what gets packed. */
async function dumpSqlite(input: BackupInput, snapshot: string): Promise<Record<string, number> | undefined> {
  if (!input.db.storage) throw new BackupError('TOOL_FAILED', { tool: 'sqlite', detail: 'DB_STORAGE is not set' }, 500);
  await snapshotSqlite(input.db.storage, snapshot, { emptyTables: input.excludeTableData, signal: input.signal });
  const modulePath = resolveSqlite3(input.db.storage);
  return bestEffort(countAllSqliteRows(snapshot, { modulePath, signal: input.signal }), input.signal);
}

/** The SQLite library's version (sqlite_version()), from the app's own sqlite3 module. */
async function readSqliteVersion(input: BackupInput): Promise<string> {
  if (!input.db.storage) throw new BackupError('TOOL_FAILED', { tool: 'sqlite', detail: 'DB_STORAGE is not set' }, 500);
  return sqliteVersion({ modulePath: resolveSqlite3(input.db.storage), signal: input.signal });
}

/** Row counting may fail without failing the backup (see createBackup); a cancel still cancels. */
function bestEffort<T>(work: Promise<T>, signal?: AbortSignal): Promise<T | undefined> {
  return work.catch((err) => {
    if (signal?.aborted) throw err;
    return undefined;
  });
}

async function fileSize(p: string): Promise<number> {
  try {
    return (await fs.promises.stat(p)).size;
  } catch {
    return 0;
  }
}

async function assertFreeSpace(dir: string, estimate: number): Promise<void> {
  await fs.promises.mkdir(dir, { recursive: true, mode: 0o700 });
  const free = await freeBytes(dir);
  const needed = Math.ceil(estimate * 1.1) + 64 * 1024 * 1024;
  if (free < needed) throw new BackupError('DISK_FULL', { needed: human(needed), free: human(free) }, 507);
}

export function human(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  let n = bytes;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
}
