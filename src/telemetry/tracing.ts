/**
 * OpenTelemetry spans of what llmspell does: kernel requests, cell and script executions, LLM
 * calls (GenAI semantic conventions), tool calls. They go out through Deno's built-in
 * exporter (OTLP over HTTP), which is on when the process started with OTEL_DENO=true
 * (`[telemetry] enabled` restarts the process so: otel_env.ts). Off, `startSpan` returns a
 * span that does nothing and @opentelemetry/api is never loaded.
 *
 * Every span is made on the main thread. The worker's Lua reaches the main thread through
 * host calls (LLM, tools), which are served while an execution runs: the execution's span
 * is their parent (`setExecutionSpan`), which links them across the two threads.
 */
import type * as OtelApi from "@opentelemetry/api";
import { VERSION } from "../version.ts";

export type Attributes = Record<string, string | number | boolean | string[]>;

/** A span while it is open. */
export interface Span {
  set(attrs: Attributes): void;
  /** Marks the span failed (status ERROR, `error.type`). */
  fail(type: string, message: string): void;
  end(): void;
}

const NOOP: Span = { set() {}, fail() {}, end() {} };

let otel: typeof OtelApi | undefined;
let tracer: OtelApi.Tracer | undefined;
let execution: OtelApi.Span | undefined;
/** Spans under the running execution still open: its end ends them (an error cut them short). */
const underExecution = new Set<LiveSpan>();

/** Deno's OpenTelemetry is on in this process (it reads OTEL_DENO when the process starts). */
export function otelActive(): boolean {
  return Deno.env.get("OTEL_DENO") === "true" && Deno.env.get("OTEL_SDK_DISABLED") !== "true";
}

/** Loads the OpenTelemetry API when Deno's exporter is on; otherwise does nothing. */
export async function initTracing(): Promise<void> {
  if (otel || !otelActive()) return;
  otel = await import("@opentelemetry/api");
  tracer = otel.trace.getTracer("llmspell", VERSION);
}

class LiveSpan implements Span {
  constructor(readonly span: OtelApi.Span, readonly api: typeof OtelApi) {}
  set(attrs: Attributes): void {
    this.span.setAttributes(attrs);
  }
  fail(type: string, message: string): void {
    this.span.setAttribute("error.type", type);
    this.span.setStatus({ code: this.api.SpanStatusCode.ERROR, message });
  }
  end(): void {
    underExecution.delete(this);
    this.span.end();
  }
}

export type SpanKind = "internal" | "server" | "client";

/**
 * Starts a span: a child of `parent`, or else of the running execution (a host call), or
 * else of the active context.
 */
export function startSpan(
  name: string,
  attrs: Attributes = {},
  opts: { parent?: Span; kind?: SpanKind } = {},
): Span {
  if (!tracer || !otel) return NOOP;
  const parent = opts.parent instanceof LiveSpan ? opts.parent.span : execution;
  const ctx = parent ? otel.trace.setSpan(otel.context.active(), parent) : otel.context.active();
  const kind = opts.kind === "server"
    ? otel.SpanKind.SERVER
    : opts.kind === "client"
    ? otel.SpanKind.CLIENT
    : otel.SpanKind.INTERNAL;
  const span = new LiveSpan(tracer.startSpan(name, { attributes: attrs, kind }, ctx), otel);
  if (!(opts.parent instanceof LiveSpan) && execution) underExecution.add(span);
  return span;
}

/** The span of the execution now running: host calls made meanwhile are its children. */
export function setExecutionSpan(span: Span | undefined): void {
  for (const open of underExecution) {
    open.fail("unfinished", "the execution ended before it did");
    open.end();
  }
  execution = span instanceof LiveSpan ? span.span : undefined;
}

/**
 * Runs `fn` with `span` as the active context, so that spans Deno makes itself (a `fetch`)
 * are its children.
 */
export function withSpan<T>(span: Span, fn: () => T): T {
  if (!(span instanceof LiveSpan) || !otel) return fn();
  return otel.context.with(otel.trace.setSpan(otel.context.active(), span.span), fn);
}
