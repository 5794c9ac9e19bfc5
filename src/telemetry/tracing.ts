/**
 * OpenTelemetry spans of what llmspell does: kernel requests, cell and script executions, LLM
 * calls (GenAI semantic conventions), tool calls. They go out through Deno's built-in
 * exporter (OTLP over HTTP), which is on when the process started with OTEL_DENO=true
 * (`[telemetry] enabled` restarts the process so: otel_env.ts). Off, `startSpan` returns a
 * span that does nothing and @opentelemetry/api is never loaded.
 *
 * Every span is made on the main thread. The worker's Lua reaches the main thread through
 * host calls (LLM, tools), which are served while an execution runs: the execution's span
 * is their parent (`setExecutionSpan`), which links them across the two threads. The Lua
 * side of a global begins and ends spans of its own by host calls (src/api/trace.ts: a
 * workflow and its steps); a host call made under one runs `withParent` it, so the spans it
 * starts, even after an await, are that span's children.
 *
 * A span is recorded while it is open and handed to Deno's exporter after it ended, in a
 * batch (`FLUSH_MS`), so that the kernel's replies do not wait on it (bench/telemetry.ts).
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

/**
 * Ended spans reach Deno's exporter in batches, this long after the first of a batch ended
 * (or at once when this many are waiting, well under the exporter's queue of 2048), and at
 * exit. Each span handed over wakes the exporter's thread, and making a span costs a few
 * µs of calls into Deno: a kernel cell's two spans, made as its request arrives and ended
 * as its reply goes out, put 80-90 µs (cold, on a loaded machine) on every round trip.
 * Recorded (times, attributes, parent) and made here later, a third of that (bench/RESULTS.md,
 * Telemetry), and the exporter's thread wakes once per batch instead of once per cell.
 */
const FLUSH_MS = 50;
const FLUSH_SPANS = 512;

let otel: typeof OtelApi | undefined;
let tracer: OtelApi.Tracer | undefined;
/** The context key of the parent `withParent` gives. */
let parentKey: symbol | undefined;
let execution: LiveSpan | undefined;
/** Spans under the running execution still open: its end ends them (an error cut them short). */
const underExecution = new Set<LiveSpan>();
/** Ended spans not yet handed to Deno's exporter. */
let ended: LiveSpan[] = [];
let flushTimer: ReturnType<typeof setTimeout> | undefined;

/** Deno's OpenTelemetry is on in this process (it reads OTEL_DENO when the process starts). */
export function otelActive(): boolean {
  return Deno.env.get("OTEL_DENO") === "true" && Deno.env.get("OTEL_SDK_DISABLED") !== "true";
}

/**
 * Loads the OpenTelemetry API when Deno's exporter is on; otherwise does nothing. Whether
 * spans are made.
 */
export async function initTracing(): Promise<boolean> {
  if (otel) return true;
  if (!otelActive()) return false;
  otel = await import("@opentelemetry/api");
  tracer = otel.trace.getTracer("llmspell", VERSION);
  parentKey = otel.createContextKey("llmspell.parent");
  // Before Deno's exporter flushes at exit (also at Deno.exit).
  globalThis.addEventListener("unload", flush);
  return true;
}

/** Now, in the milliseconds since the epoch that span times are given in. */
const now = () => performance.timeOrigin + performance.now();

/** Hands every ended span to Deno's exporter. */
function flush(): void {
  if (flushTimer !== undefined) clearTimeout(flushTimer);
  flushTimer = undefined;
  const batch = ended;
  ended = [];
  for (const span of batch) span.export();
}

/**
 * A span while it is open: what it says is recorded, and the OpenTelemetry span is made (with
 * the recorded start time) when it is handed over, or earlier if it becomes a parent.
 */
class LiveSpan implements Span {
  readonly #start = now();
  #end = 0;
  #attrs: Attributes;
  #failed: { type: string; message: string } | undefined;
  #made: OtelApi.Span | undefined;

  constructor(
    readonly name: string,
    attrs: Attributes,
    readonly kind: SpanKind,
    readonly parent: LiveSpan | undefined,
    /** The active context when it started, for a span with no parent of ours. */
    readonly context: OtelApi.Context | undefined,
  ) {
    this.#attrs = attrs;
  }

  set(attrs: Attributes): void {
    if (this.#made) this.#made.setAttributes(attrs);
    else this.#attrs = { ...this.#attrs, ...attrs };
  }

  fail(type: string, message: string): void {
    this.#failed = { type, message };
  }

  end(): void {
    if (this.#end) return;
    this.#end = now();
    underExecution.delete(this);
    ended.push(this);
    if (ended.length >= FLUSH_SPANS) flush();
    else if (flushTimer === undefined) {
      // Unref'd: it keeps no process alive; one that exits flushes at its unload.
      Deno.unrefTimer(flushTimer = setTimeout(flush, FLUSH_MS));
    }
  }

  /** The OpenTelemetry span, made now if it was not yet. */
  made(): OtelApi.Span {
    if (!this.#made) {
      const api = otel!;
      const parent = this.parent?.made();
      const ctx = parent ? api.trace.setSpan(api.ROOT_CONTEXT, parent) : this.context;
      const kind = this.kind === "server"
        ? api.SpanKind.SERVER
        : this.kind === "client"
        ? api.SpanKind.CLIENT
        : api.SpanKind.INTERNAL;
      this.#made = tracer!.startSpan(
        this.name,
        { attributes: this.#attrs, kind, startTime: this.#start },
        ctx,
      );
    }
    return this.#made;
  }

  /** Makes the span if need be, and ends it with what it recorded. */
  export(): void {
    const span = this.made();
    if (this.#failed) {
      span.setAttribute("error.type", this.#failed.type);
      span.setStatus({ code: otel!.SpanStatusCode.ERROR, message: this.#failed.message });
    }
    span.end(this.#end);
  }
}

export type SpanKind = "internal" | "server" | "client";

/**
 * Starts a span: a child of `parent`, or else of the span `withParent` gave, or else of the
 * running execution (a host call), or else of the active context.
 */
export function startSpan(
  name: string,
  attrs: Attributes = {},
  opts: { parent?: Span; kind?: SpanKind } = {},
): Span {
  if (!otel) return NOOP;
  const explicit = opts.parent instanceof LiveSpan ? opts.parent : undefined;
  const given = otel.context.active().getValue(parentKey!);
  const parent = explicit ?? (given instanceof LiveSpan ? given : undefined) ?? execution;
  const span = new LiveSpan(
    name,
    attrs,
    opts.kind ?? "internal",
    parent,
    parent ? undefined : otel.context.active(),
  );
  // Under the execution, directly or through spans of its own: its end ends this one.
  if (execution && (parent === execution || underExecution.has(parent!))) {
    underExecution.add(span);
  }
  return span;
}

/**
 * Runs `fn` with `span` as the parent of the spans started in it, also after its awaits
 * (OpenTelemetry's context, which Deno carries across them).
 */
export function withParent<T>(span: Span | undefined, fn: () => T): T {
  if (!(span instanceof LiveSpan) || !otel) return fn();
  return otel.context.with(otel.context.active().setValue(parentKey!, span), fn);
}

/** The span of the execution now running: host calls made meanwhile are its children. */
export function setExecutionSpan(span: Span | undefined): void {
  for (const open of underExecution) {
    open.fail("unfinished", "the execution ended before it did");
    open.end();
  }
  execution = span instanceof LiveSpan ? span : undefined;
}

/**
 * Runs `fn` with `span` as the active context, so that spans Deno makes itself (a `fetch`)
 * are its children.
 */
export function withSpan<T>(span: Span, fn: () => T): T {
  if (!(span instanceof LiveSpan) || !otel) return fn();
  return otel.context.with(otel.trace.setSpan(otel.context.active(), span.made()), fn);
}
