/**
 * The `Agent` global (its Lua side: agent_lua.ts) and its host functions on the main thread:
 * one model turn (`llm.chat`), or a streamed one (`llm.stream_start`, then `llm.stream_next`
 * until the answer is complete: each call returns the text that arrived since the last one,
 * waiting for some when there is none, so pieces are handed to Lua as they come and a slow
 * Lua callback gets them joined). The providers (src/providers/) are imported at the first
 * call, so that a script that never calls a model never loads them.
 *
 * Provider failures come back as (false, code, message), which the Lua side raises as an
 * error table `{code, message}`; an interrupt aborts the HTTP request (HostContext.signal).
 *
 * @module
 */
import { type ApiModule, type HostContext, HostError, type HostResult, results } from "./api.ts";
import { AGENT_LUA } from "./agent_lua.ts";
import { fromJson, type Json, toJson } from "./json_value.ts";
import { luaString, type LuaValue } from "../engine/shared/host_values.ts";
import type { ChatCall, ChatOutcome, StoredKeys } from "../providers/mod.ts";
import { resolvePaths } from "../config/paths.ts";
import { LlmspellError } from "../errors.ts";

type Providers = typeof import("../providers/mod.ts");
let providers: Promise<Providers> | undefined;
const load = () => providers ??= import("../providers/mod.ts");
type KeyFile = typeof import("../store/key_file.ts");
let keyFile: Promise<KeyFile> | undefined;
const loadKeyFile = () => keyFile ??= import("../store/key_file.ts");

const env = (name: string) => Deno.env.get(name);

/**
 * The keys `llmspell keys set` stored, in the data directory the environment names: the file
 * is read only when a provider has no key from its configuration (src/providers/resolve.ts),
 * and again at each such call, so a key set while a REPL or kernel runs is used at once.
 */
async function storedKeys(ctx: HostContext): Promise<StoredKeys> {
  const [{ storedKey }, { ProviderError }] = await Promise.all([loadKeyFile(), load()]);
  return (name) => {
    try {
      return storedKey(resolvePaths(Deno.env.toObject(), ctx.security.cwd).dataDir, name);
    } catch (e) {
      if (!(e instanceof LlmspellError)) throw e;
      throw new ProviderError("auth", `${name}: ${e.message}${e.hint ? `: ${e.hint}` : ""}`);
    }
  };
}

/** The request table from Lua, as a ChatCall. */
function chatCall(v: LuaValue): ChatCall {
  const j = toJson(v);
  if (j === null || typeof j !== "object" || Array.isArray(j)) {
    throw new HostError("Agent: bad request");
  }
  const messages = Array.isArray(j.messages) ? j.messages : [];
  return {
    model: typeof j.model === "string" ? j.model : undefined,
    provider: typeof j.provider === "string" ? j.provider : undefined,
    system: typeof j.system === "string" ? j.system : undefined,
    temperature: typeof j.temperature === "number" ? j.temperature : undefined,
    max_tokens: typeof j.max_tokens === "number" ? j.max_tokens : undefined,
    tools: Array.isArray(j.tools)
      ? j.tools.map((t) => {
        const o = t as Record<string, Json>;
        return {
          name: String(o.name),
          description: String(o.description ?? ""),
          parameters: (o.parameters ?? { type: "object", properties: {} }) as Record<string, Json>,
        };
      })
      : undefined,
    response_format: j.response_format !== null && typeof j.response_format === "object" &&
        !Array.isArray(j.response_format)
      ? j.response_format
      : undefined,
    messages: messages.map((raw) => {
      const m = raw as Record<string, Json>;
      const role = m.role === "assistant" || m.role === "tool" ? m.role : "user";
      const content = typeof m.content === "string"
        ? m.content
        : m.content === null || m.content === undefined
        ? ""
        : JSON.stringify(m.content);
      return {
        role,
        content,
        images: Array.isArray(m.images) ? m.images.map(String) : undefined,
        tool_calls: Array.isArray(m.tool_calls)
          ? m.tool_calls.map((c) => {
            const o = c as Record<string, Json>;
            const args = o.arguments;
            return {
              id: String(o.id ?? ""),
              name: String(o.name ?? ""),
              arguments: args !== null && typeof args === "object" && !Array.isArray(args)
                ? args
                : {},
            };
          })
          : undefined,
        tool_call_id: typeof m.tool_call_id === "string" ? m.tool_call_id : undefined,
        name: typeof m.name === "string" ? m.name : undefined,
      };
    }),
  };
}

/** Milliseconds on the host's clock, to the µs. */
const clock = () => Math.round(performance.now() * 1000) / 1000;

function outcome(r: ChatOutcome, startedMs: number): LuaValue {
  return fromJson({
    started_ms: startedMs,
    ended_ms: clock(),
    text: r.text,
    data: r.data ?? (r.tool_calls.length === 0 ? jsonOrNull(r.text) : null),
    tool_calls: r.tool_calls,
    usage: r.usage,
    cost_usd: r.cost_usd ?? null,
    model: r.model,
    provider: r.provider,
  });
}

/** An answer that is JSON is also given parsed (`data`). */
function jsonOrNull(text: string): Json {
  const t = text.trim();
  if (!(t.startsWith("{") || t.startsWith("["))) return null;
  try {
    return JSON.parse(t);
  } catch {
    return null;
  }
}

/** The code and message of a provider's failure; anything else is a bug, thrown on. */
async function failure(e: unknown): Promise<[LuaValue, LuaValue]> {
  const { ProviderError } = await load();
  if (e instanceof ProviderError) return [fromJson(e.code), fromJson(e.message)];
  throw e;
}

/** A streamed answer in progress. */
class Stream {
  readonly abort = new AbortController();
  pending: string[] = [];
  /** How it ended: ("done", outcome) or ("error", code, message). */
  end: LuaValue[] | undefined;
  wake: (() => void) | undefined;
  /** The pieces Lua took, in order, for the session record. */
  readonly taken: LuaValue[] = [];

  constructor(signal: AbortSignal, readonly record?: (results: LuaValue[]) => void) {
    if (signal.aborted) this.abort.abort();
    else signal.addEventListener("abort", () => this.abort.abort(), { once: true });
  }

  push(text: string): void {
    this.pending.push(text);
    this.wake?.();
  }

  finish(...end: LuaValue[]): void {
    this.end = end;
    this.wake?.();
  }

  /** The text so far or the end; undefined when there is nothing yet. */
  take(): { results: Uint8Array; last: boolean } | undefined {
    if (this.pending.length > 0) {
      const text = fromJson(this.pending.join(""));
      this.pending = [];
      this.taken.push(text);
      return { results: results(luaString("text"), text), last: false };
    }
    if (!this.end) return undefined;
    // Recorded as Lua took it (the pieces as they were joined), so a replay hands the
    // callback the same pieces.
    this.record?.([this.taken, ...this.end]);
    return { results: results(...this.end), last: true };
  }
}

const streams = new WeakMap<object, Map<number, Stream>>();
let nextStream = 1;

function streamsOf(ctx: HostContext): Map<number, Stream> {
  let m = streams.get(ctx.key);
  if (!m) streams.set(ctx.key, m = new Map());
  return m;
}

function streamArg(args: { value(i: number): LuaValue }, ctx: HostContext): [number, Stream] {
  const id = args.value(0);
  const s = typeof id === "bigint" ? streamsOf(ctx).get(Number(id)) : undefined;
  if (!s) throw new HostError("Agent: no such stream (it ended or was interrupted)");
  return [Number(id), s];
}

export const AGENT_API: ApiModule = {
  global: "Agent",
  lua: AGENT_LUA,
  host: {
    "llm.chat": async (args, ctx) => {
      const started = clock();
      const call = chatCall(args.value(0));
      const { chat } = await load();
      try {
        const r = await chat(
          ctx.llm.providers,
          env,
          call,
          ctx.signal,
          undefined,
          await storedKeys(ctx),
        );
        return results(true, outcome(r, started));
      } catch (e) {
        return results(false, ...await failure(e));
      }
    },
    "llm.stream_start": async (args, ctx) => {
      const started = clock();
      const request = args.value(0);
      const call = chatCall(request);
      const { chat } = await load();
      const stored = await storedKeys(ctx);
      const id = nextStream++;
      const s = new Stream(ctx.signal, ctx.beginCall("llm.stream", [request]));
      streamsOf(ctx).set(id, s);
      chat(ctx.llm.providers, env, call, s.abort.signal, (t) => s.push(t), stored).then(
        (r) => s.finish(luaString("done"), outcome(r, started)),
        async (e) => {
          const [code, message] = await failure(e).catch((err) => [
            fromJson("invalid_response"),
            fromJson(String(err)),
          ]);
          s.finish(luaString("error"), code, message);
        },
      );
      return results(true, BigInt(id));
    },
    "llm.stream_next": (args, ctx): HostResult => {
      const [id, s] = streamArg(args, ctx);
      const ready = (): Uint8Array | undefined => {
        const r = s.take();
        if (r?.last) streamsOf(ctx).delete(id);
        return r?.results;
      };
      const now = ready();
      if (now) return now;
      return new Promise((resolve) => {
        s.wake = () => {
          const r = ready();
          if (!r) return;
          s.wake = undefined;
          resolve(r);
        };
      });
    },
    "llm.stream_close": (args, ctx) => {
      const [id, s] = streamArg(args, ctx);
      s.abort.abort();
      s.record?.([s.taken, luaString("closed")]);
      streamsOf(ctx).delete(id);
      return results();
    },
  },
};
