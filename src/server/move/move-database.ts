import fs from 'fs';
import path from 'path';
import { getDumper } from '../dumpers';
import { resolveSqlite3, sqliteSchema } from '../dumpers/sqlite-snapshot';
import type { DbConfig, ToolInfo, ToolPaths } from '../dumpers/types';
import { checkTools } from '../engine/tool-check';
import { BackupError } from '../errors';
import { crashPoint } from '../restore/crash';
import { moveReport, planRound, planSecondRound, type CopyRound, type MoveReport, type SourceSchema } from './copy-plan';
import { copyRows } from './copy-rows';
import { offsetMinutes } from './encoders';
import { familyOf, readTargetSchema } from './target-schema';

// A restore into another kind of database (issue 20). A native dump cannot cross dialects, so the data travels
// through NocoBase's own model of it: NocoBase creates the schema on the target (a clean install, then, once the
// moved plugin list and collections are in, `db:sync`, which loads them and creates the tables of the plugins and
// collections the source had), and the rows are copied table by table into those tables, each value converted for
// the column NocoBase made (copy-rows.ts). Two rounds: the tables a clean install has (NocoBase's own metadata among
// them), then those db:sync created from the moved metadata. The caller's upgrade follows, as after any restore.

/**
 * NocoBase's own commands on the target database, run by the caller in the app folder. `scratch` is a private folder
 * for what they would write into the live storage folder (see scratchEnv): a rollback puts back the database and the
 * storage parts the journal set aside, not files NocoBase wrote beside them.
 */
export interface NocoBaseSteps {
  /** `nocobase install -f`: a clean install, every preset plugin's tables. */
  install(scratch: string): Promise<void>;
  /**
   * `nocobase db:sync`: loads the moved plugin list and collections (the collections table, which an upgrade does
   * not read: NocoBase loads it when the app starts) and creates their tables.
   */
  sync(scratch: string): Promise<void>;
}

/**
 * The environment that keeps NocoBase's install and db:sync out of the live storage folder: the install uploads
 * NocoBase's logo into the default local storage (`storage/uploads` under STORAGE_PATH, whatever LOCAL_STORAGE_DEST
 * says) and creates the app's key file when it is missing. Neither is needed: the copy replaces the storages and
 * attachments rows, and the storage step brings the backup's uploads and key files. So STORAGE_PATH is the scratch
 * folder, and PLUGIN_STORAGE_PATH stays the app's, where plugins added with `pm add` live. Measured: without it, a
 * move killed between the copy rounds left NocoBase's logo in storage/uploads after the rollback.
 */
export function scratchEnv(scratch: string, pluginStorage: string): Record<string, string> {
  // SOCKET_PATH too: NocoBase's CLI hands a command to the server listening there (its gateway socket, by default
  // under STORAGE_PATH, or SOCKET_PATH, or ~/.nocobase in Docker). A web restore runs these while its server listens:
  // they must run themselves, on the database being replaced, not in the server that is restoring.
  return { STORAGE_PATH: scratch, PLUGIN_STORAGE_PATH: pluginStorage, SOCKET_PATH: path.join(scratch, 'gateway.sock') };
}

export interface MoveInput {
  /** The staged SQLite database of the backup. */
  source: string;
  target: DbConfig;
  tools?: ToolPaths;
  /** 0700 scratch folder. */
  tmpDir: string;
  nocobase: NocoBaseSteps;
  /** DB_TIMEZONE of the target app (MySQL DATETIMEs are written in it). */
  timezone?: string;
  /** The app folder, where the sqlite3 module is looked up. */
  appDir: string;
  say?: (message: string) => void;
  /** Rows copied so far out of all the source's rows. */
  progress?: (copied: number, total: number, table: string) => void;
  signal?: AbortSignal;
  /** Rows read at a time (tests use small batches). */
  batchRows?: number;
}

export interface MoveCheck {
  source: SourceSchema;
  tool: ToolInfo;
  sqliteModule: string;
}

/**
 * Before anything is changed: the source is a SQLite file this app's sqlite3 module can read, the target's client
 * tools are there, DB_TIMEZONE is an offset. Answers what the move needs.
 */
export async function checkMove(input: Pick<MoveInput, 'source' | 'target' | 'tools' | 'tmpDir' | 'timezone' | 'appDir'>): Promise<MoveCheck> {
  const family = familyOf(input.target.dialect);
  if (family === 'sqlite') throw new BackupError('MOVE_UNSUPPORTED', { from: 'sqlite', to: input.target.dialect }, 422);
  offsetMinutesChecked(input.timezone);
  let sqliteModule: string;
  try {
    sqliteModule = resolveSqlite3(path.join(input.appDir, 'package.json'));
  } catch {
    throw new BackupError('MOVE_NEEDS_SQLITE3', {}, 422);
  }
  const source = await sqliteSchema(input.source, { modulePath: sqliteModule });
  const dumper = getDumper(input.target.dialect);
  if (dumper.kind !== 'tool') throw new BackupError('MOVE_UNSUPPORTED', { from: 'sqlite', to: input.target.dialect }, 422);
  await fs.promises.mkdir(input.tmpDir, { recursive: true, mode: 0o700 });
  const { tool } = await checkTools(dumper, input.target, input.tmpDir, input.tools);
  return { source, tool, sqliteModule };
}

function offsetMinutesChecked(zone: string | undefined): number {
  try {
    return offsetMinutes(zone);
  } catch {
    throw new BackupError('MOVE_TIMEZONE', { zone: zone ?? '' }, 422);
  }
}

/** Replaces the target database with the source's data, through NocoBase's schema. Answers the move's report. */
export async function moveDatabase(input: MoveInput, checked?: MoveCheck): Promise<MoveReport> {
  const say = input.say ?? (() => undefined);
  const { source, tool, sqliteModule } = checked ?? (await checkMove(input));
  const family = familyOf(input.target.dialect) as 'postgres' | 'mysql';
  const total = source.tables.reduce((n, t) => n + t.rows, 0);
  const rows: Record<string, number> = Object.create(null);
  const copied = () => Object.values(rows).reduce((a, b) => a + b, 0);
  const round = async (r: CopyRound) => {
    if (!r.tables.length && !r.truncate.length) return;
    const got = await copyRows({
      sqliteModule,
      file: input.source,
      plan: {
        family,
        schema: input.target.schema || 'public',
        offsetMinutes: offsetMinutesChecked(input.timezone),
        truncate: r.truncate,
        tables: r.tables,
        sequences: r.sequences,
        batchRows: input.batchRows ?? 5000,
      },
      db: input.target,
      tool,
      tmpDir: input.tmpDir,
      signal: input.signal,
      onProgress: (table, n) => {
        rows[table] = n;
        input.progress?.(copied(), total, table);
      },
    });
    Object.assign(rows, got);
  };

  const scratch = path.join(input.tmpDir, 'nocobase');
  await fs.promises.mkdir(scratch, { recursive: true, mode: 0o700 });
  say("Creating NocoBase's tables in the new database (nocobase install)");
  await input.nocobase.install(scratch);
  const first = planRound(source, await readTargetSchema(input.target, tool, input.tmpDir));
  say(`Copying ${first.tables.length} tables`);
  await round(first);

  crashPoint('move:sync');
  say('Creating the tables of the moved plugins and collections (nocobase db:sync)');
  await input.nocobase.sync(scratch);
  const target = await readTargetSchema(input.target, tool, input.tmpDir);
  const second = planSecondRound(source, target, first);
  crashPoint('move:copy2');
  if (second.tables.length) say(`Copying ${second.tables.length} more tables`);
  await round(second);
  // A table copied twice counts once: with the columns of its second copy.
  const again = new Set(second.tables.map((t) => t.source));
  return moveReport(source, target, [...first.tables.filter((t) => !again.has(t.source)), ...second.tables], rows);
}
