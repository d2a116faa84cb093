/** Keeps only the last `limit` characters of a stream of text, and splits it into lines as it arrives. */
export class TailBuffer {
  private text = '';
  private partial = '';

  constructor(
    private readonly limit: number,
    private readonly onLine?: (line: string) => void,
  ) {}

  push(chunk: string): void {
    this.text += chunk;
    if (this.text.length > this.limit * 2) this.trim();
    if (!this.onLine) return;
    const lines = (this.partial + chunk).split(/\r?\n/);
    this.partial = lines.pop() ?? '';
    // A line without end (e.g. a progress bar) must not grow without bound either.
    if (this.partial.length > this.limit) {
      lines.push(this.partial.slice(0, this.limit));
      this.partial = '';
    }
    for (const line of lines) this.onLine(line);
  }

  /** Emits a last unterminated line. */
  end(): void {
    if (this.onLine && this.partial) this.onLine(this.partial);
    this.partial = '';
  }

  value(): string {
    this.trim();
    return this.text;
  }

  private trim(): void {
    if (this.text.length <= this.limit) return;
    this.text = this.text.slice(-this.limit);
    // Drop the cut first line: it could hold the end of a secret the scrubber can no longer recognise.
    const nl = this.text.indexOf('\n');
    if (nl >= 0) this.text = this.text.slice(nl + 1);
  }
}
