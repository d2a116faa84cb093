import { busy } from '../errors';

/**
 * One backup or restore at a time per app, in this process. The task table is checked too (see service), so a
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
