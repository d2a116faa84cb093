import { retryBusy } from '../db/retry-busy';
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

/**
 * Plain statements rather than a repository transaction (one that reads then writes is the easiest way to collide
 * with a running backup's own updates on SQLite), retried if SQLite still answers busy.
 */
/** The sealed schedule password (see crypto/app-key-seal.ts), or null. */
export async function readSealedPassword(db: Database): Promise<string | null> {
  const row = await db.getModel(SETTINGS).findByPk(ROW_ID);
  return (row?.get('passwordSealed') as string | null) ?? null;
}

export async function writeSettings(
  db: Database,
  values: Partial<ScheduleSettings> & { lastRunTaskId?: unknown; passwordSealed?: string | null },
) {
  const model = db.getModel(SETTINGS);
  await retryBusy(async () => {
    if (await model.findByPk(ROW_ID)) {
      await model.update(values, { where: { id: ROW_ID } });
      return;
    }
    try {
      await model.create({ ...(await readSettings(db)), ...values, id: ROW_ID });
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      await model.update(values, { where: { id: ROW_ID } });
    }
  });
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
