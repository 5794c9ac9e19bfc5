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

export const log = {
  error: (msg: string) => emit("error", msg),
  warn: (msg: string) => emit("warn", msg),
  info: (msg: string) => emit("info", msg),
  debug: (msg: string) => emit("debug", msg),
  trace: (msg: string) => emit("trace", msg),
};
