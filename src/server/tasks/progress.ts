import type { Phase } from '../../constants';

/** Coalesces progress callbacks into at most one write per interval (phase changes are written at once). */
export function throttledProgress(
  write: (phase: Phase, percent: number) => Promise<unknown>,
  intervalMs = 500,
): (phase: Phase, percent: number) => void {
  let last = 0;
  let lastPhase: Phase | null = null;
  let chain: Promise<unknown> = Promise.resolve();
  return (phase, percent) => {
    const now = Date.now();
    if (phase === lastPhase && now - last < intervalMs) return;
    last = now;
    lastPhase = phase;
    chain = chain.then(() => write(phase, Math.max(0, Math.min(100, Math.round(percent))))).catch(() => undefined);
  };
}
