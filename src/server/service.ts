import fs from 'fs';
import path from 'path';
import type { Application } from '@nocobase/server';
import { NAMESPACE, type Phase, type TaskKind, type TaskOrigin } from '../constants';
import { dbConfigFromOptions } from './db-config';
import type { DbConfig } from './dumpers/types';
import { createBackup } from './engine/backup';
import { BackupError, busy } from './errors';
import { archiveName, archivePath, ensureDirs, type BackupPaths } from './paths';
import { Exclusive } from './tasks/exclusive';
import { PROGRESS_WRITE_BUDGET_MS, throttledProgress } from './tasks/progress';
import { importJournals } from './tasks/journal';
import { applyRecoveryOutcomes } from './tasks/recovery-outcomes';
import { setChildRegistry } from './process/children';
import { journalDir, readJournals } from './restore/journal';
import { pidsDir } from './restore/recover';
import { crashMidway, crashPoint } from './restore/crash';
import { rediscoverArchives } from './tasks/rediscover';
import { TaskStore, type TaskRow } from './tasks/store';
import { summaryOf } from './tasks/summary';
import { Offsite, remoteOf } from './offsite/offsite';
import { subAppDbConfig } from './subapps/registry';
import type { SourcePlan } from './datasources/kinds';
import { gatherRequirements } from './preflight/gather';
import { sqlOfApp } from './preflight/sql';
import type { RequirementsDraft } from './preflight/types';

export interface BackupOptions {
  includeUploads?: boolean;
  includePlugins?: boolean;
  origin?: TaskOrigin;
  userId?: number | string;
  slot?: string;
  /** Extra tables whose data is left out (schema kept). */
  excludeTableData?: string[];
  /** Encrypts the archive. Never stored in the task row. */
  password?: string;
  /** A file-manager storage that receives a copy once the archive is written. */
  offsite?: string | null;
  /** Sub-applications (resolved names) whose databases the archive carries too. */
  subApps?: string[];
  /** External data sources to dump, and those recorded as skipped (see datasources/kinds.ts planSources). */
  dataSources?: SourcePlan;
}

export type { TaskRow } from './tasks/store';

/**
 * One per app, kept outside the plugin instance: NocoBase re-creates plugin instances when it restarts after a
 * restore, while the restore that asked for the restart is still running in this service.
 */
export class BackupsService {
  readonly exclusive = new Exclusive();
  readonly store: TaskStore;
  private stopping = false;

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

  /** What an archive must match to be restored here. */
  restoreTarget(): { dialect: DbConfig['dialect']; appVersion: string } {
    return { dialect: this.dbConfig().dialect, appVersion: this.appVersion() };
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
  assertIdle(): Promise<void> {
    return this.store.assertIdle();
  }

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
    const slot = this.exclusive.reserve('backup');
    try {
      await this.assertIdle().catch((err) => {
        slot.release();
        throw err;
      });
      const task = await this.createTask('backup', options.origin || 'manual', {
        createdById: options.userId,
        slot: options.slot,
        encrypted: !!options.password,
        options: {
          includeUploads: options.includeUploads !== false,
          includePlugins: options.includePlugins !== false,
          ...(options.subApps?.length ? { subApps: options.subApps } : {}),
          ...(options.dataSources ? { dataSources: [...options.dataSources.dump, ...options.dataSources.skipped].map((s) => s.key).sort() } : {}),
        },
      });
      slot.setId(task.id);
      let outcome: { task: TaskRow; error?: unknown } = { task };
      this.runBackupTask(task, options)
        .then((done) => {
          outcome = { task: done };
        })
        .catch((err) => {
          outcome = { task, error: err };
          this.app.log.error(`[${NAMESPACE}] backup task ${task.id} failed`, { err });
        })
        .finally(() => slot.release())
        .then(() => onDone?.(outcome.task, outcome.error))
        .catch((err) => this.app.log.error(`[${NAMESPACE}] after backup task ${task.id}`, { err }));
      return task;
    } catch (err) {
      slot.release();
      throw err;
    }
  }

  /** Runs a backup to completion and records the outcome; used by Backup now, schedules and safety backups. */
  async runBackupTask(task: TaskRow, options: BackupOptions): Promise<TaskRow> {
    const paths = this.paths;
    await ensureDirs(paths);
    const fileName = archiveName(this.app.name, new Date(), options.origin === 'safety' ? 'safety' : undefined);
    await this.updateTask(task.id, { status: 'running', startedAt: new Date(), fileName, phase: 'checking' });
    const progress = throttledProgress((phase: Phase, percent: number) => this.updateTask(task.id, { phase, progress: percent }, PROGRESS_WRITE_BUDGET_MS));
    const crash = crashMidway('backup');
    crash.spawned(); // a backup crashes its delay after it started
    try {
      const subApps = [];
      for (const name of options.subApps || []) subApps.push({ name, db: await subAppDbConfig(this.app, name) });
      const result = await createBackup({
        subApps,
        dataSources: options.dataSources?.dump,
        skippedDataSources: options.dataSources?.skipped,
        db: this.dbConfig(),
        app: { name: this.app.name, version: this.appVersion() },
        plugin: { name: NAMESPACE, version: this.pluginVersion() },
        storage: paths.storage,
        archivesDir: paths.archives,
        tmpDir: path.join(paths.tmp, `backup-${task.id}`),
        fileName,
        include: { uploads: options.includeUploads !== false, plugins: options.includePlugins !== false },
        excludeTableData: [...new Set([...this.runtimeTables(), ...(options.excludeTableData || [])])],
        origin: options.origin || 'manual',
        password: options.password || undefined,
        appKey: process.env.APP_KEY,
        requirements: await this.requirements(options.includePlugins !== false),
        onProgress: progress.report,
      });
      await progress.flush();
      // The archive is complete but its row still says running: the instant a crash leaves the most behind.
      crashPoint('backup:written');
      const values = {
        status: 'succeeded',
        phase: 'done',
        progress: 100,
        size: result.size,
        finishedAt: new Date(),
        summary: summaryOf(result.manifest, result.size, !!options.password),
        ...(options.offsite ? await this.copyOffsite(task, options.offsite, path.join(paths.archives, fileName)) : {}),
      };
      await this.updateTask(task.id, values);
      return { ...task, ...values, fileName };
    } catch (err) {
      await progress.flush();
      await this.failTask(task.id, err);
      await fs.promises.rm(path.join(paths.archives, fileName), { force: true });
      throw err;
    } finally {
      crash.stop();
      await fs.promises.rm(path.join(paths.tmp, `backup-${task.id}`), { recursive: true, force: true });
    }
  }

  /** What a restore of this backup must match (restore pre-flight); a backup is still made when it cannot be read. */
  private async requirements(includePlugins: boolean): Promise<RequirementsDraft | undefined> {
    try {
      return await gatherRequirements(this.app, { storage: this.paths.storage, includePlugins, sql: sqlOfApp(this.app) });
    } catch (err) {
      this.app.log.warn(`[${NAMESPACE}] restore requirements not recorded: ${(err as Error)?.message}`);
      return undefined;
    }
  }

  /**
   * The off-site copy of a finished archive. Its failure does not fail the backup (the archive is safe here): the
   * row says why, and the list shows the backup as local only.
   */
  private async copyOffsite(task: TaskRow, storage: string, file: string): Promise<Record<string, unknown>> {
    await this.updateTask(task.id, { phase: 'copying off-site', progress: 99 }, PROGRESS_WRITE_BUDGET_MS);
    try {
      return { remote: await this.offsite.copy(storage, file), remoteError: null };
    } catch (err) {
      this.app.log.error(`[${NAMESPACE}] off-site copy of task ${task.id} to ${storage} failed: ${this.describe(err)}`);
      return { remote: null, remoteError: this.describe(err) };
    }
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
    this.stopping = false;
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
        error: this.app.i18n.t('INTERRUPTED', { ns: NAMESPACE, lng: 'en-US' }),
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
      await rediscoverArchives(this.store).catch((err) => this.app.log.error(`[${NAMESPACE}] listing archives on disk`, { err }));
    }
  }

  onAppStopping(): void {
    this.stopping = true;
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
