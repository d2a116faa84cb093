import fs from 'fs';
import path from 'path';
import type { Requirements } from '../archive/manifest-types';
import { freeBytes } from '../archive/free-space';
import { getDumper, getToolDumper } from '../dumpers';
import { pgMajor } from '../dumpers/postgres';
import type { DbConfig, ToolInfo, ToolPaths } from '../dumpers/types';
import { checkTools } from '../engine/tool-check';
import { folderSize } from '../engine/storage-parts';
import type { BackupPaths } from '../paths';
import { captureTool } from '../process/run';
import { pgRestoreReads } from './dump-format';
import { missingPrivileges, privilegesSql } from './privileges';
import { sqlOfTool, type SqlValue } from './sql';
import type { InstalledPlugin, TargetFacts } from './types';

// The I/O of the pre-flight: facts about this application, read without changing anything. A fact that cannot be read
// is left out (the report says so) rather than failing the report.

export interface FactsInput {
  db: DbConfig;
  /** DB_UNDERSCORED of this app (the database options in the app, the .env for the standalone command). */
  underscored: boolean;
  nocobaseVersion?: string;
  /** Where NocoBase resolves plugin packages from: the app folder's node_modules (and NODE_MODULES_PATH). */
  appDir: string;
  paths: BackupPaths;
  requirements?: Requirements;
  /** Bytes the staging copy takes: the manifest's entries, or the archive's size when only its header is known. */
  stagingBytes: number;
  /** The safety backup is made first: its size (this app's database and storage folders) counts too. */
  safetyBackup: boolean;
  /** The app's own connection; without it the database's client tool is used. */
  sql?: SqlValue;
  tools?: ToolPaths;
}

export async function gatherTargetFacts(input: FactsInput): Promise<TargetFacts> {
  const { db } = input;
  const tmpDir = path.join(input.paths.tmp, `preflight-${process.pid}-${Date.now()}`);
  await fs.promises.mkdir(tmpDir, { recursive: true, mode: 0o700 });
  try {
    const tool = await toolInfo(db, tmpDir, input.tools, input.requirements);
    // SQLite needs no connection for its facts (the file is looked at directly).
    const sql = input.sql ?? (tool && db.dialect !== 'sqlite' ? sqlOfTool(db, tool.info, tmpDir) : undefined);
    const mysql = db.dialect === 'mysql' || db.dialect === 'mariadb';
    return {
      dialect: db.dialect,
      nocobaseVersion: input.nocobaseVersion,
      plugins: installedPlugins(input.requirements, input.appDir, input.paths.storage),
      db: {
        underscored: input.underscored,
        schema: db.schema,
        tablePrefix: db.tablePrefix,
        lowerCaseTableNames: mysql && sql ? await lowerCaseTableNames(sql) : undefined,
      },
      restoreTool: tool?.restore,
      disk: await disk(input, sql),
      privileges: await privileges(db, sql),
    };
  } finally {
    await fs.promises.rm(tmpDir, { recursive: true, force: true });
  }
}

/** The restore tool here and the newest dump format it reads; undefined when the database has none (missing tool). */
async function toolInfo(
  db: DbConfig,
  tmpDir: string,
  tools?: ToolPaths,
  requirements?: Requirements,
): Promise<{ info: ToolInfo; restore: NonNullable<TargetFacts['restoreTool']> } | undefined> {
  const dumper = getDumper(db.dialect);
  const sqlite = { command: 'sqlite', version: '', flavour: 'sqlite' };
  // A PostgreSQL backup moved into SQLite is read with pg_restore (move/move-into-sqlite.ts): its version is the one
  // that matters (undefined, so the report says it is missing, when it is not here).
  if (dumper.kind === 'file' && requirements?.dumpFormat.tool === 'pg_dump') {
    const restore = await pgRestoreFacts(tools?.restore || getToolDumper('postgres').defaultTools.restore, tools, null);
    return restore && { info: sqlite, restore };
  }
  if (dumper.kind === 'file') return { info: sqlite, restore: { tool: 'sqlite', version: '' } };
  let info: ToolInfo;
  try {
    info = (await checkTools(dumper, db, tmpDir, tools)).tool;
  } catch {
    return undefined;
  }
  if (db.dialect === 'postgres' || db.dialect === 'kingbase') {
    const restore = await pgRestoreFacts(info.tools?.restore ?? dumper.defaultTools.restore, tools, info.version);
    return restore && { info, restore };
  }
  const client = info.tools?.client ?? dumper.defaultTools.client;
  return { info, restore: { tool: path.basename(client), version: info.version } };
}

/**
 * pg_restore's version and the newest dump format it reads. Without an answer, `dumpVersion` (pg_dump's, which comes
 * with it) stands for it; with none, undefined.
 */
async function pgRestoreFacts(restore: string, tools: ToolPaths | undefined, dumpVersion: string | null): Promise<NonNullable<TargetFacts['restoreTool']> | undefined> {
  const facts = (version: string) => {
    const major = pgMajor(version)?.value;
    return { tool: path.basename(restore), version, reads: major ? pgRestoreReads(Math.floor(major)) : undefined };
  };
  try {
    return facts(getToolDumper('postgres').parseToolVersion(await captureTool({ command: restore, args: ['--version'], env: {} }), tools).version);
  } catch {
    return dumpVersion === null ? undefined : facts(dumpVersion);
  }
}

/** Each plugin the backup had enabled, looked up as NocoBase would find its package here. */
function installedPlugins(req: Requirements | undefined, appDir: string, storage: string): Record<string, InstalledPlugin | null> {
  const roots = [path.join(appDir, 'node_modules'), ...(process.env.NODE_MODULES_PATH ? [process.env.NODE_MODULES_PATH] : []), path.join(storage, 'plugins')];
  const found: Record<string, InstalledPlugin | null> = {};
  for (const p of req?.plugins ?? []) {
    const names = p.packageName ? [p.packageName] : [p.name, `@nocobase/plugin-${p.name}`, `@nocobase/preset-${p.name}`];
    let hit: InstalledPlugin | null = null;
    for (const name of names) {
      for (const root of roots) {
        const version = packageVersion(path.join(root, name, 'package.json'));
        if (version) {
          hit = { version };
          break;
        }
      }
      if (hit) break;
    }
    found[p.packageName || p.name] = hit;
  }
  return found;
}

function packageVersion(file: string): string | undefined {
  try {
    const v = (JSON.parse(fs.readFileSync(file, 'utf8')) as { version?: unknown }).version;
    return typeof v === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

async function lowerCaseTableNames(sql: SqlValue): Promise<number | undefined> {
  const v = await sql('SELECT @@lower_case_table_names').catch(() => null);
  return v !== null && /^\d+$/.test(v) ? Number(v) : undefined;
}

async function privileges(db: DbConfig, sql?: SqlValue): Promise<TargetFacts['privileges']> {
  if (db.dialect === 'sqlite') {
    // The snapshot is swapped in by rename: the folder and the file must be writable.
    const file = db.storage;
    if (!file) return null;
    const ok = await fs.promises.access(path.dirname(file), fs.constants.W_OK).then(() => true, () => false);
    return { ok, missing: ok ? '' : `write access to ${path.dirname(file)}` };
  }
  const q = privilegesSql(db);
  if (!q || !sql) return null;
  try {
    const json = await sql(q);
    if (!json) return null;
    const missing = missingPrivileges(db, json);
    return missing === null ? null : { ok: !missing, missing };
  } catch {
    return null;
  }
}

/**
 * Room for the staging copy and the safety backup (this database and the storage folders a restore replaces).
 * Measured on the staging folder's filesystem, and on the archive folder's when it is another one.
 */
async function disk(input: FactsInput, sql?: SqlValue): Promise<TargetFacts['disk']> {
  const safety = input.safetyBackup ? await safetyBytes(input, sql) : 0;
  const staging = await measure(input.paths.tmp);
  const archives = await measure(input.paths.archives);
  if (!staging || !archives) return undefined;
  if (staging.dev === archives.dev) return { free: staging.free, needed: input.stagingBytes + safety, where: staging.where };
  const a = { free: staging.free, needed: input.stagingBytes, where: staging.where };
  const b = { free: archives.free, needed: safety, where: archives.where };
  return a.free - a.needed <= b.free - b.needed ? a : b;
}

export async function measure(dir: string): Promise<{ free: number; where: string; dev: number } | undefined> {
  try {
    const { free, where } = await freeBytes(dir);
    return { free: testFreeBytes() ?? free, where, dev: (await fs.promises.stat(where)).dev };
  } catch {
    return undefined;
  }
}

/**
 * Test-only, like BM_TEST_CRASH_FILE (restore/crash.ts): BM_TEST_FREE_SPACE_FILE names a file whose number, while it
 * exists, is taken as the free bytes; a real full disk cannot be made on a shared test machine.
 */
function testFreeBytes(): number | undefined {
  const file = process.env.BM_TEST_FREE_SPACE_FILE;
  if (!file) return undefined;
  try {
    const n = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

async function safetyBytes(input: FactsInput, sql?: SqlValue): Promise<number> {
  return appDataBytes(input.db, input.paths.storage, sql);
}

/** This database's size and the storage folders a backup carries (uploads, plugins): a backup's size before any was made. */
export async function appDataBytes(db: DbConfig, storage: string, sql?: SqlValue): Promise<number> {
  const files = await folderSize(path.join(storage, 'uploads'), path.join(storage, 'plugins'));
  let database = 0;
  if (db.dialect === 'sqlite') database = db.storage ? await fs.promises.stat(db.storage).then((s) => s.size, () => 0) : 0;
  else if (sql) {
    const q =
      db.dialect === 'postgres' || db.dialect === 'kingbase'
        ? 'SELECT pg_database_size(current_database())'
        : 'SELECT COALESCE(SUM(data_length + index_length), 0) FROM information_schema.tables WHERE table_schema = DATABASE()';
    database = Number(await sql(q).catch(() => '0')) || 0;
  }
  return files + database;
}
