import fs from 'fs';
import path from 'path';
import type { Application } from '@nocobase/server';
import { NAMESPACE, type TaskKind, type TaskOrigin } from '../constants';
import { dbConfigFromOptions } from './db-config';
import type { DbConfig } from './dumpers/types';
import { BackupError, busy, translate } from './errors';
import { archivePath, ensureDirs, type BackupPaths } from './paths';
import { backupRowValues, runBackupTask, type BackupOptions } from './tasks/backup-flow';
import { Exclusive, runExclusive } from './tasks/exclusive';
import { importJournals } from './tasks/journal';
import { applyRecoveryOutcomes } from './tasks/recovery-outcomes';
import { setChildRegistry } from './process/children';
import { journalDir, readJournals } from './restore/journal';
import { pidsDir } from './restore/recover';
import { rediscoverArchives } from './tasks/rediscover';
import { TaskStore, type TaskRow } from './tasks/store';
import { Offsite, remoteOf } from './offsite/offsite';
import { alertOffsiteFailure } from './alerts/offsite-alert';

export type { BackupOptions } from './tasks/backup-flow';
export type { TaskRow } from './tasks/store';

/**
 * One per app, kept outside the plugin instance: NocoBase re-creates plugin instances when it restarts after a
 * restore, while the restore that asked for the restart is still running in this service.
 */
export class BackupsService {
  readonly exclusive = new Exclusive();
  readonly store: TaskStore;

  constructor(public app: Application) {
    this.store = new TaskStore(app);
  }

  get paths(): BackupPaths {
    return this.store.paths;
  }

  get repo() {
    return this.store.repo;
  }

  get offsite(): Offsite {
    return new Offsite(this.store);
  }

  dbConfig(): DbConfig {
    return dbConfigFromOptions(this.app.db.options as Parameters<typeof dbConfigFromOptions>[0]);
  }

  appVersion(): string {
    return this.app.getVersion();
  }

  /**
   * What a web restore accepts: this app's dialect, or one a backup can be moved from (a SQLite backup into a server
   * database: the pre-flight asks the admin to confirm the move).
   */
  restoreTarget(): { dialect: DbConfig['dialect']; appVersion: string; move: boolean } {
    return { dialect: this.dbConfig().dialect, appVersion: this.appVersion(), move: true };
  }

  pluginVersion(): string {
    return process.env.BM_PLUGIN_VERSION || '0.0.0';
  }

  /** Tables NocoBase marks as runtime (dataCategory 'runtime'): their rows are never carried by a backup. */
  runtimeTables(): string[] {
    const tables: string[] = [];
    for (const collection of this.app.db.collections.values()) {
      if ((collection.options as { dataCategory?: string }).dataCategory === 'runtime') {
        tables.push(collection.model.tableName);
      }
    }
    return [...new Set(tables)].sort();
  }

  /**
   * Table names of the collections whose data the admin leaves out (schema kept), e.g. big log tables.
   * Unknown names are refused rather than silently ignored.
   */
  tablesOf(collections: unknown): string[] {
    if (collections === undefined || collections === null) return [];
    if (!Array.isArray(collections)) throw new BackupError('COLLECTION_UNKNOWN', { name: String(collections) }, 400);
    return collections.map((name) => {
      const table = this.tableOf(name);
      if (!table) throw new BackupError('COLLECTION_UNKNOWN', { name: String(name) }, 400);
      return table;
    });
  }

  /** Tables of the collections that exist; a schedule keeps running when one of them was deleted since. */
  existingTablesOf(collections: readonly string[]): string[] {
    return collections.flatMap((name) => {
      const table = this.tableOf(name);
      if (!table) this.app.log.warn(`[${NAMESPACE}] collection ${name} no longer exists: nothing to leave out for it`);
      return table ? [table] : [];
    });
  }

  private tableOf(name: unknown): string | undefined {
    return typeof name === 'string' ? this.app.db.getCollection(name)?.model.tableName : undefined;
  }

  // Task rows: delegates to the store, kept for the callers that hold the service.
  createTask(kind: TaskKind, origin: TaskOrigin, values: Record<string, unknown>): Promise<TaskRow> {
    return this.store.create(kind, origin, values);
  }

  updateTask(id: number | string, values: Record<string, unknown>, budgetMs?: number): Promise<void> {
    return this.store.update(id, values, budgetMs);
  }

  /**
   * Starts a backup in the background; answers the pending task row at once. `onDone` (schedules: retention,
   * failure notice) runs after the backup ended and the exclusive slot is free again; `error` is set if it failed.
   */
  async startBackup(
    options: BackupOptions,
    onDone?: (task: TaskRow, error?: unknown) => Promise<void>,
  ): Promise<TaskRow> {
    const prepare = async () => ({ task: await this.createTask('backup', options.origin || 'manual', backupRowValues(options)) });
    const { prepared, done } = await runExclusive(this, 'backup', prepare, ({ task }) => this.runBackupTask(task, options));
    const { task } = prepared;
    done
      .then(
        (finished) => ({ task: finished, error: undefined as unknown }),
        (err) => {
          this.app.log.error(`[${NAMESPACE}] backup task ${task.id} failed`, { err });
          return { task, error: err as unknown };
        },
      )
      // Here, not in the backup: the alert (an e-mail may take seconds) must not hold the exclusive slot.
      .then(async (outcome) => {
        const { remoteError, fileName } = outcome.task;
        if (options.offsite && remoteError) {
          await alertOffsiteFailure(this.app, { fileName: String(fileName), storage: options.offsite, reason: String(remoteError) });
        }
        return outcome;
      })
      .then((outcome) => onDone?.(outcome.task, outcome.error))
      .catch((err) => this.app.log.error(`[${NAMESPACE}] after backup task ${task.id}`, { err }));
    return task;
  }

  /** Runs a backup to completion (tasks/backup-flow.ts); Backup now, schedules, safety backups and the CLI. */
  runBackupTask(task: TaskRow, options: BackupOptions): Promise<TaskRow> {
    return runBackupTask(this, task, options);
  }

  failTask(id: number | string, err: unknown): Promise<void> {
    return this.store.fail(id, err);
  }

  describe(err: unknown): string {
    return this.store.describe(err);
  }

  findTask(id: unknown): Promise<TaskRow> {
    return this.store.find(id);
  }

  /**
   * The archive of a finished backup task, checked to be a bare name of ours inside our folder. One that is only
   * off-site now is fetched back first (restore, verify and inspect read a local file).
   */
  async archiveOf(task: TaskRow): Promise<string> {
    const file = this.localArchiveOf(task);
    if (fs.existsSync(file)) return file;
    if (remoteOf(task)) return this.offsite.fetch(task);
    throw new BackupError('FILE_MISSING', {}, 410);
  }

  /** Where a finished backup's archive is (or would be) on this server. */
  localArchiveOf(task: TaskRow): string {
    if (task.kind !== 'backup' || task.status !== 'succeeded' || !task.fileName) {
      throw new BackupError('NOT_SUCCEEDED', {}, 409);
    }
    return archivePath(this.paths, String(task.fileName));
  }

  async destroyTask(id: unknown): Promise<void> {
    const task = await this.findTask(id);
    if (this.exclusive.running?.id === task.id || task.status === 'running') throw busy();
    if (await this.ownsFile(task)) {
      // The remote copy first: if it cannot be deleted, the row stays and says where the copy still is.
      if (remoteOf(task)) await this.offsite.remove(task);
      await fs.promises.rm(archivePath(this.paths, String(task.fileName)), { force: true });
    }
    await this.repo.destroy({ filterByTk: task.id });
  }

  /**
   * Only a backup row owns its archive (safety backups are backups). Verify and restore rows only name the archive
   * they read (a restore of an upload names a file elsewhere): deleting them never touches a file. Nor does deleting
   * a backup row while another backup row names the same file.
   */
  private async ownsFile(task: TaskRow): Promise<boolean> {
    if (task.kind !== 'backup' || !task.fileName) return false;
    const others = await this.repo.count({
      filter: { kind: 'backup', fileName: String(task.fileName), id: { $ne: task.id } },
    });
    return others === 0;
  }

  /**
   * Start-up: tasks a crash left pending/running fail, leftovers go, journals from a restore come back, and archives
   * the table does not list (the database was restored by other means) are listed again.
   */
  async onAppStarted(): Promise<void> {
    const paths = this.paths;
    await ensureDirs(paths);
    setChildRegistry(pidsDir(paths.storage));
    await importJournals(this.store);
    await applyRecoveryOutcomes(this);
    const ownId = this.exclusive.running?.id;
    const stale = await this.repo.find({ filter: { status: { $in: ['pending', 'running'] } } });
    for (const row of stale) {
      const id = row.get('id') as number | string;
      if (ownId !== undefined && String(id) === String(ownId)) continue;
      await this.updateTask(id, {
        status: 'failed',
        errorCode: 'INTERRUPTED',
        error: translate(this.app.i18n, 'INTERRUPTED', {}, 'en-US'),
        finishedAt: new Date(),
      });
      // A backup killed after its archive was renamed into place but before its row said so: never reported done
      // (no off-site copy, no retention), so its file goes with the failure rather than sit unlisted.
      const fileName = row.get('fileName') as string | null;
      if (row.get('kind') === 'backup' && fileName) {
        await fs.promises.rm(archivePath(paths, fileName), { force: true }).catch(() => undefined);
      }
    }
    // A journal still open (its recovery failed, or its process runs) keeps its staged copy in tmp.
    if (!this.exclusive.running && !(await readJournals(journalDir(paths.archives))).length) {
      await fs.promises.rm(paths.tmp, { recursive: true, force: true });
      await ensureDirs(paths);
      await removeStaleUploads(paths);
      await rediscoverArchives(this.store, 0).catch((err) => this.app.log.error(`[${NAMESPACE}] listing archives on disk`, { err }));
    }
  }
}

async function removeStaleUploads(paths: BackupPaths, maxAgeMs = 24 * 3600 * 1000): Promise<void> {
  for (const f of await fs.promises.readdir(paths.uploads).catch(() => [] as string[])) {
    const p = path.join(paths.uploads, f);
    const st = await fs.promises.stat(p).catch(() => null);
    if (st && (Date.now() - st.mtimeMs > maxAgeMs || f.endsWith('.partial'))) await fs.promises.rm(p, { force: true });
  }
}

// Kept on the app object itself: NocoBase may load a fresh copy of this module when it reloads plugins, and
// the running restore's state must still be found.
const SERVICE = Symbol.for('@nbkit/plugin-backups-manager:service');

export function getService(app: Application): BackupsService {
  const holder = app as unknown as Record<symbol, BackupsService | undefined>;
  if (!holder[SERVICE]) holder[SERVICE] = new BackupsService(app);
  return holder[SERVICE] as BackupsService;
}
