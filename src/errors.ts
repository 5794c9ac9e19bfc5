/**
 * Errors are values: a stable code, a one-line message and a hint that tells the user what
 * to do next. The CLI turns them into an exit code and one clear line on stderr (a stack
 * trace only with `--trace debug`).
 */

/** Exit codes shared by every command. */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  interrupted: 130,
} as const;
export type ExitCode = typeof ExitCode[keyof typeof ExitCode];

export interface ErrorInit {
  code: string;
  message: string;
  hint?: string;
  exitCode?: ExitCode;
  cause?: unknown;
}

export class LlmspellError extends Error {
  readonly code: string;
  readonly hint?: string;
  readonly exitCode: ExitCode;

  constructor(init: ErrorInit) {
    super(init.message, { cause: init.cause });
    this.name = "LlmspellError";
    this.code = init.code;
    this.hint = init.hint;
    this.exitCode = init.exitCode ?? ExitCode.failure;
  }
}

/** A usage error: wrong flags or arguments; exits 2. */
export function usageError(message: string, hint?: string): LlmspellError {
  return new LlmspellError({ code: "usage", message, hint, exitCode: ExitCode.usage });
}

export function isLlmspellError(e: unknown): e is LlmspellError {
  return e instanceof LlmspellError;
}
