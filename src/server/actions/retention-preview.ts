import type { Context, Next } from '@nocobase/actions';
import { readSettings } from '../schedule/settings-store';
import { applyUpdate, CALENDAR_KEYS } from '../schedule/settings-values';
import { policyOf } from '../schedule/apply-retention';
import { previewRetention, type RetentionRow } from '../schedule/retention';
import { checkCron, nextRuns } from '../schedule/cron';
import { findJson } from '../db/find-json';
import { getService } from '../service';
import { action } from './respond';

// Read-only: which existing backups a retention policy not yet saved would delete after the next scheduled backup,
// so the admin sees it before Save.

const POLICY_KEYS = ['keepLast', 'maxAgeDays', 'timezone', ...CALENDAR_KEYS] as const;

const when = (r: RetentionRow) => new Date((r.finishedAt ?? r.createdAt ?? 0) as string).getTime() || 0;

/** The body is the unsaved policy (its fields only; the rest of the settings stay as stored). */
export const retentionPreviewAction = action(async (ctx: Context, next: Next) => {
  const values = (ctx.action.params.values || {}) as Record<string, unknown>;
  const current = await readSettings(ctx.db);
  const policy = Object.fromEntries(POLICY_KEYS.filter((k) => values[k] !== undefined).map((k) => [k, values[k]]));
  // The same validation as Save: a policy Save would refuse is refused here with the same message.
  const settings = applyUpdate(current, policy);
  const rows = await findJson<RetentionRow & Record<string, unknown>>(getService(ctx.app).repo, { filter: { kind: 'backup' } });
  // Retention runs after the next scheduled backup: judged at that run (now when the schedule is off), with it.
  const valid = settings.enabled && checkCron(settings.cron, settings.timezone).valid;
  const at = (valid && nextRuns(settings.cron, settings.timezone, 1)[0]) || new Date();
  const plan = previewRetention(rows, policyOf(settings, at));
  const doomed = new Set(plan.destroy.map(String));
  ctx.body = {
    destroy: rows
      .filter((r) => doomed.has(String(r.id)))
      .sort((a, b) => when(b) - when(a))
      .map((r) => ({
        id: r.id,
        status: r.status,
        fileName: r.fileName ?? null,
        size: r.size ?? null,
        finishedAt: r.finishedAt ?? null,
        createdAt: r.createdAt ?? null,
        note: r.note ?? null,
        offsite: !!r.remote,
      })),
    /** Succeeded backups listed now, to say "N of M". */
    backups: rows.filter((r) => r.status === 'succeeded').length,
  };
  await next();
});
