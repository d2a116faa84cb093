import fs from 'fs';
import { NAMESPACE, type TaskOrigin } from '../../constants';
import { CodedError, translate } from '../errors';
import { remoteOf } from '../offsite/offsite';
import { schedulePassword } from '../schedule/run-slot';
import { isUniqueViolation } from '../schedule/settings-store';
import type { BackupsService, TaskRow } from '../service';
import { verifyExclusive } from '../tasks/verify-flow';
import { drillFailed } from './alert';
import { drillSlotKey, planDrill, type DrillCandidate } from './plan';

/** started: verifying; taken: another process has this slot; skipped: busy; failed: could not even start. */
export type DrillOutcome = 'started' | 'taken' | 'skipped' | 'failed';

export interface DrillStart {
  outcome: DrillOutcome;
  /** The drill's task row (none when taken). */
  task?: TaskRow;
  /** Settles when the drill has ended and been recorded (and alerted): the final row. */
  done: Promise<TaskRow | null>;
}

export interface DrillRequest {
  /** A scheduled run's time: its slot key makes the drill run once among processes. */
  at?: Date;
  origin: TaskOrigin;
  userId?: number | string;
}

/** How many of the newest backups a drill looks at for one whose archive can be read. */
const CANDIDATES = 50;

/**
 * A restore drill: the newest backup verified exactly as Verify does (verify-flow.ts), as a task of kind 'drill'. The
 * outcome lands on the backup row (lastCheckStatus, verifiedAt); a failure alerts the admins. Never during another
 * task: then the drill is recorded as skipped.
 */
export async function startDrill(service: BackupsService, req: DrillRequest): Promise<DrillStart> {
  const slot = req.at ? drillSlotKey(req.at) : undefined;
  const none: Promise<TaskRow | null> = Promise.resolve(null);
  if (slot && (await service.repo.count({ filter: { slot } }))) return { outcome: 'taken', done: none };
  const busy = !!service.exclusive.running || (await service.store.assertIdle().then(() => false, () => true));
  const plan = planDrill(await candidates(service), busy);
  if (plan.action === 'skip') return recordNotRun(service, req, slot, 'DRILL_SKIPPED_BUSY', 'skipped');
  if (plan.action === 'none') return recordNotRun(service, req, slot, 'DRILL_NO_BACKUP', 'failed');
  let started: Awaited<ReturnType<typeof verifyExclusive>>;
  try {
    const backup = await service.findTask(plan.backupId);
    const password = backup.encrypted ? await schedulePassword(service).catch(() => undefined) : undefined;
    started = await verifyExclusive(service, { taskId: plan.backupId, origin: req.origin, userId: req.userId, kind: 'drill', slot, password });
  } catch (err) {
    if (isUniqueViolation(err)) return { outcome: 'taken', done: none };
    if (err instanceof CodedError && err.code === 'BUSY') return recordNotRun(service, req, slot, 'DRILL_SKIPPED_BUSY', 'skipped');
    // Refused before verifying (a password it lacks, an archive signed elsewhere, a missing file): a failed drill too.
    return recordNotRun(service, req, slot, err, 'failed', plan.fileName);
  }
  const task = started.prepared.task;
  const done = started.done.then(
    async () => finish(service, task.id, plan.fileName),
    async () => finish(service, task.id, plan.fileName),
  );
  return { outcome: 'started', task, done };
}

/** Reads the drill's final row and alerts when it failed; never throws (the scheduler's timer awaits nothing). */
async function finish(service: BackupsService, id: number | string, fileName: string): Promise<TaskRow | null> {
  try {
    const row = await service.findTask(id);
    if (row.status !== 'succeeded') await drillFailed(service.app, { fileName, reason: String(row.error || row.errorCode) });
    return row;
  } catch (err) {
    service.app.log.error(`[${NAMESPACE}] restore drill ${id}`, { err });
    return null;
  }
}

/** A drill that never verified is still a row of the history, failed with why; a failure (not a skip) alerts. */
async function recordNotRun(
  service: BackupsService,
  req: DrillRequest,
  slot: string | undefined,
  reason: unknown,
  outcome: 'skipped' | 'failed',
  fileName?: string,
): Promise<DrillStart> {
  const code = typeof reason === 'string' ? reason : reason instanceof CodedError ? reason.code : 'INTERNAL';
  const error = typeof reason === 'string' ? translate(service.app.i18n, code, {}, 'en-US') : service.describe(reason);
  let task: TaskRow;
  try {
    task = await service.createTask('drill', req.origin, {
      createdById: req.userId,
      ...(slot ? { slot } : {}),
      fileName: fileName ?? null,
      status: 'failed',
      phase: 'done',
      errorCode: code,
      error,
      finishedAt: new Date(),
    });
  } catch (err) {
    if (isUniqueViolation(err)) return { outcome: 'taken', done: Promise.resolve(null) };
    throw err;
  }
  service.app.log.warn(`[${NAMESPACE}] restore drill not run: ${error}`);
  if (outcome === 'failed') await drillFailed(service.app, { fileName: fileName || '-', reason: error });
  return { outcome, task, done: Promise.resolve(task) };
}

async function candidates(service: BackupsService): Promise<DrillCandidate[]> {
  const rows = await service.repo.find({
    filter: { kind: 'backup', status: 'succeeded' },
    sort: ['-createdAt', '-id'],
    limit: CANDIDATES,
  });
  return rows.map((r: { toJSON(): unknown }) => {
    const row = r.toJSON() as TaskRow;
    let local = false;
    try {
      local = fs.existsSync(service.localArchiveOf(row));
    } catch {
      local = false;
    }
    return { ...row, kind: String(row.kind), createdAt: row.createdAt as string, local, remote: !!remoteOf(row) };
  });
}
