import fs from 'fs';
import path from 'path';
import { getDumper } from '../dumpers';
import { resolveSqlite3, sqliteSchema } from '../dumpers/sqlite-snapshot';
import type { ToolInfo } from '../dumpers/types';
import { checkTools } from '../engine/tool-check';
import { BackupError } from '../errors';
import type { MoveReport, SourceSchema } from './copy-plan';
import { copyRows } from './copy-rows';
import { canMove } from './crossing';
import { checkMoveIntoSqlite, moveIntoSqlite, type IntoSqliteCheck } from './move-into-sqlite';
import { offsetMinutes } from './encoders';
import type { MoveInput } from './move-input';
import { runMoveRounds } from './move-rounds';
import { familyOf, readTargetSchema } from './target-schema';

// A restore into another kind of database (issue 20). A native dump cannot cross dialects, so the data travels
// through NocoBase's own model of it: NocoBase creates the schema on the target (a clean install, then, once the
// moved plugin list and collections are in, `db:sync`, which loads them and creates the tables of the plugins and
// collections the source had), and the rows are copied table by table into those tables, each value converted for
// the column NocoBase made (copy-rows.ts). Two rounds: the tables a clean install has (NocoBase's own metadata among
// them), then those db:sync created from the moved metadata. The caller's upgrade follows, as after any restore.

export interface FromSqliteCheck {
  source: SourceSchema;
  tool: ToolInfo;
  sqliteModule: string;
}

export type MoveCheck = { into: 'server'; check: FromSqliteCheck } | { into: 'sqlite'; check: IntoSqliteCheck };

type CheckInput = Pick<MoveInput, 'from' | 'source' | 'sourceRows' | 'target' | 'tools' | 'tmpDir' | 'timezone' | 'appDir'>;

/** Before anything is changed: what the move needs is here and reads the source (move-into-sqlite.ts for SQLite). */
export async function checkMove(input: CheckInput): Promise<MoveCheck> {
  const from = input.from ?? 'sqlite';
  if (!canMove(from, input.target.dialect)) throw new BackupError('MOVE_UNSUPPORTED', { from, to: input.target.dialect }, 422);
  if (input.target.dialect === 'sqlite') return { into: 'sqlite', check: await checkMoveIntoSqlite(input) };
  return { into: 'server', check: await checkFromSqlite(input) };
}

/**
 * A SQLite backup into a server database: the source is a SQLite file this app's sqlite3 module can read, the
 * target's client tools are there, DB_TIMEZONE is an offset.
 */
async function checkFromSqlite(input: CheckInput): Promise<FromSqliteCheck> {
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
  const c = checked ?? (await checkMove(input));
  return c.into === 'sqlite' ? moveIntoSqlite(input, c.check) : moveFromSqlite(input, c.check);
}

async function moveFromSqlite(input: MoveInput, checked: FromSqliteCheck): Promise<MoveReport> {
  const { source, tool, sqliteModule } = checked;
  const family = familyOf(input.target.dialect) as 'postgres' | 'mysql';
  return runMoveRounds({
    ...input,
    source,
    say: input.say ?? (() => undefined),
    where: 'the new database',
    readTarget: () => readTargetSchema(input.target, tool, input.tmpDir),
    copy: (r, onProgress) =>
      copyRows({
        sqliteModule,
        file: input.source,
        plan: {
          family,
          schema: input.target.schema || 'public',
          offsetMinutes: offsetMinutesChecked(input.timezone),
          truncate: r.truncate,
          tables: r.tables,
          sequences: r.sequences,
          // Measured at 1,000,000 rows: 1,000 a batch read faster than 5,000 (less garbage per batch) and holds less.
          batchRows: input.batchRows ?? 1000,
        },
        db: input.target,
        tool,
        tmpDir: input.tmpDir,
        signal: input.signal,
        onProgress,
      }),
  });
}
