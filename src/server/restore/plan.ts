// Pure: which steps a restore takes, and what a start-up must do with a journal a crash left behind.

export type TargetKind = 'app' | 'source';

export interface TargetRef {
  kind: TargetKind;
  name: string;
}

/** A step that changes live data: recorded 'begun' before and 'done' after it. */
export type LiveStep = `db:main` | `db:app:${string}` | `db:source:${string}` | 'storage' | 'finish';

export type Step = 'stage' | 'safety' | 'maintenance' | LiveStep | 'commit';

export interface PlanInput {
  /** The main application (database and storage folders); false for sub-applications / data sources only. */
  main: boolean;
  targets: TargetRef[];
  safetyBackup: boolean;
  /** Something to run once the data is in place (the app's upgrade and restart); the offline paths let the caller do it. */
  finish: boolean;
}

export const dbStep = (t: TargetRef | 'main'): LiveStep => (t === 'main' ? 'db:main' : `db:${t.kind}:${t.name}`);

/**
 * Stage and verify, safety backup, maintenance (main only), sub-applications and sources, the main database, the
 * storage folders (main only), finish, commit. Sub-applications go first: the main app lists them and would try to
 * open them as soon as it is back.
 */
export function planRestore(input: PlanInput): Step[] {
  const steps: Step[] = ['stage'];
  if (input.safetyBackup) steps.push('safety');
  if (input.main) steps.push('maintenance');
  for (const t of input.targets) steps.push(dbStep(t));
  if (input.main) steps.push('db:main', 'storage');
  if (input.finish) steps.push('finish');
  steps.push('commit');
  return steps;
}

export type JournalState = 'preparing' | 'live' | 'ended';

export interface JournalView {
  state: JournalState;
  /** The safety backup, once it exists; null when the admin turned it off. */
  safety: string | null;
  /** Whether the verified staged dumps of every database still to replace are there. */
  stagingPresent: boolean;
  /** The live steps the plan had, in order. */
  planned: string[];
  steps: Partial<Record<string, 'begun' | 'done'>>;
  /** The process that ran the restore is still alive: it is not ours to recover. */
  ownerAlive: boolean;
  /** A move from another dialect: NocoBase's own commands redo it, not a start-up, so it never goes forward. */
  move?: boolean;
}

export type Recovery =
  | { action: 'none' }
  /** Nothing live had changed: remove the staging and record the interruption. */
  | { action: 'discard' }
  /** Put back every database a step had begun to change, and the set-aside storage folders. */
  | { action: 'rollback'; databases: string[] }
  /** No safety backup: finish the restore from the verified staged copy. */
  | { action: 'forward'; databases: string[] }
  /** Every step had ended (the app already ran on the restored data): keep it, finish the cleanup. */
  | { action: 'commit' }
  /** Neither is possible (no safety backup and the staged copy is gone): a person must decide. */
  | { action: 'manual' };

/**
 * What a start-up does with a journal. A live change with a safety backup is rolled back (the admin gets the app as
 * it was, and can restore again); without one it is completed forward, which needs the staged copy. A restore whose
 * every step had ended is kept.
 */
export function decideRecovery(j: JournalView): Recovery {
  if (j.ownerAlive) return { action: 'none' };
  if (j.state === 'ended') return { action: 'discard' };
  if (j.state === 'preparing') return { action: 'discard' };
  // Past the last step the restored app may already have served (and taken new writes): never undo that.
  if (j.planned.length && j.planned.every((s) => j.steps[s] === 'done')) return { action: 'commit' };
  const begun = Object.keys(j.steps).filter((s) => s.startsWith('db:'));
  if (j.safety) return { action: 'rollback', databases: begun };
  if (j.stagingPresent && !j.move) return { action: 'forward', databases: j.planned.filter((s) => s.startsWith('db:') && j.steps[s] !== 'done') };
  return { action: 'manual' };
}
