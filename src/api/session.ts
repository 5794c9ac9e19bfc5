/**
 * The `Session` global: the session this engine records (a run, an exec, a REPL, a
 * kernel's Lua state). `Session.current()` returns `{id, status, created, executions}`.
 * A session is recorded from the first host call of its engine on (State, Session): its
 * executions and its host calls that reach outside Lua (state writes), in order;
 * `llmspell session list | show` reads them.
 *
 * @module
 */
import { type ApiModule, type HostContext, results } from "./api.ts";
import type { LuaValue } from "../engine/host_values.ts";

const text = (s: string) => new TextEncoder().encode(s);

/** The session as a Lua table. */
function current(ctx: HostContext): LuaValue {
  const m = new Map<LuaValue, LuaValue>([[text("id"), text(ctx.sessionId)]]);
  if (!ctx.recording()) {
    m.set(text("recorded"), false);
    return m;
  }
  const row = ctx.store().sessions.get(ctx.sessionId);
  m.set(text("recorded"), true);
  if (row) {
    m.set(text("status"), text(row.status));
    m.set(text("created"), text(row.created));
    m.set(text("executions"), BigInt(row.executions));
  }
  return m;
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
`,
  host: {
    "session.current": (_args, ctx) => results(current(ctx)),
  },
};
