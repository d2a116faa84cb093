import readline from 'readline';
import type { Writable } from 'stream';
import { codeOf, exitCodeOf, messageOf, type ExitCode } from './exit-codes';

export interface Output {
  /** A step, on stderr: "Restoring the database…". */
  step(message: string): void;
  /** Phase and percent, on stderr; repeated only when the phase changes or every 10 %. */
  progress(phase: string, percent: number): void;
  /** The final result: JSON on stdout with --json, else the human text. */
  result(value: Record<string, unknown>, human: string): void;
  /** Reports the error and returns the exit code to use. */
  fail(err: unknown): ExitCode;
}

export function createOutput(
  json: boolean,
  stdout: Writable = process.stdout,
  stderr: Writable = process.stderr,
): Output {
  let lastPhase = '';
  let lastTenth = -1;
  return {
    step: (message) => {
      stderr.write(`${message}\n`);
    },
    progress: (phase, percent) => {
      const tenth = Math.floor(percent / 10);
      if (phase === lastPhase && tenth === lastTenth) return;
      lastPhase = phase;
      lastTenth = tenth;
      stderr.write(`  ${phase} ${Math.round(percent)}%\n`);
    },
    result: (value, human) => {
      stdout.write(json ? `${JSON.stringify({ ok: true, ...value })}\n` : `${human}\n`);
    },
    fail: (err) => {
      const exitCode = exitCodeOf(err);
      const message = messageOf(err);
      if (json) {
        const details = (err as { report?: unknown }).report;
        stdout.write(
          `${JSON.stringify({ ok: false, exitCode, error: { code: codeOf(err), message }, ...(details ? { report: details } : {}) })}\n`,
        );
      }
      stderr.write(`Error: ${message}\n`);
      return exitCode;
    },
  };
}

/** Asks on the terminal; without one nothing can be confirmed (the caller says to use --yes). */
export function askOnTerminal(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return Promise.resolve(false);
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  return new Promise((resolve) =>
    rl.question(question, (answer) => {
      rl.close();
      resolve(answer.trim().toLowerCase() === 'yes');
    }),
  );
}
