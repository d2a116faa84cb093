import type { Phase } from '../../constants';

/** A progress write may give up quickly on a locked SQLite file: the next one carries newer figures anyway. */
export const PROGRESS_WRITE_BUDGET_MS = 2000;

export interface ProgressWriter {
  report(phase: Phase, percent: number): void;
  /** Waits for the pending write: the final status must not race a progress write (SQLite answers SQLITE_BUSY). */
  flush(): Promise<void>;
}

/** Coalesces progress callbacks into at most one write per interval (phase changes are written at once). */
export function throttledProgress(
  write: (phase: Phase, percent: number) => Promise<unknown>,
  intervalMs = 500,
): ProgressWriter {
  let last = 0;
  let lastPhase: Phase | null = null;
  let chain: Promise<unknown> = Promise.resolve();
  let closed = false;
  return {
    report(phase, percent) {
      const now = Date.now();
      if (closed || (phase === lastPhase && now - last < intervalMs)) return;
      last = now;
      lastPhase = phase;
      chain = chain.then(() => write(phase, Math.max(0, Math.min(100, Math.round(percent))))).catch(() => undefined);
    },
    async flush() {
      closed = true;
      await chain;
    },
  };
}
