import { CodedError } from '../errors';

export interface ToolErrorDetails {
  /** Basename of the executable only: full paths can reveal more than the user needs. */
  command: string;
  /** null when the child never ran (not found) or was killed by a signal. */
  exitCode: number | null;
  /** The end of stderr (scrubbed), where the tools put the real reason. */
  stderrTail: string;
  signal?: string;
}

/** A database tool failed: TOOL_FAILED, rendered with the tool's name and the end of what it said (status 500, our fault). */
export class ToolError extends CodedError {
  readonly command: string;
  readonly exitCode: number | null;
  readonly stderrTail: string;
  readonly signal?: string;

  constructor(message: string, details: ToolErrorDetails) {
    super('TOOL_FAILED', message, { tool: details.command, detail: details.stderrTail.trim().slice(-1000) || message }, 500);
    this.name = 'ToolError';
    this.command = details.command;
    this.exitCode = details.exitCode;
    this.stderrTail = details.stderrTail;
    this.signal = details.signal;
  }
}

/** The executable is not on PATH (or the configured path is wrong). */
export class ToolNotFoundError extends ToolError {
  constructor(message: string, details: ToolErrorDetails) {
    super(message, details);
    this.name = 'ToolNotFoundError';
  }
}

/** The run was cancelled through its AbortSignal. */
export class ToolAbortedError extends ToolError {
  constructor(message: string, details: ToolErrorDetails) {
    super(message, details);
    this.name = 'ToolAbortedError';
  }
}
