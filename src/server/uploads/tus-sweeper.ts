import { transient } from '../schedule/scheduler';
import { TUS_SWEEP_EVERY_MS } from './tus-rules';
import { sweepTusUploads } from './tus-sweep';

/**
 * The periodic sweep of one app's uploads folder (it also runs before each new upload): an unref'd timer, none in
 * transient workers, which run one job and exit.
 */
export class TusSweeper {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private dir: () => string,
    private onError: (err: unknown) => void,
    private everyMs = TUS_SWEEP_EVERY_MS,
  ) {}

  start(): void {
    if (transient() || this.timer) return;
    this.sweep();
    this.timer = setInterval(() => this.sweep(), this.everyMs);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private sweep(): void {
    sweepTusUploads(this.dir()).catch(this.onError);
  }
}
