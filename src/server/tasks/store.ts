import type { Application } from '@nocobase/server';
import { TASKS, type TaskKind, type TaskOrigin } from '../../constants';
import { dbConfigFromOptions } from '../db-config';
import { retryBusy } from '../db/retry-busy';
import { busy, CodedError, notFound, renderError } from '../errors';
import { backupPaths, storageRoot, type BackupPaths } from '../paths';

export type TaskRow = Record<string, unknown> & { id: number | string; status: string; fileName?: string };

/**
 * The rows of the task table and where their archives live. It knows the app and its database only, never the
 * service: off-site copies, the journal and re-listing write rows through it without calling back up.
 */
export class TaskStore {
  constructor(readonly app: Application) {}

  get paths(): BackupPaths {
    return backupPaths(storageRoot(), this.app.name);
  }

  get repo() {
    return this.app.db.getRepository(TASKS);
  }

  /** A task from another process sharing the database, seen in the task table (this process: see `exclusive`). */
  async assertIdle(): Promise<void> {
    const running = await this.repo.count({ filter: { status: { $in: ['pending', 'running'] } } });
    if (running > 0) throw busy();
  }

  async create(kind: TaskKind, origin: TaskOrigin, values: Record<string, unknown>): Promise<TaskRow> {
    const row = await this.repo.create({
      values: {
        kind,
        origin,
        status: 'pending',
        phase: 'queued',
        progress: 0,
        dialect: dbConfigFromOptions(this.app.db.options as Parameters<typeof dbConfigFromOptions>[0]).dialect,
        appVersion: this.app.getVersion(),
        ...values,
      },
      // the createdBy field fills itself from the request's user, so hand it one
      context: values.createdById ? { state: { currentUser: { id: values.createdById } } } : undefined,
    });
    return row.toJSON() as TaskRow;
  }

  /** budgetMs: how long SQLite lock waits are retried; progress writes pass a short one (the next one follows). */
  async update(id: number | string, values: Record<string, unknown>, budgetMs?: number): Promise<void> {
    await retryBusy(() => this.repo.update({ filterByTk: id, values }), budgetMs);
  }

  async fail(id: number | string, err: unknown): Promise<void> {
    await this.update(id, {
      status: 'failed',
      finishedAt: new Date(),
      error: this.describe(err),
      errorCode: err instanceof CodedError ? err.code : 'INTERNAL',
    }).catch(() => undefined);
  }

  async find(id: unknown): Promise<TaskRow> {
    // Task ids are integers: anything else (a path such as '../x') is not found, not a database error (500).
    if ((typeof id !== 'number' && typeof id !== 'string') || !/^\d{1,20}$/.test(String(id))) throw notFound();
    const row = await this.repo.findOne({ filterByTk: id as string });
    if (!row) throw notFound();
    return row.toJSON() as TaskRow;
  }

  /** A readable English message for logs and the task row (the client shows it as is). */
  describe(err: unknown): string {
    return renderError(this.app.i18n, err, 'en-US');
  }
}
