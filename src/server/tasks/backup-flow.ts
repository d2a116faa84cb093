import fs from 'fs';
import path from 'path';
import type { Application } from '@nocobase/server';
import { NAMESPACE, type Phase, type TaskOrigin } from '../../constants';
import type { DbConfig } from '../dumpers/types';
import type { SourcePlan } from '../datasources/kinds';
import { queryTextOfApp } from '../db/query-text';
import { createBackup } from '../engine/backup';
import { Offsite } from '../offsite/offsite';
import { archiveName, ensureDirs } from '../paths';
import { gatherRequirements } from '../preflight/gather';
import { sqlOfApp } from '../preflight/sql';
import type { RequirementsDraft } from '../preflight/types';
import { crashMidway, crashPoint } from '../restore/crash';
import { readSettings } from '../schedule/settings-store';
import { subAppDbConfig } from '../subapps/registry';
import { PROGRESS_WRITE_BUDGET_MS, throttledProgress } from './progress';
import type { TaskRow, TaskStore } from './store';
import { summaryOf } from './summary';

export interface BackupOptions {
  includeUploads?: boolean;
  includePlugins?: boolean;
  origin?: TaskOrigin;
  userId?: number | string;
  slot?: string;
  /** Extra tables whose data is left out (schema kept). */
  excludeTableData?: string[];
  /** The admin's note (tasks/note.ts), on the row and in the manifest. */
  note?: string;
  /** Encrypts the archive. Never stored in the task row. */
  password?: string;
  /** A file-manager storage that receives a copy once the archive is written. */
  offsite?: string | null;
  /** Sub-applications (resolved names) whose databases the archive carries too. */
  subApps?: string[];
  /** External data sources to dump, and those recorded as skipped (see datasources/kinds.ts planSources). */
  dataSources?: SourcePlan;
}

/** What a backup run reads from the app (BackupsService gives it). */
export interface BackupHost {
  app: Application;
  store: TaskStore;
  dbConfig(): DbConfig;
  appVersion(): string;
  pluginVersion(): string;
  /** Tables whose rows no backup carries (NocoBase's runtime collections). */
  runtimeTables(): string[];
}

/** The pending row of a backup started from the page or a schedule (the password itself is never stored). */
export function backupRowValues(options: BackupOptions): Record<string, unknown> {
  return {
    createdById: options.userId,
    slot: options.slot,
    encrypted: !!options.password,
    ...(options.note ? { note: options.note } : {}),
    options: {
      includeUploads: options.includeUploads !== false,
      includePlugins: options.includePlugins !== false,
      ...(options.subApps?.length ? { subApps: options.subApps } : {}),
      ...(options.dataSources ? { dataSources: [...options.dataSources.dump, ...options.dataSources.skipped].map((s) => s.key).sort() } : {}),
    },
  };
}

/** Runs a backup to completion and records the outcome; used by Backup now, schedules, safety backups and the CLI. */
export async function runBackupTask(host: BackupHost, task: TaskRow, options: BackupOptions): Promise<TaskRow> {
  const { app, store } = host;
  const paths = store.paths;
  await ensureDirs(paths);
  const fileName = archiveName(app.name, new Date(), options.origin === 'safety' ? 'safety' : undefined);
  await store.update(task.id, { status: 'running', startedAt: new Date(), fileName, phase: 'checking' });
  const progress = throttledProgress((phase: Phase, percent: number) => store.update(task.id, { phase, progress: percent }, PROGRESS_WRITE_BUDGET_MS));
  const crash = crashMidway('backup');
  crash.spawned(); // a backup crashes its delay after it started
  try {
    const subApps = [];
    for (const name of options.subApps || []) subApps.push({ name, db: await subAppDbConfig(app, name) });
    const result = await createBackup({
      subApps,
      dataSources: options.dataSources?.dump,
      skippedDataSources: options.dataSources?.skipped,
      db: host.dbConfig(),
      query: queryTextOfApp(app),
      app: { name: app.name, version: host.appVersion() },
      plugin: { name: NAMESPACE, version: host.pluginVersion() },
      storage: paths.storage,
      archivesDir: paths.archives,
      tmpDir: path.join(paths.tmp, `backup-${task.id}`),
      fileName,
      include: { uploads: options.includeUploads !== false, plugins: options.includePlugins !== false },
      excludeTableData: [...new Set([...host.runtimeTables(), ...(options.excludeTableData || [])])],
      origin: options.origin || 'manual',
      note: options.note,
      password: options.password || undefined,
      appKey: process.env.APP_KEY,
      requirements: await requirements(app, paths.storage, options.includePlugins !== false),
      jobs: await dumpJobsSetting(app),
      onProgress: progress.report,
    });
    await progress.flush();
    // The archive is complete but its row still says running: the instant a crash leaves the most behind.
    crashPoint('backup:written');
    const finishedAt = new Date();
    const copy = options.offsite ? await copyOffsite(store, task, options.offsite, path.join(paths.archives, fileName)) : {};
    const values = {
      status: 'succeeded',
      phase: 'done',
      progress: 100,
      size: result.size,
      finishedAt,
      summary: summaryOf(result.manifest, result.size, !!options.password),
      ...copy,
    };
    await store.update(task.id, values);
    return { ...task, ...values, fileName };
  } catch (err) {
    await progress.flush();
    await store.fail(task.id, err);
    await fs.promises.rm(path.join(paths.archives, fileName), { force: true });
    throw err;
  } finally {
    crash.stop();
    await fs.promises.rm(path.join(paths.tmp, `backup-${task.id}`), { recursive: true, force: true });
  }
}

/**
 * The parallel dump/restore jobs setting; automatic (null) when the settings cannot be read (a backup or restore
 * does not fail for it).
 */
export async function dumpJobsSetting(app: Application): Promise<number | null> {
  try {
    return (await readSettings(app.db)).dumpJobs;
  } catch {
    return null;
  }
}

/** What a restore of this backup must match (restore pre-flight); a backup is still made when it cannot be read. */
async function requirements(app: Application, storage: string, includePlugins: boolean): Promise<RequirementsDraft | undefined> {
  try {
    return await gatherRequirements(app, { storage, includePlugins, sql: sqlOfApp(app) });
  } catch (err) {
    app.log.warn(`[${NAMESPACE}] restore requirements not recorded: ${(err as Error)?.message}`);
    return undefined;
  }
}

/**
 * The off-site copy of a finished archive. Its failure does not fail the backup (the archive is safe here): the
 * row says why, and the list shows the backup as local only.
 */
async function copyOffsite(store: TaskStore, task: TaskRow, storage: string, file: string): Promise<Record<string, unknown>> {
  await store.update(task.id, { phase: 'copying off-site', progress: 99 }, PROGRESS_WRITE_BUDGET_MS);
  try {
    return { remote: await new Offsite(store).copy(storage, file), remoteError: null };
  } catch (err) {
    store.app.log.error(`[${NAMESPACE}] off-site copy of task ${task.id} to ${storage} failed: ${store.describe(err)}`);
    return { remote: null, remoteError: store.describe(err) };
  }
}
