import enUS from '../../locale/en-US.json';
import { CodedError } from '../errors';
import { ToolError, ToolNotFoundError } from '../process/errors';

/** Exit codes of the command-line tools (documented in docs/recovery.md, doctor's in docs/usage.md). */
export const EXIT = {
  OK: 0,
  /** Wrong command, option or argument. */
  USAGE: 1,
  /** Bad input: not a backup, damaged, another database or a newer NocoBase, verify mismatch. */
  INVALID: 2,
  /** A database client tool is missing or too old for the server. */
  TOOL: 3,
  /** Anything else failed while running. */
  FAILED: 4,
  /** doctor: nothing blocks a backup, but some lines are warnings. */
  DOCTOR_WARNINGS: 5,
  /** doctor: at least one line blocks backups (e.g. the dump tool is missing). */
  DOCTOR_BLOCKING: 6,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A mistake on the command line (code USAGE): the message is followed by the usage text. */
export class UsageError extends CodedError {
  constructor(message: string) {
    super('USAGE', message, {}, 400);
    this.name = 'UsageError';
  }
}

/** A failure the command describes itself (code FAILED: its message is the text), with the exit code to use. */
export class CliError extends CodedError {
  constructor(
    message: string,
    public exitCode: ExitCode,
    options?: { cause?: unknown },
  ) {
    super('FAILED', message, {}, 500, options && 'cause' in options ? { cause: options.cause } : undefined);
    this.name = 'CliError';
  }
}

const TOOL_CODES = new Set(['TOOL_MISSING', 'TOOL_TOO_OLD']);
/** 409, yet the target is not ready for this backup: the input's case, not a busy server. */
const INVALID_CODES = new Set(['PREFLIGHT_BLOCKED', 'PREFLIGHT_WARNINGS_NOT_ACCEPTED']);

export function exitCodeOf(err: unknown): ExitCode {
  if (err instanceof UsageError) return EXIT.USAGE;
  if (err instanceof CliError) return err.exitCode;
  if (err instanceof ToolNotFoundError) return EXIT.TOOL;
  if (err instanceof CodedError) {
    if (TOOL_CODES.has(err.code)) return EXIT.TOOL;
    if (INVALID_CODES.has(err.code)) return EXIT.INVALID;
    // 4xx means the input was refused; 409 (busy) and 499 (cancelled) are not the input's fault.
    const status = err.status ?? 500;
    if (status >= 400 && status < 500 && status !== 409 && status !== 499) return EXIT.INVALID;
  }
  return EXIT.FAILED;
}

const MESSAGES = enUS as Record<string, string>;

/** What the web UI's text cannot say: how to give a password to a command. */
const CLI_HINTS: Record<string, string> = {
  PASSWORD_REQUIRED: ' Set BACKUPS_MANAGER_PASSWORD, or run the command on a terminal to be asked.',
  FOREIGN_ARCHIVE_NEEDS_ACK: ' Pass --trust-foreign if you trust where it comes from.',
  PREFLIGHT_WARNINGS_NOT_ACCEPTED: ' Pass --accept-warnings to go on.',
};

/** English text of an error, as the web UI would show it (same locale keys), with a hint for the command line. */
export function messageOf(err: unknown): string {
  return textOf(err) + (err instanceof CodedError ? (CLI_HINTS[err.code] ?? '') : '');
}

function textOf(err: unknown): string {
  // A tool's own last lines say more on a terminal than the one-line TOOL_FAILED text; a missing tool says how to fix it.
  if (err instanceof ToolError) {
    const tail = err instanceof ToolNotFoundError ? '' : err.stderrTail.trim().split('\n').slice(-5).join('\n');
    return tail ? `${err.command} failed: ${tail}` : err.message;
  }
  if (err instanceof CodedError) {
    const template = MESSAGES[err.code];
    if (!template) return err.message;
    const params = err.params;
    const keys = [...template.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]);
    // A template whose values the error lacks would print blanks: the error's own English message says more.
    if (!keys.every((key) => key in params)) return err.message;
    return template.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, key: string) => String(params[key]));
  }
  return (err as Error)?.message || String(err);
}

/** The code shown in --json output. */
export function codeOf(err: unknown): string {
  if (err instanceof CliError && err.cause) return codeOf(err.cause);
  if (err instanceof ToolNotFoundError) return 'TOOL_MISSING';
  if (err instanceof CodedError) return err.code;
  return 'INTERNAL';
}
