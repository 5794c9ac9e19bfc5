/**
 * Worker side of the Lua globals made of host calls (host_link.ts): each global is an
 * empty table until the script first reads a field of it; then its Lua side, asked from
 * the main thread (the host call `api.lua`), is loaded into it with `call`, the C
 * function that makes a host call (host_channel.ts), the script's globals and a table
 * every global's Lua side gets (src/api/api.ts `ApiModule.lua`). A script that never touches one
 * costs one table and one C function at start-up; the channel's buffer is made at the
 * first call.
 */
import { type CApi } from "../vm/capi.ts";
import { LUA_REGISTRYINDEX, LuaStatus, LuaTypeId } from "../vm/lua_h.ts";
import {
  decodeLasting,
  decodeNumbers,
  decodeTicketAnswer,
  encodeEnvelope,
  encodeNumbers,
  type HostAnswer,
  HostCaller,
  HostMethod,
  HostStatus,
} from "../shared/host_channel.ts";
import { pushLuaValue, UnstorableValue, writeLuaValue } from "./lua_values.ts";
import { Control, pendingSignal, Signal } from "../shared/protocol.ts";
import { ValueReader, ValueWriter } from "../shared/host_values.ts";
import type { HostCallObserver } from "./sampler.ts";
import { AnswerCache } from "./answer_cache.ts";

const decoder = new TextDecoder();
/** lua_upvalueindex(1). */
const UPVALUE_1 = LUA_REGISTRYINDEX - 1;

export interface ApiGlobalsContext {
  api: CApi;
  L: number;
  envRef: number;
  control: Int32Array;
  /** The globals' names (EngineOptions.globals). */
  globals: readonly string[];
  /** Posts the channel's wake-up message (with its buffer the first time). */
  wake(buffer: SharedArrayBuffer | undefined): void;
  /** Called when an interrupt ends a wait, to re-arm the hook (count 1). */
  onInterrupt(L: number): void;
  /**
   * A debugger request waits (Control.debug) while `L` waits for a host call's answer: the
   * debugger serves it as while Lua runs (WorkerDebugHooks.serveWaiting), since no hook
   * runs until the answer comes, which may take as long as a model does.
   */
  onDebugRequest(L: number): void;
  /** The profiler of the running execution, if it is profiled: it times host calls. */
  observer(): HostCallObserver | undefined;
  /** Spans are made (EngineOptions.tracing): see hostCall. */
  tracing: boolean;
  /**
   * A coroutine was marked as scheduled (a workflow's branch, made by the globals' own Lua):
   * the debugger, if there is one, learns of it as of the script's coroutines.
   */
  onBranch(co: number): void;
}

/** The C functions (pointers) of the globals: the host call and the globals' loader. */
export interface ApiFunctions {
  /** `call`, also the kernel API's (input). */
  call: number;
  /** The `__index` that loads a global at first use (0: no globals). */
  loader: number;
  /** An execution ended: forgets its open spans and scheduled coroutines. */
  endExecution(): void;
}

/** Defines the globals. */
export function installApiGlobals(ctx: ApiGlobalsContext): ApiFunctions {
  const { api, L } = ctx;
  const lua = api.lua;
  const host = hostCall(ctx, () => callPtr);
  const callPtr = api.cfunction(host.call);
  const endExecution = host.reset;
  if (ctx.globals.length === 0) return { call: callPtr, loader: 0, endExecution };
  const callFunction = () => callPtr;
  // What the globals' Lua sides share (a Hook's dispatch, which Agent and Tool read).
  lua.lua_createtable(L, 0, 0);
  const sharedRef = lua.luaL_ref(L, LUA_REGISTRYINDEX);

  // __index of a global not loaded yet (t, k); upvalue 1: the global's index.
  const loader = api.cfunction((L) => {
    const name = ctx.globals[Number(lua.lua_tointegerx(L, UPVALUE_1, null))];
    lua.lua_pushcclosure(L, callFunction(), 0);
    api.pushString(L, "api.lua");
    api.pushString(L, name);
    lua.lua_callk(L, 2, 2, 0, null);
    if (!lua.lua_toboolean(L, -2)) throw new Error(`${name}: ${api.str(L, -1)}`);
    const source = api.bytes(L, -1) ?? new Uint8Array();
    lua.lua_settop(L, -3);
    if (api.load(L, source, `=[llmspell ${name}]`) !== LuaStatus.ok) {
      throw new Error(`${name} failed to load: ${api.str(L, -1)}`);
    }
    lua.lua_pushcclosure(L, callFunction(), 0);
    lua.lua_pushvalue(L, 1);
    lua.lua_pushnil(L);
    lua.lua_setmetatable(L, 1);
    // The script's global table: a module reaches the others' globals through it.
    lua.lua_rawgeti(L, LUA_REGISTRYINDEX, BigInt(ctx.envRef));
    lua.lua_rawgeti(L, LUA_REGISTRYINDEX, BigInt(sharedRef));
    lua.lua_callk(L, 4, 0, 0, null);
    lua.lua_pushvalue(L, 2);
    // Not raw: a global may answer some fields through its own __index (Tool.<name>).
    lua.lua_gettable(L, 1);
    return 1;
  });

  lua.lua_rawgeti(L, LUA_REGISTRYINDEX, BigInt(ctx.envRef));
  ctx.globals.forEach((name, i) => {
    lua.lua_createtable(L, 0, 0);
    lua.lua_createtable(L, 0, 1);
    lua.lua_pushinteger(L, BigInt(i));
    lua.lua_pushcclosure(L, loader, 1);
    lua.lua_setfield(L, -2, "__index");
    lua.lua_setmetatable(L, -2);
    lua.lua_setfield(L, -2, name);
  });
  lua.lua_settop(L, -2);
  return { call: callPtr, loader, endExecution };
}

/**
 * `call(method, ...)`: true and the results, or false and an error message (the Lua
 * side raises it at the script's line). An interrupt while waiting raises "interrupted".
 *
 * Spans of the Lua side, for a global's Lua code (a workflow's steps, a hook):
 *
 *     local _, tracing = call("trace.on")        -- answered here: are spans made?
 *     local _, id = call("trace.begin", "llmspell.workflow", { ["llmspell.workflow.name"] = n })
 *     ...                                         -- host calls made meanwhile are its children
 *     call("trace.end", id, { ["more.attrs"] = 1 }, err_message_or_nil, err_type_or_nil)
 *
 * With tracing off both are answered here at once (id nil) and nothing crosses to the main
 * thread; test `tracing` to skip building attributes. A span's parent is the innermost open
 * span begun on the same coroutine, else the innermost open one, else the execution; a 4th
 * argument to `trace.begin` (an id) names it instead (a branch's first span names its
 * workflow's). Every other call is sent under that same innermost span (`host.span`), so the
 * spans its host function makes (an LLM call's `chat <model>`) are its children. Spans left
 * open end with the execution, marked unfinished.
 *
 * Scheduled coroutines (a workflow's parallel branches): `call("host.branch", co, true, path)`
 * marks `co` as the branch `path` (CallMeta.branch: its calls are recorded with it); a host call made on it while it can yield is submitted (`host.submit`: the main
 * thread starts it and answers with a ticket at once) and the coroutine yields `call, ticket`
 * to its scheduler, which resumes it with the call's answer (true and the results, or false
 * and the message) once `call("host.wait", ticket, ...)` (blocking) gave `true, ticket,`
 * and that answer. Where it cannot yield (inside a C function's call: a metamethod, a
 * string.gsub callback) the call blocks as usual. `call("host.drop", ticket, ...)` forgets
 * tickets whose answers are not wanted and aborts their calls; `call("host.branch", co, false)`
 * unmarks.
 * (docs/decisions/0029-parallel-branches-by-ticket.md)
 */
function hostCall(ctx: ApiGlobalsContext, self: () => number): HostCallFunction {
  const { api } = ctx;
  const lua = api.lua;
  const caller = new HostCaller(ctx.wake);
  const cache = new AnswerCache();
  const control = ctx.control;
  /** Between waits for an answer: serves a debugger's request, ends the wait on a signal. */
  const stopFor = (L: number) => () => {
    if (Atomics.load(control, Control.debug) !== 0) ctx.onDebugRequest(L);
    return pendingSignal(control) !== Signal.none;
  };
  const tracing = ctx.tracing;
  /** The Lua side's open spans, in the order begun, with the thread that began each. */
  const spans: { id: number; L: number }[] = [];
  /** The scheduled coroutines (lua_State pointers), with their branch's path ("2/1"). */
  const branches = new Map<number, string>();
  /** Submitted calls whose lasting answer may be kept: what the cache needs of them. */
  const submitted = new Map<number, { method: string; args: Uint8Array }>();
  let w: ValueWriter | undefined;
  /** Pushes true and the encoded results; how many values that is. */
  const pushResults = (L: number, results: Uint8Array) => {
    const r = new ValueReader(results);
    const count = r.uleb();
    if (!lua.lua_checkstack(L, count + 1)) throw new Error("too many results for the Lua stack");
    lua.lua_pushboolean(L, 1);
    for (let i = 0; i < count; i++) pushLuaValue(api, L, r);
    return count + 1;
  };
  /** The span a call made on `L` is made under (0: none). */
  const parentSpan = (L: number): number => {
    for (let i = spans.length - 1; i >= 0; i--) if (spans[i].L === L) return spans[i].id;
    return spans.at(-1)?.id ?? 0;
  };
  /** Sends a call and waits for its answer; raises "interrupted" when the wait is ended. */
  const blocking = (L: number, method: string, args: Uint8Array, shown = method) => {
    const observer = ctx.observer();
    observer?.hostBegin(L, shown);
    const answer = caller.call(method, args, stopFor(L));
    observer?.hostEnd();
    if (answer === null) {
      ctx.onInterrupt(L);
      api.pushString(L, "interrupted");
      lua.lua_error(L);
      throw new Error("unreachable: lua_error returned");
    }
    return answer;
  };
  /** Pushes an answer as `call` returns it. */
  const pushAnswer = (L: number, method: string, args: Uint8Array, answer: HostAnswer) => {
    if (answer.status === HostStatus.error) {
      return api.ret(L, false, decoder.decode(answer.data.slice()));
    }
    if (answer.status === HostStatus.lasting) {
      return pushResults(L, cache.keep(method, args, decodeLasting(answer.data)));
    }
    return pushResults(L, answer.data);
  };
  /** The integers from argument `from` on (tickets). */
  const integers = (L: number, from: number, n: number): number[] => {
    const out: number[] = [];
    for (let i = from; i <= n; i++) out.push(Number(lua.lua_tointegerx(L, i, null)));
    return out;
  };
  /** `host.wait`: true, the ticket, and its call's answer as `call` gives it. */
  const wait = (L: number, n: number): number => {
    const answer = blocking(L, HostMethod.wait, encodeNumbers(integers(L, 2, n)));
    if (answer.status !== HostStatus.ok) return api.ret(L, false, decoder.decode(answer.data));
    const t = decodeTicketAnswer(answer.data);
    const kept = submitted.get(t.ticket);
    submitted.delete(t.ticket);
    lua.lua_pushboolean(L, 1);
    lua.lua_pushinteger(L, BigInt(t.ticket));
    const ticketAnswer = { status: t.status, data: t.data };
    if (kept) return 2 + pushAnswer(L, kept.method, kept.args, ticketAnswer);
    if (t.status === HostStatus.lasting) {
      return 2 + pushResults(L, decodeLasting(t.data).results);
    }
    return 2 + pushAnswer(L, "", t.data, ticketAnswer);
  };
  /** Calls the worker answers itself; -1 for one it does not. */
  const local = (L: number, method: string, n: number): number => {
    switch (method) {
      case "trace.on":
        return api.ret(L, true, tracing);
      case "trace.begin":
      case "trace.end":
        return tracing ? -1 : api.ret(L, true);
      case "host.branch": {
        const co = lua.lua_tothread(L, 2);
        if (!co) return api.ret(L, false, "host.branch: a coroutine expected");
        if (lua.lua_toboolean(L, 3)) {
          branches.set(co, api.str(L, 4) ?? "");
          ctx.onBranch(co);
        } else branches.delete(co);
        return api.ret(L, true);
      }
      case HostMethod.wait:
        return wait(L, n);
      case HostMethod.drop: {
        const tickets = integers(L, 2, n);
        for (const t of tickets) submitted.delete(t);
        blocking(L, HostMethod.drop, encodeNumbers(tickets));
        return api.ret(L, true);
      }
    }
    return -1;
  };
  const call = (L: number): number => {
    w ??= new ValueWriter(1024);
    const n = lua.lua_gettop(L);
    const method = api.str(L, 1) ?? "";
    if (method.startsWith("trace.") || method.startsWith("host.")) {
      const answered = local(L, method, n);
      if (answered >= 0) return answered;
    }
    let parent = tracing && spans.length > 0 ? parentSpan(L) : 0;
    const begin = method === "trace.begin";
    // A span's own calls are quick and never submitted: its id must be known at once.
    const traced = begin || method === "trace.end";
    if (begin && lua.lua_type(L, 4) === LuaTypeId.number) {
      parent = Number(lua.lua_tointegerx(L, 4, null));
    }
    w.length = 0;
    w.uleb(n - 1);
    try {
      for (let i = 2; i <= n; i++) writeLuaValue(api, L, i, w, "value");
    } catch (e) {
      if (e instanceof UnstorableValue) return api.ret(L, false, e.message);
      throw e;
    }
    const key = cache.key(method, w.bytes());
    if (key !== undefined) {
      const kept = cache.get(key);
      if (kept) return pushResults(L, kept);
    }
    const branch = branches.size > 0 && !traced ? branches.get(L) : undefined;
    if (branch !== undefined && lua.lua_isyieldable(L)) {
      const args = w.bytes();
      const answer = blocking(
        L,
        HostMethod.submit,
        encodeEnvelope(parent, caller.name(method), args, branch),
      );
      if (answer.status !== HostStatus.ok) return api.ret(L, false, decoder.decode(answer.data));
      const [ticket] = decodeNumbers(answer.data);
      if (key !== undefined) submitted.set(ticket, { method, args: args.slice() });
      lua.lua_settop(L, 0);
      lua.lua_pushcclosure(L, self(), 0);
      lua.lua_pushinteger(L, BigInt(ticket));
      return lua.lua_yieldk(L, 2, 0, 0);
    }
    // A tool call is named by its tool: `[host] tool.invoke http_request`.
    const shown = method === "tool.invoke" && lua.lua_type(L, 2) === LuaTypeId.string
      ? `${method} ${api.str(L, 2)}`
      : method;
    // Under a span, or in a branch (a call under C there blocks): the envelope says which.
    const answer = parent || branch
      ? blocking(
        L,
        HostMethod.span,
        encodeEnvelope(parent, caller.name(method), w.bytes(), branch),
        shown,
      )
      : blocking(L, method, w.bytes(), shown);
    if (begin && answer.status === HostStatus.ok) {
      const r = new ValueReader(answer.data);
      r.uleb();
      const id = r.value();
      if (typeof id === "bigint") spans.push({ id: Number(id), L });
    } else if (method === "trace.end" && lua.lua_type(L, 2) === LuaTypeId.number) {
      const id = Number(lua.lua_tointegerx(L, 2, null));
      const at = spans.findLastIndex((s) => s.id === id);
      if (at >= 0) spans.splice(at, 1);
    }
    return pushAnswer(L, method, w.bytes(), answer);
  };
  /** An execution ended: what its Lua left behind (open spans, branches) goes. */
  const reset = () => {
    spans.length = 0;
    branches.clear();
    submitted.clear();
  };
  return { call, reset };
}

interface HostCallFunction {
  call: (L: number) => number;
  reset: () => void;
}
