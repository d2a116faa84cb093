import fs from 'fs';
import path from 'path';
import { TASKS } from '../../constants';
import type { TaskStore } from './store';
import { findJson } from '../db/find-json';

/**
 * A restore replaces the whole database, and our task table is runtime data that no backup carries. Its rows
 * (history, the safety backup, the running restore itself) are written to a journal file before the database is
 * replaced and put back once the app runs again: the outcome survives the restart, even a crash.
 */
export async function readTaskRows(store: TaskStore): Promise<Record<string, unknown>[]> {
  return findJson<Record<string, unknown>>(store.repo, { sort: ['id'] });
}

export async function writeJournal(
  store: TaskStore,
  restoreTaskId: number | string,
  rows: Record<string, unknown>[],
): Promise<string> {
  const file = path.join(store.paths.journal, `${restoreTaskId}.json`);
  const tmp = `${file}.partial`;
  await fs.promises.writeFile(tmp, JSON.stringify({ restoreTaskId, rows }), { mode: 0o600 });
  await fs.promises.rename(tmp, file);
  return file;
}

export async function importJournals(store: TaskStore): Promise<number> {
  const dir = store.paths.journal;
  const files = (await fs.promises.readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.json')).sort();
  let imported = 0;
  for (const f of files) {
    const file = path.join(dir, f);
    const { rows } = JSON.parse(await fs.promises.readFile(file, 'utf8')) as { rows: Record<string, unknown>[] };
    await replaceRows(store, rows);
    await fs.promises.rm(file, { force: true });
    imported += rows.length;
  }
  return imported;
}

async function replaceRows(store: TaskStore, rows: Record<string, unknown>[]): Promise<void> {
  const db = store.app.db;
  const model = db.getCollection(TASKS).model;
  await db.sequelize.transaction(async (transaction) => {
    await model.destroy({ where: {}, transaction });
    if (rows.length) {
      const fields = Object.keys(model.getAttributes());
      const clean = rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => fields.includes(k))));
      await model.bulkCreate(clean, { transaction, hooks: false });
    }
  });
  await resetSequence(store);
}

/** Explicit ids do not move a PostgreSQL serial sequence; without this the next task would collide. */
async function resetSequence(store: TaskStore): Promise<void> {
  const db = store.app.db;
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
