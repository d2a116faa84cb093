// Long synchronous loops (tens of thousands of files or manifest entries) hand the event loop back every few
// milliseconds, so the server keeps answering its requests and health checks while a backup or restore runs.

/** How long a loop may keep the main thread before it yields. */
export const SLICE_MS = 4;

/**
 * `if (slice.due()) await slice.pause();` after each unit of work: no promise per unit, one setImmediate per slice.
 */
export class TimeSlice {
  private started = performance.now();

  constructor(private readonly ms = SLICE_MS) {}

  due(): boolean {
    return performance.now() - this.started > this.ms;
  }

  async pause(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.started = performance.now();
  }
}
