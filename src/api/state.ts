/**
 * The `State` global: persistent key-value state in scopes, on the store's state
 * repository (src/store/state.ts), shared by every process that uses the same database.
 *
 * Scopes: `global` (the default), `session` (the engine's session), `agent:<name>`,
 * `workflow:<name>`, `tool:<name>`, `user:<id>`, `custom:<name>` (and `session:<id>`).
 * Keys: non-empty UTF-8, at most 256 bytes, no NUL. Values: any Lua value made of nil,
 * booleans, numbers, strings and tables (src/engine/shared/host_values.ts), at most `[state]
 * max_value_bytes` encoded; setting nil deletes the key.
 *
 * `State.update(key, fn)` is optimistic: it reads the value and its version, calls `fn`
 * in Lua, and stores the result only if the version is unchanged, else calls `fn` again
 * with the newer value. No lock is held while Lua runs (a script that stops in `fn`, at
 * a breakpoint or an `input()`, blocks no other process), and no update is lost.
 * `State.increment` runs entirely in one transaction on the host.
 *
 * @module
 */
import { type ApiModule, encodedResult, type HostContext, HostError, results } from "./api.ts";
import {
  decodeValue,
  type EncodedValues,
  luaType,
  type LuaValue,
} from "../engine/shared/host_values.ts";

export const MAX_KEY_BYTES = 256;
export const MAX_SCOPE_BYTES = 256;
const SCOPE_KINDS = ["agent", "workflow", "tool", "user", "custom", "session"];

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The key's problem, or undefined when it is a valid key. */
export function keyProblem(key: Uint8Array): string | undefined {
  if (key.length === 0) return "a key cannot be empty";
  if (key.length > MAX_KEY_BYTES) {
    return `a key is at most ${MAX_KEY_BYTES} bytes (this one has ${key.length})`;
  }
  if (key.includes(0)) return "a key cannot contain a NUL byte";
  try {
    utf8.decode(key);
  } catch {
    return "a key must be UTF-8 text";
  }
  return undefined;
}

/**
 * The stored name of a scope, or a problem. `session` is the engine's session
 * (`session:<id>`); without one (the CLI) it must be given with its id.
 */
export function resolveScope(
  scope: string,
  sessionId?: string,
): { scope: string } | { problem: string } {
  if (scope === "global") return { scope };
  if (scope === "session") {
    if (sessionId === undefined) {
      return { problem: "scope 'session' needs its id here: session:<id>" };
    }
    return { scope: `session:${sessionId}` };
  }
  const colon = scope.indexOf(":");
  const kind = colon < 0 ? scope : scope.slice(0, colon);
  const name = colon < 0 ? "" : scope.slice(colon + 1);
  if (!SCOPE_KINDS.includes(kind)) {
    return {
      problem:
        `unknown scope '${scope}': use global, session, agent:<name>, workflow:<name>, tool:<name>, user:<id> or custom:<name>`,
    };
  }
  if (name === "") return { problem: `scope '${scope}' needs a name after the colon` };
  if (name.includes("\0")) return { problem: "a scope name cannot contain a NUL byte" };
  if (new TextEncoder().encode(scope).length > MAX_SCOPE_BYTES) {
    return { problem: `a scope is at most ${MAX_SCOPE_BYTES} bytes` };
  }
  return { scope };
}

function text(fn: string, what: string, v: LuaValue): string {
  if (!(v instanceof Uint8Array)) {
    throw new HostError(`${fn}: ${what} must be a string, got ${luaType(v)}`);
  }
  try {
    return utf8.decode(v);
  } catch {
    throw new HostError(`${fn}: ${what} must be UTF-8 text`);
  }
}

/** A key as text when it is plain ASCII without NUL (most keys), without a decoder call. */
function asciiKey(k: Uint8Array): string | undefined {
  if (k.length === 0 || k.length > MAX_KEY_BYTES) return undefined;
  let out = "";
  for (let i = 0; i < k.length; i++) {
    const b = k[i];
    if (b === 0 || b >= 0x80) return undefined;
    out += String.fromCharCode(b);
  }
  return out;
}

/** The (scope, key) of a call whose first two arguments they are. */
function target(fn: string, args: EncodedValues, ctx: HostContext): [string, string] {
  const s = args.value(0);
  const r = s === null ? GLOBAL : resolveScope(text(fn, "scope", s), ctx.sessionId);
  if ("problem" in r) throw new HostError(`${fn}: ${r.problem}`);
  const k = args.value(1);
  if (!(k instanceof Uint8Array)) {
    throw new HostError(`${fn}: key must be a string, got ${luaType(k)}`);
  }
  const ascii = asciiKey(k);
  if (ascii !== undefined) return [r.scope, ascii];
  const problem = keyProblem(k);
  if (problem) throw new HostError(`${fn}: ${problem}`);
  return [r.scope, utf8.decode(k)];
}

const GLOBAL = { scope: "global" } as const;

/**
 * Whether a read's answer may last while the database is unchanged (0027): not for the scope
 * `session`, which names the engine's session of the moment, not a row of the database.
 */
function lasting(args: EncodedValues): boolean {
  const s = args.value(0);
  return !(s instanceof Uint8Array && s.length === 7 && utf8.decode(s) === "session");
}

function scopeArg(fn: string, args: EncodedValues, ctx: HostContext): string {
  const s = args.value(0);
  const r = resolveScope(s === null ? "global" : text(fn, "scope", s), ctx.sessionId);
  if ("problem" in r) throw new HostError(`${fn}: ${r.problem}`);
  return r.scope;
}

/** The value to store (null for nil: delete), within the size limit. */
function storable(fn: string, raw: Uint8Array, ctx: HostContext): Uint8Array | null {
  if (raw.length === 1 && raw[0] === 0) return null;
  const max = ctx.state.maxValueBytes;
  if (raw.length > max) {
    throw new HostError(
      `${fn}: the value is ${raw.length} bytes encoded, more than the limit of ${max} ([state] max_value_bytes)`,
    );
  }
  return raw.slice();
}

function increment(
  old: Uint8Array | undefined,
  by: LuaValue,
  key: string,
): LuaValue {
  const v = old === undefined ? 0n : decodeValue(old);
  if (typeof v !== "bigint" && typeof v !== "number") {
    throw new HostError(`State.increment: '${key}' holds a ${luaType(v)}, not a number`);
  }
  if (typeof v === "bigint" && typeof by === "bigint") return BigInt.asIntN(64, v + by);
  return Number(v) + Number(by);
}

export const STATE_LUA = String.raw`
local call, State = ...
local type, error, tostring = type, error, tostring
local getmetatable, setmetatable = getmetatable, setmetatable

-- Reached by tail calls only, so level 2 is the script's line that called State.
local function check(ok, ...)
  if ok then return ... end
  error((...), 2)
end

local function get(key, scope) return check(call("state.get", scope, key)) end
local function set(key, value, scope) return check(call("state.set", scope, key, value)) end
local function delete(key, scope) return check(call("state.delete", scope, key)) end
local function exists(key, scope) return check(call("state.exists", scope, key)) end
local function list(scope, prefix) return check(call("state.list", scope, prefix)) end
local function increment(key, n, scope)
  if n == nil then n = 1 end
  if type(n) ~= "number" then
    error("bad argument #2 to 'increment' (number expected, got " .. type(n) .. ")", 2)
  end
  return check(call("state.increment", scope, key, n))
end

local function update(key, fn, scope)
  if type(fn) ~= "function" then
    error("bad argument #2 to 'update' (function expected, got " .. type(fn) .. ")", 2)
  end
  for _ = 1, 1000 do
    local ok, value, version = call("state.read", scope, key)
    if not ok then error(value, 2) end
    local new = fn(value)
    local ok2, done = call("state.swap", scope, key, version, new)
    if not ok2 then error(done, 2) end
    if done then return new end
  end
  error("State.update: gave up after 1000 conflicting writes to '" .. tostring(key) .. "'", 2)
end

State.get, State.set, State.delete, State.exists = get, set, delete, exists
State.list, State.increment, State.update = list, increment, update

-- The original project's names.
function State.save(scope, key, value) return set(key, value, scope) end
function State.load(scope, key) return get(key, scope) end
function State.list_keys(scope) return list(scope) end

local HANDLE = {}
HANDLE.__index = HANDLE
HANDLE.__name = "State.scope"
function HANDLE.__tostring(h) return "State.scope(" .. h.name .. ")" end

-- A handle's methods work called with a colon or a dot.
local function method(f)
  return function(h, ...)
    if getmetatable(h) == HANDLE then return f(h.name, ...) end
    error("State.scope handle: call its methods with a colon (h:get(key))", 2)
  end
end
HANDLE.get = method(function(scope, key) return get(key, scope) end)
HANDLE.set = method(function(scope, key, value) return set(key, value, scope) end)
HANDLE.delete = method(function(scope, key) return delete(key, scope) end)
HANDLE.exists = method(function(scope, key) return exists(key, scope) end)
HANDLE.list = method(function(scope, prefix) return list(scope, prefix) end)
HANDLE.increment = method(function(scope, key, n) return increment(key, n, scope) end)
HANDLE.update = method(function(scope, key, fn) return update(key, fn, scope) end)

function State.scope(name)
  if type(name) ~= "string" then
    error("bad argument #1 to 'scope' (string expected, got " .. type(name) .. ")", 2)
  end
  check(call("state.scope", name))
  return setmetatable({ name = name }, HANDLE)
end
`;

export const STATE_API: ApiModule = {
  global: "State",
  lua: STATE_LUA,
  host: {
    "state.get": (args, ctx) => {
      const [scope, key] = target("State.get", args, ctx);
      const store = ctx.store();
      // Read before the value, so that the value is at least as new as the token.
      const token = lasting(args) ? store.changeToken() : undefined;
      const value = encodedResult(store.state.get(scope, key));
      return token ? { results: value, ...token } : value;
    },
    "state.set": (args, ctx) => {
      const [scope, key] = target("State.set", args, ctx);
      ctx.store().state.set(scope, key, storable("State.set", args.raw(2), ctx));
      return results();
    },
    "state.delete": (args, ctx) => {
      const [scope, key] = target("State.delete", args, ctx);
      return results(ctx.store().state.delete(scope, key));
    },
    "state.exists": (args, ctx) => {
      const [scope, key] = target("State.exists", args, ctx);
      const store = ctx.store();
      const token = lasting(args) ? store.changeToken() : undefined;
      const value = results(store.state.exists(scope, key));
      return token ? { results: value, ...token } : value;
    },
    "state.list": (args, ctx) => {
      const scope = scopeArg("State.list", args, ctx);
      const p = args.value(1);
      const prefix = p === null ? "" : text("State.list", "prefix", p);
      const enc = new TextEncoder();
      return results(ctx.store().state.keys(scope, prefix).map((k) => enc.encode(k)));
    },
    "state.increment": (args, ctx) => {
      const [scope, key] = target("State.increment", args, ctx);
      const by = args.value(2);
      let next: LuaValue = null;
      ctx.store().state.update(scope, key, (old) => {
        next = increment(old, by, key);
        return results(next).subarray(1);
      });
      return results(next);
    },
    "state.read": (args, ctx) => {
      const [scope, key] = target("State.update", args, ctx);
      const v = ctx.store().state.getVersioned(scope, key);
      if (!v) return results(null, 0n);
      const out = encodedResult(v.value);
      const w = results(null, BigInt(v.version));
      // [2][value][version]: the stored value as it is, then the version.
      const joined = new Uint8Array(out.length + w.length - 2);
      joined[0] = 2;
      joined.set(out.subarray(1), 1);
      joined.set(w.subarray(2), out.length);
      return joined;
    },
    "state.swap": (args, ctx) => {
      const [scope, key] = target("State.update", args, ctx);
      const version = args.value(2);
      if (typeof version !== "bigint") throw new HostError("State.update: bad version");
      const value = storable("State.update", args.raw(3), ctx);
      return results(ctx.store().state.setIfVersion(scope, key, value, Number(version)));
    },
    "state.scope": (args, ctx) => {
      scopeArg("State.scope", args, ctx);
      return results();
    },
  },
};
