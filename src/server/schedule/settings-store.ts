import type { Database } from '@nocobase/database';
import { SETTINGS, SETTINGS_ROW_ID, TASKS } from '../../constants';
import { fromRow, type ScheduleSettings } from './settings-values';

// The one settings row. A fixed id means two processes creating it at once cannot end up with two rows: the
// loser's insert fails and it updates the winner's.
const ROW_ID = SETTINGS_ROW_ID;

export async function readSettings(db: Database): Promise<ScheduleSettings> {
  const row = await db.getRepository(SETTINGS).findOne({ filterByTk: ROW_ID });
  return fromRow(row ? (row.toJSON() as Record<string, unknown>) : null);
}

export async function writeSettings(db: Database, values: Partial<ScheduleSettings> & { lastRunTaskId?: unknown }) {
  const repo = db.getRepository(SETTINGS);
  if (await repo.findOne({ filterByTk: ROW_ID })) {
    await repo.update({ filterByTk: ROW_ID, values });
    return;
  }
  try {
    await repo.create({ values: { ...(await readSettings(db)), ...values, id: ROW_ID } });
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    await repo.update({ filterByTk: ROW_ID, values });
  }
}

export interface LastRun {
  status: string;
  error: string | null;
  errorCode: string | null;
  finishedAt: string | null;
}

/** The newest scheduled backup row, skipped slots included: what the settings page reports as the last run. */
export async function readLastRun(db: Database): Promise<LastRun | null> {
  const row = await db.getRepository(TASKS).findOne({
    filter: { kind: 'backup', origin: 'scheduled' },
    sort: ['-createdAt', '-id'],
  });
  if (!row) return null;
  const json = row.toJSON() as Record<string, unknown>;
  const finishedAt = json.finishedAt ? new Date(json.finishedAt as string).toISOString() : null;
  return {
    status: String(json.status),
    error: (json.error as string) ?? null,
    errorCode: (json.errorCode as string) ?? null,
    finishedAt,
  };
}

/** Sequelize names it so on every dialect we support. */
export function isUniqueViolation(err: unknown): boolean {
  return (err as Error)?.name === 'SequelizeUniqueConstraintError';
}
