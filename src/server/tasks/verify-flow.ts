import fs from 'fs';
import path from 'path';
import { NAMESPACE, type Phase, type TaskOrigin } from '../../constants';
import { readHeader, readManifest } from '../archive';
import { isArchiveError } from '../archive/errors';
import { requireProvenance } from '../archive/provenance';
import { describeReport, verifyBackup, type VerifyReport, type VerifyStep } from '../engine/verify';
import { BackupError, CodedError } from '../errors';
import type { BackupsService, TaskRow } from '../service';
import { runExclusive } from './exclusive';
import { PROGRESS_WRITE_BUDGET_MS, throttledProgress } from './progress';

export interface VerifyRequest {
  /** A succeeded backup task of the list. */
  taskId: unknown;
  userId?: number | string;
  origin?: TaskOrigin;
  /** For an encrypted backup. */
  password?: string;
  /** The admin's acknowledgement that a backup made elsewhere (not signed with this APP_KEY) may be verified. */
  trustForeign?: boolean;
  /** 'drill': a restore drill (drills/), listed as its own kind; the same verify. */
  kind?: 'verify' | 'drill';
  /** A scheduled drill's unique slot key: the database decides which process runs it. */
  slot?: string;
}

/** Archive errors that say nothing about the backup's state. */
const NOT_DAMAGE = new Set(['ABORTED', 'PASSWORD_REQUIRED', 'PASSWORD_WRONG']);

const PHASE: Record<VerifyStep, Phase> = { checksums: 'validating', restoring: 'checking', counting: 'checking' };

/**
 * Starts verifying a listed backup in the background and answers the pending verify task at once (the client
 * polls it). Exclusive with backups and restores: verify loads the database server too, and a restore could
 * delete the archive under it.
 */
export async function startVerify(service: BackupsService, req: VerifyRequest): Promise<TaskRow> {
  const { prepared, done } = await verifyExclusive(service, req);
  done.catch((err) => service.app.log.error(`[${NAMESPACE}] verify task ${prepared.task.id} failed`, { err }));
  return prepared.task;
}

/** The same, to completion (app CLI). */
export async function verifyNow(
  service: BackupsService,
  req: VerifyRequest,
): Promise<{ task: TaskRow; report?: VerifyReport }> {
  return (await verifyExclusive(service, req)).done;
}

/** Started (task row created, slot taken) or refused (BUSY, password, provenance); `done` settles with the outcome. */
export function verifyExclusive(service: BackupsService, req: VerifyRequest) {
  return runExclusive(service, req.kind || 'verify', () => prepareVerify(service, req), (p) =>
    runVerifyTask(service, p.task, p.file, p.backup.id, req.password),
  );
}

async function prepareVerify(service: BackupsService, req: VerifyRequest) {
  const backup = await service.findTask(req.taskId);
  const file = await service.archiveOf(backup);
  // Verify runs the archive's SQL in a scratch database: an archive made elsewhere needs the acknowledgement.
  await requireProvenance(file, process.env.APP_KEY, req.trustForeign === true);
  // A missing or wrong password is answered at once (PASSWORD_REQUIRED / PASSWORD_WRONG), not as a failed task.
  if ((await readHeader(file)).encrypted) await readManifest(file, { password: req.password });
  const task = await service.createTask(req.kind || 'verify', req.origin || 'manual', {
    createdById: req.userId,
    ...(req.slot ? { slot: req.slot } : {}),
    fileName: backup.fileName,
    size: backup.size,
    options: { backupTaskId: backup.id },
  });
  return { task, file, backup };
}

/**
 * Runs verify and records it: the report goes into the verify task's summary; the backup's `verifiedAt` is set on
 * success and cleared when the archive turned out damaged (not when e.g. a tool was missing).
 */
async function runVerifyTask(
  service: BackupsService,
  task: TaskRow,
  file: string,
  backupId: number | string,
  password?: string,
): Promise<{ task: TaskRow; report?: VerifyReport }> {
  const tmpDir = path.join(service.paths.tmp, `verify-${task.id}`);
  await service.updateTask(task.id, { status: 'running', startedAt: new Date(), phase: 'validating' });
  const progress = throttledProgress((phase: Phase, percent: number) =>
    service.updateTask(task.id, { phase, progress: percent }, PROGRESS_WRITE_BUDGET_MS),
  );
  try {
    const report = await verifyBackup(file, {
      db: service.dbConfig(),
      tmpDir,
      password,
      onProgress: (step, percent) => progress.report(PHASE[step], percent),
    });
    await progress.flush();
    const finishedAt = new Date();
    if (report.ok) {
      const values = { status: 'succeeded', phase: 'done', progress: 100, finishedAt, summary: report };
      // The backup's mark first: whoever sees the verify done (the page, a script) finds the backup marked.
      await service.updateTask(backupId, { verifiedAt: finishedAt, ...checked('succeeded', finishedAt) });
      await service.updateTask(task.id, values);
      return { task: await service.findTask(task.id), report };
    }
    const mismatch = new BackupError('VERIFY_MISMATCH', { detail: describeReport(report) }, 422);
    const values = {
      status: 'failed',
      phase: 'done',
      finishedAt,
      summary: report,
      errorCode: mismatch.code,
      error: service.describe(mismatch),
    };
    await service.updateTask(backupId, { verifiedAt: null, ...checked('failed', finishedAt) });
    await service.updateTask(task.id, values);
    return { task: await service.findTask(task.id), report };
  } catch (err) {
    await progress.flush();
    const code = err instanceof CodedError ? err.code : '';
    if (isArchiveError(err) && !NOT_DAMAGE.has(err.code)) await service.updateTask(backupId, { verifiedAt: null }).catch(() => undefined);
    // Any failure but a cancel or a password problem: a restore of this backup would have failed the same way.
    if (!NOT_DAMAGE.has(code)) await service.updateTask(backupId, checked('failed', new Date())).catch(() => undefined);
    await service.failTask(task.id, err);
    throw err;
  } finally {
    await fs.promises.rm(tmpDir, { recursive: true, force: true });
  }
}

/** The backup's last check (verify or drill), whatever its result: the list's "last verified". */
function checked(status: 'succeeded' | 'failed', at: Date) {
  return { lastCheckStatus: status, lastCheckAt: at };
}
