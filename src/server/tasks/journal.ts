import fs from 'fs';
import path from 'path';
import { TASKS } from '../../constants';
import type { BackupsService } from '../service';

/**
 * A restore replaces the whole database, and our task table is runtime data that no backup carries. Its rows
 * (history, the safety backup, the running restore itself) are written to a journal file before the database is
 * replaced and put back once the app runs again: the outcome survives the restart, even a crash.
 */
export async function readTaskRows(service: BackupsService): Promise<Record<string, unknown>[]> {
  return (await service.repo.find({ sort: ['id'] })).map((r) => r.toJSON() as Record<string, unknown>);
}

export async function writeJournal(
  service: BackupsService,
  restoreTaskId: number | string,
  rows: Record<string, unknown>[],
): Promise<string> {
  const file = path.join(service.paths.journal, `${restoreTaskId}.json`);
  const tmp = `${file}.partial`;
  await fs.promises.writeFile(tmp, JSON.stringify({ restoreTaskId, rows }), { mode: 0o600 });
  await fs.promises.rename(tmp, file);
  return file;
}

export async function importJournals(service: BackupsService): Promise<number> {
  const dir = service.paths.journal;
  const files = (await fs.promises.readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.json')).sort();
  let imported = 0;
  for (const f of files) {
    const file = path.join(dir, f);
    const { rows } = JSON.parse(await fs.promises.readFile(file, 'utf8')) as { rows: Record<string, unknown>[] };
    await replaceRows(service, rows);
    await fs.promises.rm(file, { force: true });
    imported += rows.length;
  }
  return imported;
}

async function replaceRows(service: BackupsService, rows: Record<string, unknown>[]): Promise<void> {
  const db = service.app.db;
  const model = db.getCollection(TASKS).model;
  await db.sequelize.transaction(async (transaction) => {
    await model.destroy({ where: {}, transaction });
    if (rows.length) {
      const fields = Object.keys(model.getAttributes());
      const clean = rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => fields.includes(k))));
      await model.bulkCreate(clean, { transaction, hooks: false });
    }
  });
  await resetSequence(service);
}

/** Explicit ids do not move a PostgreSQL serial sequence; without this the next task would collide. */
async function resetSequence(service: BackupsService): Promise<void> {
  const db = service.app.db;
  if (db.sequelize.getDialect() !== 'postgres') return;
  const model = db.getCollection(TASKS).model;
  const table = model.getTableName() as unknown as string | { tableName: string; schema?: string };
  const qualified = typeof table === 'string' ? `"${table}"` : `"${table.schema || 'public'}"."${table.tableName}"`;
  await db.sequelize
    .query(
      `SELECT setval(pg_get_serial_sequence('${qualified.replace(/'/g, "''")}', 'id'), COALESCE((SELECT MAX(id) FROM ${qualified}), 0) + 1, false)`,
    )
    .catch(() => undefined);
}
