import { busy } from '../errors';

/**
 * One backup or restore at a time per app, in this process. The task table is checked too (see runExclusive), so a
 * second process sharing the database also sees a running task.
 */
export class Exclusive {
  private current: { id: number | string; kind: string } | null = null;

  get running() {
    return this.current;
  }

  acquire(id: number | string, kind: string): () => void {
    if (this.current) throw busy();
    this.current = { id, kind };
    let released = false;
    return () => {
      if (!released && this.current?.id === id) this.current = null;
      released = true;
    };
  }

  /** Reserve before the task row exists (the id comes later). */
  reserve(kind: string): { setId(id: number | string): void; release(): void } {
    if (this.current) throw busy();
    const slot = { id: `pending-${Date.now()}` as number | string, kind };
    this.current = slot;
    return {
      setId: (id) => {
        slot.id = id;
      },
      release: () => {
        if (this.current === slot) this.current = null;
      },
    };
  }
}

/** What runExclusive needs: this process's slot, and the task table for the tasks of other processes. */
export interface ExclusiveGate {
  exclusive: Exclusive;
  store: { assertIdle(): Promise<void> };
}

/** prepare succeeded and run is under way; `done` settles once run ended and the slot is free again. */
export interface Started<P, R> {
  prepared: P;
  done: Promise<R>;
}

/**
 * The one way a backup, restore or verify starts: the slot is reserved (BUSY if this process runs one), the task
 * table checked (BUSY if another process does), then `prepare` validates and usually creates the task row, whose id
 * the slot takes. `run` starts at once; the slot is released when it ends, or when `prepare` fails. Callers that
 * answer at once return `prepared` and handle `done`; the others await `done`.
 */
export async function runExclusive<P extends { task?: { id: number | string } }, R>(
  gate: ExclusiveGate,
  kind: string,
  prepare: () => Promise<P>,
  run: (prepared: P) => Promise<R>,
): Promise<Started<P, R>> {
  const slot = gate.exclusive.reserve(kind);
  let prepared: P;
  try {
    await gate.store.assertIdle();
    prepared = await prepare();
  } catch (err) {
    slot.release();
    throw err;
  }
  if (prepared.task) slot.setId(prepared.task.id);
  const done = (async () => run(prepared))().finally(() => slot.release());
  // Marked handled here: a failure reaches the caller through `done` when it awaits it, never as an unhandled rejection.
  done.catch(() => undefined);
  return { prepared, done };
}
