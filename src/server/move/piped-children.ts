import fs from 'fs';
import path from 'path';
import { PassThrough } from 'stream';
import type { CommandSpec } from '../dumpers/types';
import { runTool } from '../process/run';

// One round of a move's bulk load, whichever way it crosses: a producing child's stdout piped into a consuming
// child's stdin with backpressure (or, with no producer, a file fed to the consumer), the round's plan in a 0600 file
// both may read, and progress from one child's stderr as JSON lines {"table": name, "rows": n}. The server only passes
// bytes along: no row is parsed or held here, so its memory does not grow with the data.

export interface PipedRound {
  /** 0700 scratch folder: the plan file goes there. */
  tmpDir: string;
  /** Written as JSON to the plan file, whose path the specs get. */
  plan: unknown;
  /** The producer, or the file the consumer reads as its stdin. */
  from: (planFile: string) => CommandSpec | { file: string };
  into: (planFile: string) => CommandSpec;
  /** The child whose stderr carries the progress lines. */
  progressFrom: 'from' | 'into';
  onProgress?: (table: string, rows: number) => void;
  signal?: AbortSignal;
}

/** Runs the round; answers the rows copied per target table, as the progress lines last said. */
export async function runPipedRound(input: PipedRound): Promise<Record<string, number>> {
  const planFile = path.join(input.tmpDir, `move-plan-${process.pid}-${Date.now()}.json`);
  await fs.promises.writeFile(planFile, JSON.stringify(input.plan), { mode: 0o600, flag: 'wx' });
  const rows: Record<string, number> = Object.create(null);
  const onLine = (line: string) => {
    let p: unknown;
    try {
      p = JSON.parse(line);
    } catch {
      return; // an error message: it is in the tool's error
    }
    const { table, rows: n } = (p ?? {}) as { table?: unknown; rows?: unknown };
    if (typeof table === 'string' && typeof n === 'number') {
      rows[table] = n;
      input.onProgress?.(table, n);
    }
  };
  // Either side failing stops the other: a consumer that died would leave the producer blocked on a full pipe.
  const fromStop = new AbortController();
  const intoStop = new AbortController();
  const forward = () => {
    fromStop.abort();
    intoStop.abort();
  };
  input.signal?.addEventListener('abort', forward, { once: true });
  const pipe = new PassThrough({ highWaterMark: 1024 * 1024 });
  try {
    // The first failure is the cause (the other side was only stopped because of it).
    let cause: unknown = null;
    const fail = (err: unknown, other: AbortController): never => {
      cause ??= err;
      other.abort();
      throw err;
    };
    const source = input.from(planFile);
    const producer =
      'file' in source
        ? Promise.resolve()
        : runTool(source, { stdout: pipe, signal: fromStop.signal, ...(input.progressFrom === 'from' ? { onStderrLine: onLine } : {}) }).then(
            () => void pipe.end(),
            (err) => fail(err, intoStop),
          );
    const consumer = runTool(input.into(planFile), {
      stdin: 'file' in source ? source.file : pipe,
      signal: intoStop.signal,
      ...(input.progressFrom === 'into' ? { onStderrLine: onLine } : {}),
    }).catch((err) => fail(err, fromStop));
    const settled = await Promise.allSettled([producer, consumer]);
    if (settled.some((r) => r.status === 'rejected')) throw cause;
    return rows;
  } finally {
    input.signal?.removeEventListener('abort', forward);
    pipe.destroy();
    await fs.promises.rm(planFile, { force: true });
  }
}
