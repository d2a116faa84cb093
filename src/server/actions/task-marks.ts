import type { Context, Next } from '@nocobase/actions';
import { BackupError } from '../errors';
import { getService } from '../service';
import { noteOf } from '../tasks/note';
import { action } from './respond';
import { isTrue } from './trust';

// What an admin sets on a backup row after the fact: Keep forever (pinned) and the note.

async function backupRow(ctx: Context) {
  const task = await getService(ctx.app).findTask(ctx.action.params.filterByTk);
  if (task.kind !== 'backup') throw new BackupError('NOT_A_BACKUP', {}, 409);
  return task;
}

/** `values.pinned`: true keeps the backup forever (no retention policy deletes it), false hands it back to the policy. */
export const pinAction = action(async (ctx: Context, next: Next) => {
  const task = await backupRow(ctx);
  const pinned = isTrue((ctx.action.params.values || {}).pinned);
  await getService(ctx.app).updateTask(task.id, { pinned });
  ctx.body = { id: task.id, pinned };
  await next();
});

/** `values.note`: the new note; empty removes it. The archive's manifest keeps the note it was written with. */
export const noteAction = action(async (ctx: Context, next: Next) => {
  const task = await backupRow(ctx);
  const note = noteOf((ctx.action.params.values || {}).note ?? null);
  await getService(ctx.app).updateTask(task.id, { note });
  ctx.body = { id: task.id, note };
  await next();
});
