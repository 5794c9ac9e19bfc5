/**
 * The `Tool` global: the built-in tools (src/tools/, run on the main thread) and the tools a
 * script registers (`Tool.register(name, {description, parameters, execute})`, whose
 * `execute` stays a Lua function; the host keeps their schemas). Parameters are validated
 * against the tool's JSON schema before it runs, with one error naming every problem.
 * src/tools/ is imported at the first call.
 *
 * @module
 */
import { HOOKED_CALL_LUA } from "./hooked_call_lua.ts";
import { type ApiModule, type HostContext, HostError, results } from "./api.ts";
import { fromJson, type Json, toJson } from "./json_value.ts";
import type { EncodedValues } from "../engine/shared/host_values.ts";
import type { ToolRegistry } from "../tools/mod.ts";
import { type Span, startSpan } from "../telemetry/tracing.ts";

/** A tool call's span (src/telemetry/tracing.ts), by the GenAI conventions' execute_tool. */
function toolSpan(name: string, source: "builtin" | "lua"): Span {
  return startSpan("llmspell.tool", {
    "gen_ai.operation.name": "execute_tool",
    "gen_ai.tool.name": name,
    "llmspell.tool.source": source,
  });
}

/**
 * Lua tools being run, innermost last: their span starts when Tool.invoke validates the
 * call and ends when it reports the call done (`tool.called`). One whose function raised is
 * ended by its execution's end, as failed.
 */
const luaToolSpans = new WeakMap<object, { name: string; span: Span }[]>();

type Tools = typeof import("../tools/mod.ts");
let tools: Promise<Tools> | undefined;
const load = () => tools ??= import("../tools/mod.ts");

const registries = new WeakMap<object, ToolRegistry>();

async function registry(ctx: HostContext): Promise<ToolRegistry> {
  const { ToolRegistry } = await load();
  let r = registries.get(ctx.key);
  if (!r) registries.set(ctx.key, r = new ToolRegistry(ctx.llm.enabledTools));
  return r;
}

function text(args: EncodedValues, i: number, what: string): string {
  const v = toJson(args.value(i));
  if (typeof v !== "string") throw new HostError(`${what} must be a string`);
  return v;
}

/** An empty Lua table is `{}`; where a schema wants a list (`required`, `enum`), `[]`. */
function schemaOf(v: Json): Json {
  if (Array.isArray(v)) return v.map(schemaOf);
  if (v === null || typeof v !== "object") return v;
  const out: { [key: string]: Json } = {};
  for (const [k, x] of Object.entries(v)) {
    const empty = x !== null && typeof x === "object" && !Array.isArray(x) &&
      Object.keys(x).length === 0;
    out[k] = (k === "required" || k === "enum") && empty ? [] : schemaOf(x);
  }
  return out;
}

/** Runs `fn`, turning a tool's failure into a Lua error with its message. */
async function guarded<T>(fn: () => T | Promise<T>): Promise<T> {
  const { ToolError } = await load();
  try {
    return await fn();
  } catch (e) {
    if (e instanceof ToolError) throw new HostError(e.message);
    throw e;
  }
}

export const TOOL_LUA = String.raw`
local call, Tool, _, shared = ...
local type, error, select, setmetatable, tostring, pcall = type, error, select, setmetatable, tostring, pcall
local getinfo, find = debug.getinfo, string.find

local lua_tools = {}

local function check(ok, ...)
  if ok then return ... end
  error((...), 3)
end

-- Raises at the caller level frames up, unless that is llmspell's own Lua (a workflow's
-- tool step), which has no line of the script to name.
local function check_at(level, ok, ...)
  if ok then return ... end
  local info = getinfo(level, "S")
  if info and find(info.source, "^=%[llmspell ") then level = 0 end
  error((...), level)
end

local function name_arg(fn, name)
  if type(name) ~= "string" then
    error("bad argument #1 to '" .. fn .. "' (string expected, got " .. type(name) .. ")", 3)
  end
end

function Tool.list() return check(call("tool.list")) end
function Tool.get(name) name_arg("get", name) return check(call("tool.get", name)) end
function Tool.exists(name)
  if lua_tools[name] then return true end
  return check(call("tool.exists", name))
end
function Tool.categories() return check(call("tool.categories")) end
function Tool.discover(filter)
  if filter ~= nil and type(filter) ~= "table" then
    error("bad argument #1 to 'discover' (table expected, got " .. type(filter) .. ")", 2)
  end
  return check(call("tool.discover", filter))
end

function Tool.register(name, spec)
  name_arg("register", name)
  if type(spec) ~= "table" then
    error("bad argument #2 to 'register' (table expected, got " .. type(spec) .. ")", 2)
  end
  if type(spec.execute) ~= "function" then
    error("Tool.register: '" .. name .. "' needs execute = function(params) ... end", 2)
  end
  if spec.parameters ~= nil and type(spec.parameters) ~= "table" then
    error("Tool.register: parameters must be a JSON schema (a table)", 2)
  end
  check(call("tool.register", name, spec.description or "", spec.parameters, spec.category))
  lua_tools[name] = spec.execute
  return true
end

${HOOKED_CALL_LUA}
local HOOKS = {
  kind = "tool", before = "BeforeToolExecution", after = "AfterToolExecution", error = "ToolError",
}

-- The call itself; an error of its host call points at the caller of Tool.invoke.
local function invoke(name, params)
  local fn = lua_tools[name]
  if fn then
    check_at(6, call("tool.validate", name, params))
    -- Called plainly (no pcall), so that its error keeps its traceback; the session records
    -- the call (name, inputs, output) after what it did.
    local result = fn(params)
    if not call("tool.called", name, params, result) then
      call("tool.called", name, tostring(params), "<" .. type(result) .. ">")
    end
    return result
  end
  local result = check_at(6, call("tool.invoke", name, params))
  return result
end

function Tool.invoke(name, params)
  name_arg("invoke", name)
  if params == nil then params = {} end
  local result = hooked(HOOKS, name, invoke, name, params)
  return result
end

-- Tool.calculator{expression = "1+2"}: a tool by its name.
setmetatable(Tool, { __index = function(_, name)
  if type(name) ~= "string" then return nil end
  if lua_tools[name] or select(2, call("tool.exists", name)) then
    return function(params) return Tool.invoke(name, params) end
  end
end })
`;

export const TOOL_API: ApiModule = {
  global: "Tool",
  lua: TOOL_LUA,
  host: {
    "tool.list": async (_args, ctx) => results(fromJson((await registry(ctx)).names())),
    "tool.get": async (args, ctx) => {
      const info = (await registry(ctx)).get(text(args, 0, "Tool.get: name"));
      return results(fromJson(info ?? null));
    },
    "tool.exists": async (args, ctx) => {
      const name = toJson(args.value(0));
      return results(typeof name === "string" && (await registry(ctx)).get(name) !== undefined);
    },
    "tool.categories": async (_args, ctx) => {
      const all = (await registry(ctx)).all();
      return results(fromJson([...new Set(all.map((t) => t.category))].sort()));
    },
    "tool.discover": async (args, ctx) => {
      const f = toJson(args.value(0)) as { [key: string]: Json } | null;
      const category = typeof f?.category === "string" ? f.category : undefined;
      const query = typeof f?.query === "string" ? f.query.toLowerCase() : undefined;
      const found = (await registry(ctx)).all().filter((t) =>
        (category === undefined || t.category === category) &&
        (query === undefined || `${t.name} ${t.description}`.toLowerCase().includes(query))
      );
      return results(fromJson(found as unknown as Json));
    },
    "tool.register": async (args, ctx) => {
      const name = text(args, 0, "Tool.register: name");
      const params = args.value(2);
      const category = args.value(3);
      const r = await registry(ctx);
      await guarded(() =>
        r.register({
          name,
          description: text(args, 1, "Tool.register: description"),
          parameters: params === null
            ? { type: "object" }
            : schemaOf(toJson(params)) as { [key: string]: Json },
          category: category === null ? "custom" : text(args, 3, "Tool.register: category"),
        })
      );
      return results();
    },
    "tool.validate": async (args, ctx) => {
      const name = text(args, 0, "Tool.invoke: name");
      const r = await registry(ctx);
      const info = await guarded(() => r.validate(name, toJson(args.value(1))));
      if (info.source === "lua") {
        const spans = luaToolSpans.get(ctx.key) ?? [];
        luaToolSpans.set(ctx.key, spans);
        spans.push({ name, span: toolSpan(name, "lua") });
      }
      return results();
    },
    // A Lua tool ran (Tool.invoke): its span ends; the session records the call.
    "tool.called": (args, ctx) => {
      // The innermost of its name: workflow branches run Lua tools in turns, not nested.
      const spans = luaToolSpans.get(ctx.key) ?? [];
      const name = toJson(args.value(0));
      const at = spans.findLastIndex((s) => s.name === name);
      spans.splice(at >= 0 ? at : spans.length - 1, 1)[0]?.span.end();
      return results();
    },
    "tool.invoke": async (args, ctx) => {
      const name = text(args, 0, "Tool.invoke: name");
      const r = await registry(ctx);
      const { PathPolicy } = await import("../engine/shared/path_policy.ts");
      const policy = new PathPolicy({
        cwd: ctx.security.cwd,
        securityLevel: ctx.security.level,
        allowedPaths: ctx.security.allowedPaths,
        scriptDir: ctx.security.scriptDir,
      });
      const span = toolSpan(name, "builtin");
      const result = await guarded(() =>
        r.invoke(name, toJson(args.value(1)), (tool) => ({
          checkPath: (p) => policy.check(p),
          securityLevel: ctx.security.level,
          settings: ctx.llm.toolSettings[tool] ?? {},
          signal: ctx.signal,
          env: (n) => Deno.env.get(n),
        }))
      ).catch((e) => {
        span.fail("tool_error", e instanceof Error ? e.message : String(e));
        throw e;
      }).finally(() => span.end());
      return results(fromJson(result));
    },
  },
};
