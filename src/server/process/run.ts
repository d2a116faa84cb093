import execa from 'execa';
import { open, rm, writeFile } from 'fs/promises';
import type { FileHandle } from 'fs/promises';
import os from 'os';
import path from 'path';
import { Readable, Writable } from 'stream';
import type { CommandSpec } from '../dumpers/types';
import { registerChild, unregisterChild } from './children';
import { childEnv } from './env';
import { ToolAbortedError, ToolError, ToolNotFoundError } from './errors';
import { scrub, secretsOf } from './secrets';
import { TailBuffer } from './tail';

export interface RunIO {
  /** A stream, or the path of a file to feed as stdin (passed as a descriptor: no copying through node). */
  stdin?: Readable | string;
  /**
   * Receives stdout: a stream (with backpressure), or an open file descriptor the child writes to itself, so a
   * dump of any size never passes through this process. Never ended or closed here, so several commands can append
   * to one file.
   */
  stdout?: Writable | number;
  /** Each stderr line (scrubbed), e.g. for progress. */
  onStderrLine?: (line: string) => void;
  signal?: AbortSignal;
  /** Called with the child's pid right after it started. */
  onSpawn?: (pid: number) => void;
}

const STDERR_LIMIT = 64 * 1024;
const MESSAGE_STDERR_LIMIT = 2000;
const KILL_GRACE_MS = 5000;
const CAPTURE_LIMIT = 16 * 1024 * 1024;

/** The only place that starts a child process. Resolves with the (scrubbed, bounded) stderr on exit code 0. */
export async function runTool(spec: CommandSpec, io: RunIO = {}): Promise<{ stderr: string }> {
  const name = path.basename(spec.command);
  const secrets = secretsOf(spec);
  const onLine = io.onStderrLine;
  const tail = new TailBuffer(STDERR_LIMIT, onLine && ((line: string) => onLine(scrub(line, secrets))));
  const details = (exitCode: number | null, signal?: string) => ({
    command: name,
    exitCode,
    stderrTail: scrub(tail.value(), secrets),
    signal,
  });
  if (io.signal?.aborted) throw new ToolAbortedError(`${name} was cancelled`, details(null));

  const written: string[] = [];
  let stdinHandle: FileHandle | undefined;
  try {
    for (const file of spec.files ?? []) {
      // 'wx' refuses an existing path (or a planted symlink) instead of writing the secret through it.
      await writeFile(file.path, file.content, { mode: 0o600, flag: 'wx' });
      written.push(file.path);
    }
    let stdin: 'ignore' | 'pipe' | number = 'ignore';
    if (typeof io.stdin === 'string') {
      stdinHandle = await open(io.stdin, 'r');
      stdin = stdinHandle.fd;
    } else if (io.stdin) {
      stdin = 'pipe';
    }

    await spawnTurn();
    if (io.signal?.aborted) throw new ToolAbortedError(`${name} was cancelled`, details(null));
    const child = execa(spec.command, spec.args, {
      env: childEnv(spec.env),
      extendEnv: false,
      stdin,
      stdout: typeof io.stdout === 'number' ? io.stdout : io.stdout ? 'pipe' : 'ignore',
      stderr: 'pipe',
      buffer: false,
      windowsHide: true,
    });
    if (child.pid !== undefined) {
      lowerPriority(child.pid);
      registerChild(child.pid, name);
      io.onSpawn?.(child.pid);
    }

    const closed = (stream: Readable | null | undefined) =>
      stream ? new Promise<void>((resolve) => stream.once('close', () => resolve())) : Promise.resolve();
    const stderrClosed = closed(child.stderr);
    const stdoutClosed = closed(child.stdout);
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => tail.push(chunk));

    // A failing sink or source stops the child: its own exit code would hide the real cause.
    let streamError: Error | undefined;
    const failStreams = (error: Error) => {
      streamError ??= error;
      child.stdout?.destroy();
      child.kill('SIGTERM', { forceKillAfterTimeout: KILL_GRACE_MS });
    };
    const sink = typeof io.stdout === 'number' ? undefined : io.stdout;
    if (sink && child.stdout) {
      sink.on('error', failStreams);
      child.stdout.pipe(sink, { end: false });
    }
    const source = typeof io.stdin === 'string' ? undefined : io.stdin;
    if (source && child.stdin) {
      // EPIPE when the child exits early: its exit code and stderr tell why.
      child.stdin.on('error', () => undefined);
      source.on('error', failStreams);
      source.pipe(child.stdin);
    }

    let aborted = false;
    const onAbort = () => {
      aborted = true;
      child.kill('SIGTERM', { forceKillAfterTimeout: KILL_GRACE_MS });
    };
    io.signal?.addEventListener('abort', onAbort, { once: true });

    let failure: execa.ExecaError | undefined;
    try {
      await child;
    } catch (error) {
      failure = error as execa.ExecaError;
    } finally {
      io.signal?.removeEventListener('abort', onAbort);
      if (child.pid !== undefined) unregisterChild(child.pid);
    }
    // 'exit' can come before the pipes are drained: wait so stdout is complete and stderr holds the reason.
    await Promise.all([stdoutClosed, stderrClosed]);
    tail.end();
    if (sink && child.stdout) {
      child.stdout.unpipe(sink);
      sink.off('error', failStreams);
    }
    if (source && child.stdin) {
      source.unpipe(child.stdin);
      source.off('error', failStreams);
    }

    if (aborted) throw new ToolAbortedError(`${name} was cancelled`, details(null, 'SIGTERM'));
    if (streamError) throw streamError;
    if (failure) throw toToolError(name, spec.command, failure, details, secrets);
    return { stderr: scrub(tail.value(), secrets) };
  } finally {
    await stdinHandle?.close();
    await Promise.all(written.map((file) => rm(file, { force: true })));
  }
}

// A process start holds the event loop 10-40 ms (the fork of a large server copies its page tables, then waits for
// the exec). Starts asked for at once (a backup's tool checks and its size listing) take turns, one per turn of the
// event loop, so the server answers its requests between them instead of after all of them.
let spawnQueue: Promise<void> = Promise.resolve();
function spawnTurn(): Promise<void> {
  const turn = spawnQueue.then(() => new Promise<void>((resolve) => setImmediate(resolve)));
  spawnQueue = turn;
  return turn;
}

/**
 * A tool runs below the server's event loop, as the bulk worker threads do (background-thread.ts): nice 10, which
 * its own children (pg_dump -j workers) inherit. It still takes every idle cycle; when it and the event loop want
 * the same core, the event loop, which answers the app's requests, goes first. Where refused, it runs as before.
 */
export const CHILD_NICE = 10;
function lowerPriority(pid: number): void {
  try {
    os.setPriority(pid, CHILD_NICE);
  } catch {
    /* not permitted here: the tool runs at the server's priority */
  }
}

/** For short commands (versions, table lists, counts): stdout as text, bounded. */
export async function captureTool(spec: CommandSpec, io: Pick<RunIO, 'signal'> = {}): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      size += chunk.length;
      if (size > CAPTURE_LIMIT) return callback(new Error(`${path.basename(spec.command)} printed too much output`));
      chunks.push(chunk);
      callback();
    },
  });
  await runTool(spec, { stdout: sink, signal: io.signal });
  return Buffer.concat(chunks).toString('utf8');
}

type Details = (exitCode: number | null, signal?: string) => ConstructorParameters<typeof ToolError>[1];

function toToolError(
  name: string,
  command: string,
  failure: execa.ExecaError,
  details: Details,
  secrets: string[],
): ToolError {
  const code = (failure as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') {
    return new ToolNotFoundError(
      scrub(
        `${name} was not found (looked for "${command}"): install the database client tools or set their path`,
        secrets,
      ),
      details(null),
    );
  }
  if (code === 'EACCES') {
    const message = `${name} could not be executed (permission denied: "${command}")`;
    return new ToolError(scrub(message, secrets), details(null));
  }
  const d = details(failure.exitCode ?? null, failure.signal);
  const excerpt = d.stderrTail.trim().slice(-MESSAGE_STDERR_LIMIT);
  const how = failure.signal ? `was killed by ${failure.signal}` : `exited with code ${failure.exitCode}`;
  return new ToolError(`${name} ${how}${excerpt ? `: ${excerpt}` : ''}`, d);
}
