// Which backup a restore drill verifies, and whether it may run now. Pure: rows and facts in, a decision out.

/** The backup rows a drill chooses from, as the task table has them. */
export interface DrillCandidate {
  id: number | string;
  kind: string;
  status: string;
  fileName?: string | null;
  createdAt?: string | Date | null;
  /** The archive is on this server. */
  local: boolean;
  /** It has an off-site copy (verify fetches it back). */
  remote: boolean;
}

export type DrillPlan =
  | { action: 'run'; backupId: number | string; fileName: string }
  | { action: 'skip'; reason: 'busy' }
  | { action: 'none'; reason: 'no-backup' };

/** Prefix of a scheduled drill's slot key (`sched:` is the backup schedule's): unique in the task table. */
export const DRILL_SLOT_PREFIX = 'drill:';

export function drillSlotKey(at: Date): string {
  return `${DRILL_SLOT_PREFIX}${at.toISOString().slice(0, 19)}Z`;
}

const time = (v: DrillCandidate['createdAt']) => (v ? new Date(v).getTime() || 0 : 0);

/**
 * The newest succeeded backup whose archive can still be read (here or off-site); never while a backup, restore or
 * verify runs (`busy`): a drill loads the database server as much as a restore.
 */
export function planDrill(candidates: DrillCandidate[], busy: boolean): DrillPlan {
  if (busy) return { action: 'skip', reason: 'busy' };
  const usable = candidates
    .filter((c) => c.kind === 'backup' && c.status === 'succeeded' && !!c.fileName && (c.local || c.remote))
    .sort((a, b) => time(b.createdAt) - time(a.createdAt) || Number(b.id) - Number(a.id));
  const newest = usable[0];
  return newest ? { action: 'run', backupId: newest.id, fileName: String(newest.fileName) } : { action: 'none', reason: 'no-backup' };
}
