/**
 * Leveled logging to stderr, set by `--trace LEVEL`. Diagnostics never go to stdout, which
 * carries results only.
 */
export const TRACE_LEVELS = ["off", "error", "warn", "info", "debug", "trace"] as const;
export type TraceLevel = typeof TRACE_LEVELS[number];

let current = 2; // warn
const encoder = new TextEncoder();

export function setTraceLevel(level: TraceLevel): void {
  current = TRACE_LEVELS.indexOf(level);
}

export function traceLevel(): TraceLevel {
  return TRACE_LEVELS[current];
}

export function enabled(level: Exclude<TraceLevel, "off">): boolean {
  return TRACE_LEVELS.indexOf(level) <= current;
}

function emit(level: Exclude<TraceLevel, "off">, msg: string): void {
  if (!enabled(level)) return;
  Deno.stderr.writeSync(encoder.encode(`[${level}] ${msg}\n`));
}

/**
 * Where diagnostics go, one line per call, by level: the one logger shape of llmspell (the CLI's
 * `log` below, the kernel's log file, the ZMTP sockets' peer diagnostics). What a line looks
 * like and whether a level is shown is the logger's choice.
 */
export interface Logger {
  error(msg: string): void;
  warn(msg: string): void;
  info(msg: string): void;
  debug(msg: string): void;
  trace(msg: string): void;
}

/** To stderr as `[level] msg`, at the `--trace` level. */
export const log: Logger = {
  error: (msg: string) => emit("error", msg),
  warn: (msg: string) => emit("warn", msg),
  info: (msg: string) => emit("info", msg),
  debug: (msg: string) => emit("debug", msg),
  trace: (msg: string) => emit("trace", msg),
};

function drop(_msg: string): void {}

/** A logger of the levels `lines` gives; the other levels drop their lines. */
export function loggerOf(lines: Partial<Logger>): Logger {
  return {
    error: lines.error ?? drop,
    warn: lines.warn ?? drop,
    info: lines.info ?? drop,
    debug: lines.debug ?? drop,
    trace: lines.trace ?? drop,
  };
}

/** Drops every line. */
export const SILENT_LOGGER: Logger = loggerOf({});
