import path from 'path';
import { removeSqliteFiles, replaceSqliteFile } from '../dumpers/sqlite-files';
import { resolveSqlite3 } from '../dumpers/sqlite-snapshot';
import { BackupError } from '../errors';
import { ToolNotFoundError } from '../process/errors';
import { captureTool } from '../process/run';
import { copyIntoSqlite } from './copy-into-sqlite';
import type { MoveReport, SourceSchema } from './copy-plan';
import type { MoveInput } from './move-input';
import { offsetMinutes } from './encoders';
import { readMysqlSourceSchema } from './mysql-source-schema';
import { runMoveRounds } from './move-rounds';
import { readPgSourceSchema } from './pg-source-schema';
import { readSqliteTargetSchema } from './target-schema';

// A PostgreSQL, MySQL or MariaDB backup moved into a SQLite app (issue 20, "and back": a local copy of a server app).
// A PostgreSQL dump is read with pg_restore into plain SQL (no PostgreSQL server is needed), a MySQL/MariaDB dump is
// plain SQL already, and the rows go into a new SQLite file beside the
// app's: NocoBase's own install and db:sync make its tables (DB_STORAGE pointed at the new file), the copy fills
// them, and only then is the file fsynced and renamed over the app's database. Until that rename the app's file is
// untouched; a crash before it leaves a stray `.bm-move` file, removed by the next move.

export interface IntoSqliteCheck {
  source: SourceSchema;
  /** A PostgreSQL dump is read with pg_restore; a MySQL/MariaDB dump is read as it is (undefined). */
  pgRestore?: string;
  sqliteModule: string;
  /** MySQL/MariaDB: the zone the dump's DATETIMEs are in (this app's DB_TIMEZONE, '+00:00' by default). */
  zone: string;
}

/** The new database's path while it is being made: beside the app's file, so the rename is atomic. */
export const incomingOf = (storage: string) => `${storage}.bm-move`;

/**
 * Before anything is changed: the app has its sqlite3 module; for a PostgreSQL dump, pg_restore is here and reads it;
 * for a MySQL/MariaDB dump, DB_TIMEZONE is an offset. The dump's schema is read.
 */
export async function checkMoveIntoSqlite(input: Pick<MoveInput, 'from' | 'source' | 'sourceRows' | 'target' | 'tools' | 'appDir' | 'timezone'>): Promise<IntoSqliteCheck> {
  const from = input.from ?? 'postgres';
  if (!input.target.storage) throw new BackupError('MOVE_UNSUPPORTED', { from, to: 'sqlite' }, 422);
  let sqliteModule: string;
  try {
    sqliteModule = resolveSqlite3(path.join(input.appDir, 'package.json'));
  } catch {
    throw new BackupError('MOVE_NEEDS_SQLITE3', {}, 422);
  }
  let zone = '+00:00';
  let pgRestore: string | undefined;
  let source: SourceSchema;
  if (from === 'mysql' || from === 'mariadb') {
    // NocoBase writes DATETIMEs in DB_TIMEZONE: the source app's, which the move takes to be this app's.
    let minutes: number;
    try {
      minutes = offsetMinutes(input.timezone);
    } catch {
      throw new BackupError('MOVE_TIMEZONE', { zone: input.timezone ?? '' }, 422);
    }
    zone = `${minutes < 0 ? '-' : '+'}${String(Math.floor(Math.abs(minutes) / 60)).padStart(2, '0')}:${String(Math.abs(minutes) % 60).padStart(2, '0')}`;
    source = await readMysqlSourceSchema(input.source);
  } else {
    pgRestore = input.tools?.restore || 'pg_restore';
    try {
      await captureTool({ command: pgRestore, args: ['--version'], env: {} });
    } catch (err) {
      if (err instanceof ToolNotFoundError) {
        throw new BackupError('TOOL_MISSING', { tool: pgRestore, fix: 'Install the PostgreSQL client, e.g. `apt-get install postgresql-client`.' }, 500, { cause: err });
      }
      throw err;
    }
    // Reading the schema proves this pg_restore reads the dump's format (a newer pg_dump's is refused here).
    try {
      source = await readPgSourceSchema(pgRestore, input.source);
    } catch (err) {
      throw new BackupError('TOOL_FAILED', { tool: pgRestore, detail: (err as Error).message }, 422, { cause: err });
    }
  }
  const counted = input.sourceRows ?? {};
  for (const t of source.tables) t.rows = Object.prototype.hasOwnProperty.call(counted, t.name) ? Number(counted[t.name]) || 0 : 0;
  return { source, pgRestore, sqliteModule, zone };
}

export async function moveIntoSqlite(input: MoveInput, checked?: IntoSqliteCheck): Promise<MoveReport> {
  const { source, pgRestore, sqliteModule, zone } = checked ?? (await checkMoveIntoSqlite(input));
  const format = pgRestore ? 'pg-copy' : 'mysql';
  const order = Object.fromEntries(source.tables.map((t) => [t.name, t.columns]));
  const storage = input.target.storage as string;
  const incoming = incomingOf(storage);
  const removeIncoming = () => removeSqliteFiles(incoming, { withFile: true });
  await removeIncoming();

  try {
    const report = await runMoveRounds({
      ...input,
      source,
      say: input.say ?? (() => undefined),
      where: 'a new SQLite file',
      env: { DB_STORAGE: incoming },
      readTarget: () => readSqliteTargetSchema(incoming, sqliteModule),
      copy: (r, onProgress) =>
        copyIntoSqlite({
          pgRestore,
          dump: input.source,
          sqliteModule,
          file: incoming,
          plan: { format, truncate: r.truncate, tables: r.tables, ...(format === 'mysql' ? { order, zone } : {}) },
          tmpDir: input.tmpDir,
          signal: input.signal,
          onProgress,
        }),
    });
    await replaceSqliteFile(incoming, storage);
    return report;
  } finally {
    await removeIncoming();
  }
}
