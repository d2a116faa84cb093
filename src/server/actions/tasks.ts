import fs from 'fs';
import type { Context, Next } from '@nocobase/actions';
import { SIGNED_DOWNLOAD, TASKS } from '../../constants';
import { ensureDirs } from '../paths';
import { getService } from '../service';
import { archiveSummary } from '../tasks/summary';
import { appPreflight } from '../tasks/preflight';
import { passwordFrom } from './password';
import { verifyAction } from './verify';
import { drillAction } from './drill';
import { startRestore } from '../tasks/restore-flow';
import { action } from './respond';
import { isTrue } from './trust';
import { discardUpload, receiveUpload, uploadPath } from './upload';
import { summariseUpload } from '../uploads/upload-summary';
import { readSettings } from '../schedule/settings-store';
import { BackupError } from '../errors';
import { remoteOf } from '../offsite/offsite';
import { subAppsToBackUp } from '../subapps/registry';
import { sourcesToBackUp } from '../datasources/registry';
import { noteAction, pinAction } from './task-marks';
import { noteOf } from '../tasks/note';
import { refreshArchives } from '../tasks/refresh';
import { downloadAction, downloadLinkAction, signedDownloadAction } from './downloads';

const svc = (ctx: Context) => getService(ctx.app);
const userId = (ctx: Context) => ctx.state?.currentUser?.id ?? ctx.auth?.user?.id;
/** summary.preflight: the report against this app, as if restored with the safety backup (the dialog's default). */
const preflightOf = (service: ReturnType<typeof svc>) => (archive: Parameters<typeof appPreflight>[1], stagingBytes: number) =>
  appPreflight(service, archive, { stagingBytes, safetyBackup: true });
const flag = (v: unknown, dflt = true) => (v === undefined || v === null ? dflt : v === true || v === 'true');

export const tasksResource = {
  name: TASKS,
  // The resource shares the collection's name: without `only`, NocoBase's default CRUD (update...) would be open.
  only: ['list', 'get', 'create', 'destroy', 'download', 'downloadLink', SIGNED_DOWNLOAD, 'refresh', 'inspect', 'upload', 'restore', 'verify', 'syncOffsite', 'pin', 'note', 'drill'],
  actions: {
    verify: verifyAction,
    pin: pinAction,
    note: noteAction,
    drill: drillAction,

    list: action(async (ctx: Context, next: Next) => {
      const page = Math.max(1, Number(ctx.action.params.page) || 1);
      const pageSize = Math.min(200, Math.max(1, Number(ctx.action.params.pageSize) || 20));
      const [rows, count] = await svc(ctx).repo.findAndCount({
        sort: ['-createdAt', '-id'],
        offset: (page - 1) * pageSize,
        limit: pageSize,
        appends: ['createdBy'],
      });
      const service = svc(ctx);
      ctx.body = { rows: rows.map((r) => publicRow(r.toJSON(), service)), count, page, pageSize, totalPage: Math.ceil(count / pageSize) };
      await next();
    }),

    get: action(async (ctx: Context, next: Next) => {
      ctx.body = publicRow(await svc(ctx).findTask(ctx.action.params.filterByTk), svc(ctx));
      await next();
    }),

    /** Backup now. */
    create: action(async (ctx: Context, next: Next) => {
      const values = ctx.action.params.values || {};
      const service = svc(ctx);
      ctx.body = await service.startBackup({
        includeUploads: flag(values.includeUploads),
        includePlugins: flag(values.includePlugins),
        excludeTableData: service.tablesOf(values.excludeCollections),
        subApps: await subAppsToBackUp(ctx.app, values.subApps),
        // External sources only when ticked; those without a dump tool are recorded as skipped.
        dataSources: await sourcesToBackUp(ctx.app, values.dataSources),
        password: passwordFrom(ctx),
        note: noteOf(values.note) ?? undefined,
        origin: 'manual',
        userId: userId(ctx),
        // The configured off-site storage receives a copy unless the admin unticked it for this backup.
        offsite: flag(values.offsite) ? (await readSettings(ctx.db)).offsiteStorage : null,
      });
      await next();
    }),

    destroy: action(async (ctx: Context, next: Next) => {
      await svc(ctx).destroyTask(ctx.action.params.filterByTk);
      ctx.body = { ok: true };
      await next();
    }),

    download: downloadAction,
    downloadLink: downloadLinkAction,
    [SIGNED_DOWNLOAD]: signedDownloadAction,

    /** Lists archives copied into the backups folder (scp, rclone) now; answers what it found, skipped or misses. */
    refresh: action(async (ctx: Context, next: Next) => {
      ctx.body = await refreshArchives(svc(ctx));
      await next();
    }),

    /** Lists the copies in the configured off-site storage beside the local backups. */
    syncOffsite: action(async (ctx: Context, next: Next) => {
      const service = svc(ctx);
      const storage = (await readSettings(ctx.db)).offsiteStorage;
      if (!storage) throw new BackupError('OFFSITE_NOT_CONFIGURED', {}, 400);
      ctx.body = await service.offsite.sync(storage);
      await next();
    }),

    /** Summary of a listed backup for the restore confirmation, from its manifest alone. */
    inspect: action(async (ctx: Context, next: Next) => {
      const service = svc(ctx);
      const file = await service.archiveOf(await service.findTask(ctx.action.params.filterByTk));
      ctx.body = { summary: await archiveSummary(file, service.restoreTarget(), process.env.APP_KEY, preflightOf(service)) };
      await next();
    }),

    /** Raw body (application/octet-stream), streamed to disk, then judged by its manifest before anything else. */
    upload: action(async (ctx: Context, next: Next) => {
      const service = svc(ctx);
      await ensureDirs(service.paths);
      const { uploadId, file } = await receiveUpload(ctx.req, service.paths);
      ctx.body = await summariseUpload(service, uploadId, file);
      await next();
    }),

    restore: action(async (ctx: Context, next: Next) => {
      const service = svc(ctx);
      const values = ctx.action.params.values || {};
      const uploadFile = values.uploadId !== undefined ? uploadPath(service.paths, values.uploadId) : undefined;
      let task: Awaited<ReturnType<typeof startRestore>>;
      try {
        task = await startRestore(service, {
          taskId: values.taskId ?? (uploadFile ? undefined : ctx.action.params.filterByTk),
          uploadFile,
          safetyBackup: flag(values.safetyBackup),
          password: passwordFrom(ctx),
          userId: userId(ctx),
          apps: values.apps,
          dataSources: values.dataSources,
          trustForeign: isTrue(values.trustForeign),
          acceptWarnings: isTrue(values.acceptWarnings),
        });
      } catch (err) {
        // A refused restore ends its upload: the admin uploads again (one multi-GB file never lingers).
        await discardUpload(service.paths, uploadFile);
        throw err;
      }
      ctx.body = publicRow(task, service);
      await next();
    }),
  },
};

/** Only what the UI needs; createdBy reduced to a name; where the archive is (here, off-site, both). */
function publicRow(row: Record<string, unknown>, service: ReturnType<typeof svc>) {
  const createdBy = row.createdBy as { id?: unknown; nickname?: string; username?: string } | null | undefined;
  const { slot: _slot, remote: _remote, ...rest } = row;
  const remote = remoteOf(row);
  return {
    ...rest,
    local: hasLocalArchive(row, service),
    remote: remote ? { storage: remote.storage, size: remote.size, uploadedAt: remote.uploadedAt } : null,
    createdBy: createdBy ? { id: createdBy.id, nickname: createdBy.nickname || createdBy.username } : null,
  };
}

function hasLocalArchive(row: Record<string, unknown>, service: ReturnType<typeof svc>): boolean {
  if (row.kind !== 'backup' || row.status !== 'succeeded' || !row.fileName) return false;
  try {
    return fs.existsSync(service.localArchiveOf(row as Parameters<typeof service.localArchiveOf>[0]));
  } catch {
    return false;
  }
}
