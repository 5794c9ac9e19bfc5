/**
 * The host functions of every module of registry.ts, by method name, for the engine's
 * host server (src/engine/host/host_server.ts), and what they reach: the store, opened at the
 * first call that needs it. main.ts provides it to every engine (globals.ts).
 *
 * @module
 */
import { isLlmspellError } from "../errors.ts";
import { resolvePaths } from "../config/paths.ts";
import { openStore, type Store, storeFailure } from "../store/mod.ts";
import type { EngineOptions, LlmOptions, StateOptions } from "../engine/shared/protocol.ts";
import type { CallMeta, ExecutionReport, HostDispatcher } from "../engine/host/host_link.ts";
import { decodeBytes } from "../byte_string.ts";
import { valueToJson } from "./value_text.ts";
import {
  DEFAULT_LLM_OPTIONS,
  DEFAULT_STATE_OPTIONS,
  type HostContext,
  HostError,
  type HostFunction,
  type HostResult,
  plainResult,
  results,
} from "./api.ts";
import { API_MODULES } from "./registry.ts";
import { luaSpan, TRACE_HOST } from "./trace.ts";
import { withParent } from "../telemetry/tracing.ts";
import { EncodedValues, type LuaValue } from "../engine/shared/host_values.ts";

/** Host calls that reach outside Lua, recorded in the session. */
export const RECORDED: ReadonlySet<string> = new Set([
  "state.set",
  "state.delete",
  "state.increment",
  "state.swap",
  "session.create",
  "session.suspend",
  "session.resume",
  "session.complete",
  "artifact.store",
  "artifact.store_file",
  "artifact.delete",
  // A model's answer, a built-in tool's result, and a Lua tool's call (its name, inputs and
  // outputs, reported by the Tool global's Lua side); a streamed answer records itself
  // (HostContext.beginCall).
  "llm.chat",
  "tool.invoke",
  "tool.called",
]);
/** The longest code an execution record keeps. */
const RECORDED_CODE_CHARS = 64 * 1024;

/**
 * A host call's record: its method, arguments and results (exact JSON), or its error. The
 * values are read where they are (arrays or encoded sequences), not copied into arrays.
 */
function callJson(
  method: string,
  args: LuaValue[] | EncodedValues,
  results: LuaValue[] | EncodedValues | undefined,
  error?: string,
  branch?: string,
): string {
  return `{"method": ${JSON.stringify(method)}, "args": [${listJson(args)}], "results": [${
    results ? listJson(results) : ""
  }]${error === undefined ? "" : `, "error": ${JSON.stringify(error)}`}${
    branch === undefined ? "" : `, "branch": ${JSON.stringify(branch)}`
  }}`;
}

function listJson(vs: LuaValue[] | EncodedValues): string {
  let out = "";
  for (let i = 0; i < vs.length; i++) {
    if (i > 0) out += ", ";
    out += valueToJson(Array.isArray(vs) ? vs[i] : vs.value(i));
  }
  return out;
}

/** Every module's host functions by method name, and `api.lua`: a global's Lua side. */
function methodTable(): Map<string, HostFunction> {
  const table = new Map<string, HostFunction>();
  const sources = new Map(API_MODULES.map((m) => [m.global, new TextEncoder().encode(m.lua)]));
  table.set("api.lua", (args) => {
    const name = args.value(0);
    const source = name instanceof Uint8Array
      ? sources.get(new TextDecoder().decode(name))
      : undefined;
    if (!source) throw new HostError("no such global");
    return results(source);
  });
  for (const m of API_MODULES) {
    for (const [name, fn] of Object.entries(m.host)) table.set(name, fn);
  }
  // The Lua side's spans: every global's, none's own.
  for (const [name, fn] of Object.entries(TRACE_HOST)) table.set(name, fn);
  return table;
}

/** A function's error as the script sees it. */
function errorMessage(e: unknown): string {
  if (e instanceof HostError) return e.message;
  if (isLlmspellError(e)) return e.hint ? `${e.message} (${e.hint})` : e.message;
  return e instanceof Error ? e.message : String(e);
}

export class HostFunctions implements HostContext, HostDispatcher {
  readonly #methods = methodTable();
  readonly #cwd: string;
  readonly state: StateOptions;
  readonly sessionId: string;
  readonly #record: boolean;
  readonly llm: LlmOptions;
  readonly maxArtifactBytes: number;
  readonly security: HostContext["security"];
  #abort = new AbortController();
  readonly #retention: EngineOptions["sessionRetention"];
  #store: Store | undefined;
  /** The session's row exists. */
  #opened = false;

  /**
   * `options.cwd` resolves a relative LLMSPELL_HOME. `sessionId` is the session's id (a
   * replay acts as the session it replays); a new one by default.
   */
  constructor(options: EngineOptions, sessionId: string = crypto.randomUUID()) {
    this.sessionId = sessionId;
    this.#cwd = options.cwd;
    this.state = options.state ?? DEFAULT_STATE_OPTIONS;
    this.#record = options.recordSessions ?? true;
    this.#retention = options.sessionRetention;
    this.maxArtifactBytes = options.maxArtifactBytes ?? 64 * 1024 * 1024;
    this.llm = options.llm ?? DEFAULT_LLM_OPTIONS;
    this.security = {
      level: options.securityLevel,
      allowedPaths: options.allowedPaths,
      cwd: options.cwd,
      scriptDir: options.scriptDir,
    };
  }

  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /** An interrupt: what host functions wait for (an HTTP request) ends at once. */
  interrupt(): void {
    this.#abort.abort();
    this.#abort = new AbortController();
  }

  store(): Store {
    if (this.#store) return this.#store;
    const path = this.state.enabled
      ? resolvePaths(Deno.env.toObject(), this.#cwd).dbPath
      : ":memory:";
    const store = this.#store = openStore(path);
    // The session is recorded from here on: this is the engine's first host call that
    // needed the store.
    if (this.#record) {
      this.#openSession(store);
      this.#prune(store);
    }
    return store;
  }

  /**
   * Creates the session's row, unless done. On a full disk this fails; reads go on
   * without it, and the next write (which needs it for its record) tries again.
   */
  #openSession(store: Store, required = false): void {
    if (this.#opened) return;
    try {
      store.sessions.open(this.sessionId);
      this.#opened = true;
    } catch (e) {
      if (required || !storeFailure(store.path, e)) throw e;
    }
  }

  /** Retention (`[sessions] max_sessions`, `retention_days`): best effort, never fails a call. */
  #prune(store: Store): void {
    const r = this.#retention;
    if (!r || (!r.maxSessions && !r.retentionDays)) return;
    try {
      store.sessions.prune({
        keep: r.maxSessions,
        before: r.retentionDays ? new Date(Date.now() - r.retentionDays * 86_400_000) : undefined,
        spare: this.sessionId,
      });
    } catch {
      // Busy or full: the next engine prunes.
    }
  }

  recording(): boolean {
    this.store();
    return this.#record;
  }

  /** Adds a record to the session, if it is recorded; this never fails an execution. */
  #append(kind: "execution" | "host_call", data: () => string): void {
    if (!this.#record || !this.#store) return;
    try {
      this.#openSession(this.#store, true);
      this.#store.sessions.record(this.sessionId, kind, data());
    } catch {
      // A full disk fails the next State call with a clear error; not the execution.
    }
  }

  executed(e: ExecutionReport): void {
    this.#append("execution", () => {
      const o = e.outcome;
      const code = e.request.code.length > RECORDED_CODE_CHARS
        ? e.request.code.slice(0, RECORDED_CODE_CHARS)
        : e.request.code;
      return JSON.stringify({
        chunk: e.request.chunkName,
        code,
        code_truncated: code.length < e.request.code.length,
        args: e.request.args?.raw ?? [],
        stdout: decodeBytes(e.stdout),
        stderr: decodeBytes(e.stderr),
        status: o.status,
        values: o.status === "ok" ? o.values : undefined,
        error: o.status === "error" ? { kind: o.error.kind, message: o.error.message } : undefined,
        exit_code: o.status === "exit" ? o.code : undefined,
        duration_ms: Math.round(e.durationMs * 100) / 100,
      });
    });
  }

  dispatch(method: string, args: Uint8Array, meta?: CallMeta): HostResult {
    // A submitted call: its own signal too (host_tickets.ts aborts it when it is dropped).
    // Made in a workflow's branch: its record names the branch (CallMeta.branch).
    const ctx = meta?.signal || meta?.branch ? this.#ending(meta.signal, meta.branch) : this;
    // Made under a span of the Lua side: the spans the call makes are its children.
    if (meta?.span) {
      return withParent(
        luaSpan(this, meta.span),
        () => this.#call(method, args, ctx, meta.branch),
      );
    }
    return this.#call(method, args, ctx, meta?.branch);
  }

  get key(): object {
    return this;
  }

  /** This context for one call that `signal` also ends, made in `branch`. */
  #ending(signal: AbortSignal | undefined, branch: string | undefined): HostContext {
    return {
      key: this,
      store: () => this.store(),
      state: this.state,
      sessionId: this.sessionId,
      recording: () => this.recording(),
      llm: this.llm,
      maxArtifactBytes: this.maxArtifactBytes,
      security: this.security,
      signal: signal ? AbortSignal.any([this.signal, signal]) : this.signal,
      beginCall: (method, args) => this.beginCall(method, args, branch),
    };
  }

  #call(method: string, args: Uint8Array, ctx: HostContext, branch?: string): HostResult {
    const fn = this.#methods.get(method);
    if (!fn) throw new HostError(`unknown host call '${method}'`);
    try {
      const values = new EncodedValues(args);
      if (RECORDED.has(method) && this.#record) {
        // A synchronous write and its record commit together: one commit, and never one
        // without the other. An asynchronous call (a file, a request) is recorded when it
        // has succeeded.
        const store = this.store();
        // Committed on its own, before: a write rolled back must not take the row along.
        this.#openSession(store, true);
        const result = store.transaction(() => {
          const r = plainResult(fn(values, ctx));
          if (r instanceof Uint8Array) this.#recordCall(method, values, r, undefined, branch);
          return r;
        });
        if (result instanceof Uint8Array) return result;
        // A failure is recorded too (a tool that failed), so that a replay fails alike.
        return result.then((r) => {
          this.#recordCall(method, values, r, undefined, branch);
          return r;
        }, (e) => {
          const err = this.#failure(method, e);
          this.#tryRecord(() => this.#recordCall(method, values, undefined, err.message, branch));
          return Promise.reject(err);
        });
      }
      const result = fn(values, ctx);
      if (result instanceof Promise) {
        return result.catch((e) => Promise.reject(this.#failure(method, e)));
      }
      return result;
    } catch (e) {
      throw this.#failure(method, e);
    }
  }

  /**
   * A failure of the database is the script's error, named for the function it called, with
   * its code and what to do.
   */
  #failure(method: string, e: unknown): Error {
    const store = this.#store && storeFailure(this.#store.path, e);
    const label = method.replace(/^\w/, (c) => c.toUpperCase());
    return new Error(
      store
        ? `${label}: ${store.message} [${store.code}]${store.hint ? ` (${store.hint})` : ""}`
        : errorMessage(e),
    );
  }

  /**
   * A host call that reached outside Lua, with its arguments and results (exact JSON), in
   * the call's transaction: a failure here fails the call.
   */
  #recordCall(
    method: string,
    args: EncodedValues,
    result: Uint8Array | undefined,
    error?: string,
    branch?: string,
  ): void {
    // No results (most writes) is one byte: 0.
    const results = result && !(result.length === 1 && result[0] === 0)
      ? new EncodedValues(result)
      : undefined;
    this.store().sessions.record(
      this.sessionId,
      "host_call",
      callJson(method, args, results, error, branch),
    );
  }

  #tryRecord(fn: () => void): void {
    try {
      fn();
    } catch {
      // As #append: a record that cannot be written never fails the script.
    }
  }

  beginCall(
    method: string,
    args: LuaValue[],
    branch?: string,
  ): ((results: LuaValue[]) => void) | undefined {
    if (!this.recording()) return undefined;
    let seq: number | undefined;
    this.#tryRecord(() => {
      seq = this.store().sessions.record(
        this.sessionId,
        "host_call",
        callJson(method, args, undefined, undefined, branch),
      );
    });
    if (seq === undefined) return undefined;
    return (results) =>
      this.#tryRecord(() =>
        this.#store?.sessions.update(
          this.sessionId,
          seq!,
          callJson(method, args, results, undefined, branch),
        )
      );
  }

  close(outcome: "completed" | "failed" = "completed"): void {
    if (this.#record && this.#store) {
      try {
        // A session the script suspended or ended itself keeps its status.
        if (this.#store.sessions.get(this.sessionId)?.status === "active") {
          this.#store.sessions.setStatus(this.sessionId, outcome);
        }
      } catch {
        // The session stays "active"; nothing else depends on it.
      }
    }
    this.#store?.close();
    this.#store = undefined;
  }
}
