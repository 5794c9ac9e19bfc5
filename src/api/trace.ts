/**
 * Spans begun and ended by the Lua side of a global (a workflow and its steps, a hook): the
 * host functions `trace.begin(name, attrs, parent?) -> id` and `trace.end(id, attrs?,
 * error?, error_type?)` over src/telemetry/tracing.ts. How a global's Lua code uses them, and
 * how the worker skips them when tracing is off: src/engine/worker/api_globals.ts `hostCall`.
 * A host call made under such a span runs `withParent` it (host_functions.ts), so an LLM
 * call's or a tool's span is the child of the workflow step that made it.
 *
 * @module
 */
import { type HostContext, HostError, type HostFunction, results } from "./api.ts";
import { type Json, toJson } from "./json_value.ts";
import { type Attributes, type Span, startSpan } from "../telemetry/tracing.ts";

/** The open spans of each engine's Lua side, by id. */
const open = new WeakMap<object, Map<number, Span>>();
let nextId = 1;

function spansOf(ctx: HostContext): Map<number, Span> {
  let m = open.get(ctx.key);
  if (!m) open.set(ctx.key, m = new Map());
  return m;
}

/** The open span `id` of the engine's Lua side. */
export function luaSpan(ctx: HostContext, id: number): Span | undefined {
  return open.get(ctx.key)?.get(id);
}

/** A Lua table of attributes: strings, numbers, booleans and lists of strings are kept. */
function attributes(v: Json): Attributes {
  const out: Attributes = {};
  if (v === null || typeof v !== "object" || Array.isArray(v)) return out;
  for (const [k, x] of Object.entries(v)) {
    if (typeof x === "string" || typeof x === "number" || typeof x === "boolean") out[k] = x;
    else if (Array.isArray(x)) out[k] = x.map((e) => typeof e === "string" ? e : JSON.stringify(e));
  }
  return out;
}

export const TRACE_HOST: Readonly<Record<string, HostFunction>> = {
  "trace.begin": (args, ctx) => {
    const name = toJson(args.value(0));
    if (typeof name !== "string") throw new HostError("trace.begin: a span's name expected");
    const parentId = args.value(2);
    const parent = typeof parentId === "bigint" ? luaSpan(ctx, Number(parentId)) : undefined;
    const span = startSpan(name, attributes(toJson(args.value(1))), { parent });
    const id = nextId++;
    spansOf(ctx).set(id, span);
    return results(BigInt(id));
  },
  "trace.end": (args, ctx) => {
    const id = args.value(0);
    const spans = spansOf(ctx);
    const span = typeof id === "bigint" ? spans.get(Number(id)) : undefined;
    if (!span) return results();
    spans.delete(Number(id));
    span.set(attributes(toJson(args.value(1))));
    const error = toJson(args.value(2));
    if (typeof error === "string") {
      const type = toJson(args.value(3));
      span.fail(typeof type === "string" ? type : "error", error);
    }
    span.end();
    return results();
  },
};
