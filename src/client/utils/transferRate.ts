/**
 * Speed and time left of a transfer, from the progress events it reports: the bytes over the last `windowMs`
 * (a moving window, so a stall or a resume shows within seconds, not averaged over the whole upload).
 */
export class TransferRate {
  private samples: { at: number; bytes: number }[] = [];

  constructor(private windowMs = 5000) {}

  /** Bytes sent so far (absolute, as tus-js-client reports them) at time `at` (ms). */
  add(bytes: number, at: number): void {
    // A resume may restart below the last figure (a chunk cut in the middle): the window starts again there.
    const last = this.samples[this.samples.length - 1];
    if (last && bytes < last.bytes) this.samples = [];
    this.samples.push({ at, bytes });
    while (this.samples.length > 2 && at - this.samples[1].at >= this.windowMs) this.samples.shift();
  }

  /** Bytes per second, or undefined before there is a second sample a little apart. */
  speed(): number | undefined {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (!first || !last || last.at - first.at < 500) return undefined;
    return ((last.bytes - first.bytes) * 1000) / (last.at - first.at);
  }

  /** Seconds until `total` at the current speed; undefined when unknown, or stalled. */
  secondsLeft(total: number): number | undefined {
    const speed = this.speed();
    const last = this.samples[this.samples.length - 1];
    if (!speed || !last) return undefined;
    return Math.max(0, Math.ceil((total - last.bytes) / speed));
  }

  reset(): void {
    this.samples = [];
  }
}

/** 75 -> "1:15", 3725 -> "1:02:05". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return hh ? `${hh}:${String(mm).padStart(2, '0')}:${ss}` : `${mm}:${ss}`;
}
