import fs from 'fs';

/** Bytes written between two requests that the kernel put the file on disk. */
export const WRITE_BEHIND_STEP = 16 * 1024 * 1024;

export type SyncFn = (fd: number, done: (err: NodeJS.ErrnoException | null) => void) => void;

/**
 * Has an archive's bytes go to disk while it is still being written: an fdatasync (on libuv's thread pool, one at a
 * time) each time another `step` bytes were written. The fsync before the archive is renamed into place then waits
 * for the last few megabytes only: the kernel otherwise keeps the whole archive in dirty pages (far below its
 * background threshold on a server with gigabytes of memory) and that fsync wrote all of it while the backup waited.
 *
 * An error of one of these syncs is kept and thrown by stop(): Linux reports a write-back error once, to the first
 * sync that asks, so the final fsync (another descriptor) could otherwise succeed over pages that never reached disk.
 */
export class WriteBehind {
  private synced = 0;
  private latest = 0;
  private running: Promise<void> | null = null;
  private stopped = false;
  private error: NodeJS.ErrnoException | null = null;

  constructor(
    private readonly fd: number,
    private readonly step = WRITE_BEHIND_STEP,
    private readonly sync: SyncFn = fs.fdatasync,
  ) {}

  /** `bytes`: what the file holds now. Starts a sync when `step` more were written since the last one began. */
  written(bytes: number): void {
    this.latest = Math.max(this.latest, bytes);
    if (this.stopped || this.running || this.error || this.latest - this.synced < this.step) return;
    this.synced = this.latest;
    this.running = new Promise<void>((resolve) =>
      this.sync(this.fd, (err) => {
        if (err) this.error = err;
        this.running = null;
        resolve();
        this.written(this.latest); // what was written meanwhile may be a step already
      }),
    );
  }

  /**
   * Starts no more syncs and waits for the one under way (before the descriptor is closed: a sync still queued could
   * otherwise reach a number reused by another file). Throws the first sync error, if any.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
    if (this.error) throw this.error;
  }
}
