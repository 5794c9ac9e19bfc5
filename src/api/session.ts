/**
 * The `Session` global: the session this engine records (a run, an exec, a REPL, a
 * kernel's Lua state), and the other sessions of the database.
 *
 * - `Session.current()` → `{id, status, created, executions, recorded, …}`.
 * - `Session.create{name, description, tags, parent}` → the id of a new active session
 *   (the engine keeps recording into its own).
 * - `Session.get(id)` → the session's table, or nil; `Session.list{tags, status, limit}`
 *   → them, newest first.
 * - `Session.suspend/resume/complete([id])` (default: the current session).
 * - `Session.set(key, value)` and `Session.value(key)`: State in the scope `session`.
 *   `Session.get` keeps its one meaning (a session by id), so reading a value has its own
 *   name.
 *
 * A session is recorded from the first host call of its engine on (State, Session): its
 * executions and its host calls that reach outside Lua (state writes), in order;
 * `llmspell session list | show` reads them.
 *
 * @module
 */
import { type ApiModule, type HostContext, HostError, results } from "./api.ts";
import { type EncodedValues, luaType, type LuaValue } from "../engine/shared/host_values.ts";
import { SESSION_STATUSES, type SessionRow, type SessionStatus } from "../store/sessions.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const text = (s: string) => encoder.encode(s);

/** A session as a Lua table. */
function sessionTable(row: SessionRow): LuaValue {
  const m = new Map<LuaValue, LuaValue>([
    [text("id"), text(row.id)],
    [text("status"), text(row.status)],
    [text("created"), text(row.created)],
    [text("updated"), text(row.updated)],
    [text("executions"), BigInt(row.executions)],
    [text("tags"), row.tags.map(text)],
  ]);
  if (row.name !== null) m.set(text("name"), text(row.name));
  if (row.description !== null) m.set(text("description"), text(row.description));
  if (row.parent !== null) m.set(text("parent"), text(row.parent));
  return m;
}

/** The current session as a Lua table. */
function current(ctx: HostContext): LuaValue {
  if (!ctx.recording()) {
    return new Map<LuaValue, LuaValue>([[text("id"), text(ctx.sessionId)], [
      text("recorded"),
      false,
    ]]);
  }
  const row = ctx.store().sessions.get(ctx.sessionId);
  const m = row ? sessionTable(row) as Map<LuaValue, LuaValue> : new Map<LuaValue, LuaValue>();
  m.set(text("id"), text(ctx.sessionId));
  m.set(text("recorded"), true);
  return m;
}

/** The fields of an options table, by name (an absent table: none). */
function fields(fn: string, v: LuaValue): Map<string, LuaValue> {
  const out = new Map<string, LuaValue>();
  if (v === null) return out;
  if (Array.isArray(v)) {
    if (v.length === 0) return out;
    throw new HostError(`${fn}: expected a table of named options`);
  }
  if (!(v instanceof Map)) throw new HostError(`${fn}: expected a table, got ${luaType(v)}`);
  for (const [k, value] of v) {
    if (k instanceof Uint8Array) out.set(decoder.decode(k), value);
  }
  return out;
}

function optionalString(fn: string, name: string, v: LuaValue | undefined): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (!(v instanceof Uint8Array)) {
    throw new HostError(`${fn}: ${name} must be a string, got ${luaType(v)}`);
  }
  return decoder.decode(v);
}

function tagList(fn: string, v: LuaValue | undefined): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (v instanceof Uint8Array) return [decoder.decode(v)];
  if (v instanceof Map && v.size === 0) return [];
  if (!Array.isArray(v)) throw new HostError(`${fn}: tags must be a list of strings`);
  return v.map((t) => {
    if (!(t instanceof Uint8Array)) throw new HostError(`${fn}: tags must be a list of strings`);
    return decoder.decode(t);
  });
}

/** The session `v` names (default: the current one); it must exist. */
function sessionId(fn: string, v: LuaValue, ctx: HostContext): string {
  const id = optionalString(fn, "id", v) ?? ctx.sessionId;
  if (!ctx.store().sessions.get(id)) throw new HostError(`${fn}: no session '${id}'`);
  return id;
}

function create(args: EncodedValues, ctx: HostContext): Uint8Array {
  const fn = "Session.create";
  const f = fields(fn, args.value(0));
  const parent = optionalString(fn, "parent", f.get("parent"));
  const store = ctx.store();
  if (parent !== undefined && !store.sessions.get(parent)) {
    throw new HostError(`${fn}: no parent session '${parent}'`);
  }
  const id = crypto.randomUUID();
  store.sessions.open(id, {
    name: optionalString(fn, "name", f.get("name")),
    description: optionalString(fn, "description", f.get("description")),
    tags: tagList(fn, f.get("tags")),
    parent,
  });
  return results(text(id));
}

function list(args: EncodedValues, ctx: HostContext): Uint8Array {
  const fn = "Session.list";
  const f = fields(fn, args.value(0));
  const status = optionalString(fn, "status", f.get("status"));
  if (status !== undefined && !SESSION_STATUSES.includes(status as SessionStatus)) {
    throw new HostError(`${fn}: status is one of ${SESSION_STATUSES.join(", ")}`);
  }
  const limit = f.get("limit");
  if (limit !== undefined && limit !== null && (typeof limit !== "bigint" || limit < 1n)) {
    throw new HostError(`${fn}: limit must be a positive integer`);
  }
  const rows = ctx.store().sessions.list({
    status: status as SessionStatus | undefined,
    tags: tagList(fn, f.get("tags")),
    limit: typeof limit === "bigint" ? Number(limit) : undefined,
  });
  return results(rows.map(sessionTable));
}

/** suspend / resume / complete: which statuses each leaves from, and where it goes. */
const TRANSITIONS: Record<string, { from: SessionStatus[]; to: SessionStatus }> = {
  suspend: { from: ["active"], to: "suspended" },
  resume: { from: ["suspended"], to: "active" },
  complete: { from: ["active", "suspended"], to: "completed" },
};

function transition(action: string) {
  return (args: EncodedValues, ctx: HostContext): Uint8Array => {
    const fn = `Session.${action}`;
    const t = TRANSITIONS[action];
    const id = sessionId(fn, args.value(0), ctx);
    const store = ctx.store();
    return store.transaction(() => {
      const status = store.sessions.get(id)!.status;
      if (!t.from.includes(status)) {
        throw new HostError(`${fn}: session '${id}' is ${status}`);
      }
      store.sessions.setStatus(id, t.to);
      return results(true);
    });
  };
}

export const SESSION_API: ApiModule = {
  global: "Session",
  lua: String.raw`
local call, Session = ...
local error = error
local function check(ok, ...)
  if ok then return ... end
  error((...), 2)
end
function Session.current() return check(call("session.current")) end
function Session.create(opts) return check(call("session.create", opts)) end
function Session.get(id) return check(call("session.get", id)) end
function Session.list(opts) return check(call("session.list", opts)) end
function Session.suspend(id) return check(call("session.suspend", id)) end
function Session.resume(id) return check(call("session.resume", id)) end
function Session.complete(id) return check(call("session.complete", id)) end
function Session.set(key, value) return check(call("state.set", "session", key, value)) end
function Session.value(key) return check(call("state.get", "session", key)) end
`,
  host: {
    "session.current": (_args, ctx) => results(current(ctx)),
    "session.create": create,
    "session.get": (args, ctx) => {
      const id = optionalString("Session.get", "id", args.value(0));
      if (id === undefined) throw new HostError("Session.get: id must be a string, got nil");
      const row = ctx.store().sessions.get(id);
      return results(row ? sessionTable(row) : null);
    },
    "session.list": list,
    "session.suspend": transition("suspend"),
    "session.resume": transition("resume"),
    "session.complete": transition("complete"),
  },
};
