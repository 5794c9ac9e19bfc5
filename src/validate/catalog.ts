/**
 * llmspell's Lua API as one table: every global a script sees beyond the standard library,
 * the functions of the global tables, and the methods of the objects they return, each
 * with a signature in the reference manual's notation (`get(key [, scope]) -> Agent`)
 * from which the validator reads how many arguments a call needs and what it returns.
 * The standard library's signatures come from src/kernel/lua_docs.ts (the kernel's
 * inspection docs), so there is one list of each.
 *
 * When a global, a function or a method is added to the runtime, it is added here;
 * tests/validate/catalog_test.ts checks the globals the runtime defines against this table.
 *
 * @module
 */
import { LUA_DOCS } from "../kernel/lua_docs.ts";
import { BUILT_IN_TOOLS } from "../tools/catalog.ts";

/** How many arguments a function takes, and the type of object it returns, if any. */
export interface Signature {
  text: string;
  min: number;
  max: number;
  returns?: string;
}

/** A global table of functions, or the methods of an object type. */
export interface ApiTable {
  functions: Record<string, Signature>;
  /** Plain fields (not functions). */
  fields: readonly string[];
  /**
   * Other names resolve at run time (`Tool.<name>` is a tool): an unknown one is only a
   * warning, checked against `dynamic` when given.
   */
  dynamic?: { what: string; names: readonly string[] };
}

/** Reads `name(a, b [, c]) -> Type`: what is before the first `[` is required; `...` is any. */
export function parseSignature(text: string): Signature {
  const m = /^[\w.:]+\((.*)\)\s*(?:->\s*(\w+))?$/.exec(text.trim());
  if (!m) throw new Error(`bad signature: ${text}`);
  const params = m[1];
  const required = params.split("[")[0].split(",").map((p) => p.trim()).filter((p) => p !== "");
  const all = params.replace(/[[\]]/g, "").split(",").map((p) => p.trim()).filter((p) => p !== "");
  const vararg = all.includes("...");
  // `pack(fmt, v1, v2, ...)`: numbered names before `...` are examples of it, not required.
  const min = required.filter((p) => p !== "..." && !(vararg && /\d$/.test(p))).length;
  return { text: text.trim(), min, max: vararg ? Infinity : all.length, returns: m[2] };
}

function table(
  signatures: string[],
  fields: readonly string[] = [],
  dynamic?: ApiTable["dynamic"],
): ApiTable {
  const functions: Record<string, Signature> = {};
  for (const s of signatures) functions[/^(\w+)/.exec(s)![1]] = parseSignature(s);
  return { functions, fields, dynamic };
}

const AGENT_SETTINGS = [
  "name",
  "description",
  "model",
  "provider",
  "system_prompt",
  "temperature",
  "max_tokens",
  "tools",
  "response_format",
  "memory",
  "max_tool_calls",
];

/** What a workflow's builder sets (Workflow.builder():name(...)). */
const WORKFLOW_SETTINGS = [
  "name",
  "description",
  "on_error",
  "max_concurrency",
  "condition",
  "max_iterations",
  "stop_when",
  "over",
];

/** The built-in tools (src/tools/catalog.ts), each also reachable as `Tool.<name>{…}`. */
export const BUILTIN_TOOLS: readonly string[] = BUILT_IN_TOOLS.map((t) => t.name);

/** llmspell's global tables. */
export const API_TABLES: Record<string, ApiTable> = {
  Agent: table(
    [
      "builder() -> AgentBuilder",
      "register(config) -> Agent",
      "get(name) -> Agent",
      "list()",
    ],
    ["Error"],
  ),
  State: table([
    "get(key [, scope])",
    "set(key, value [, scope])",
    "delete(key [, scope])",
    "exists(key [, scope])",
    "list([scope [, prefix]])",
    "increment(key [, n [, scope]])",
    "update(key, fn [, scope])",
    "save(scope, key, value)",
    "load(scope, key)",
    "list_keys([scope])",
    "scope(name) -> StateScope",
  ]),
  Session: table([
    "current()",
    "create({name, description, tags, parent}) -> id",
    "get(id)",
    "list({tags, status, limit})",
    "suspend([id])",
    "resume([id])",
    "complete([id])",
    "set(key, value)",
    "value(key)",
  ]),
  Artifact: table([
    "store(name, content [, {mime_type, tags, kind}]) -> id",
    "store_file(path [, meta]) -> id",
    "get(id)",
    "list({session, kind, name, tags, limit})",
    "delete(id)",
  ]),
  Tool: table(
    [
      "list()",
      "get(name)",
      "exists(name)",
      "categories()",
      "discover([filter])",
      "register(name, spec)",
      "invoke(name [, params])",
    ],
    [],
    { what: "tool", names: BUILTIN_TOOLS },
  ),
  Hook: table(
    [
      "register(point, fn [, priority]) -> HookHandle",
      "unregister(handle)",
      "list([point])",
      "clear([point])",
      "points()",
    ],
    ["Error"],
  ),
  Provider: table(["list()", "get(name)"]),
  Workflow: table([
    "sequential(config) -> Workflow",
    "parallel(config) -> Workflow",
    "conditional(config) -> Workflow",
    "loop(config) -> Workflow",
    "builder() -> WorkflowBuilder",
    "get(name) -> Workflow",
    "list()",
  ]),
  JSON: table([
    "parse(text)",
    "stringify(value [, indent])",
    "decode(text)",
    "encode(value [, indent])",
  ]),
};

/** The methods of the objects llmspell's functions return, by the type their signature names. */
export const API_TYPES: Record<string, ApiTable> = {
  Agent: table(
    ["execute(input)", "stream(input, fn)", "history()", "reset()"],
    ["name", "config"],
  ),
  AgentBuilder: table([
    ...AGENT_SETTINGS.map((s) => `${s}(value) -> AgentBuilder`),
    "build() -> Agent",
  ]),
  HookHandle: table(["unregister()"], ["point", "name", "priority"]),
  Workflow: table(["execute([input])"], ["name", "kind", "description", "steps"]),
  WorkflowBuilder: table([
    ...WORKFLOW_SETTINGS.map((s) => `${s}(value) -> WorkflowBuilder`),
    ...["sequential", "parallel", "conditional", "loop"].map((k) => `${k}() -> WorkflowBuilder`),
    ...["add_step", "add_then_step", "add_else_step"].map((a) => `${a}(step) -> WorkflowBuilder`),
    "build() -> Workflow",
  ]),
  StateScope: table([
    "get(key)",
    "set(key, value)",
    "delete(key)",
    "exists(key)",
    "list([prefix])",
    "increment(key [, n])",
    "update(key, fn)",
  ], ["name"]),
};

/** llmspell's global functions (kernel_api.ts; reload: the prelude). */
export const API_FUNCTIONS: Record<string, Signature> = Object.fromEntries(
  ["display", "clear_output", "input", "reload"].map((n) => [n, parseSignature(LUA_DOCS[n][0])]),
);

/** llmspell's global values: the script's arguments (runtime.ts). */
export const API_VALUES: readonly string[] = ["ARGS", "arg"];

/** Fields of the standard tables that are not functions, or not in lua_docs.ts. */
const STD_EXTRA: Record<string, readonly string[]> = {
  math: ["pi", "huge", "maxinteger", "mininteger"],
  utf8: ["charpattern"],
  io: ["stdin", "stdout", "stderr"],
  os: ["setlocale"],
  package: ["path", "cpath", "loaded", "preload", "searchers", "searchpath", "config", "loadlib"],
  coroutine: [],
  string: [],
  table: [],
};

/**
 * Standard functions llmspell's io (written over host functions) does not have: calling
 * them fails. Each with what to use instead.
 */
const NOT_IN_LLMSPELL: Record<string, string> = {
  "io.flush": "not needed: llmspell's io.write is not buffered",
  "io.tmpfile": "use os.tmpname() and io.open",
};

/** The standard library's tables (debug is left open: it is there in unrestricted mode only). */
export const STD_TABLES: Record<string, ApiTable> = (() => {
  const tables: Record<string, ApiTable> = {};
  for (const [name, fields] of Object.entries(STD_EXTRA)) {
    tables[name] = { functions: {}, fields };
  }
  for (const [key, [signature]] of Object.entries(LUA_DOCS)) {
    const dot = key.indexOf(".");
    if (dot < 0 || key in NOT_IN_LLMSPELL) continue;
    const lib = key.slice(0, dot);
    tables[lib] ??= { functions: {}, fields: [] };
    tables[lib].functions[key.slice(dot + 1)] = parseSignature(signature);
  }
  return tables;
})();

/** The standard library's global functions. */
export const STD_FUNCTIONS: Record<string, Signature> = Object.fromEntries(
  Object.entries(LUA_DOCS)
    .filter(([k, [sig]]) => !k.includes(".") && sig.includes("(") && !(k in API_FUNCTIONS))
    .map(([k, [sig]]) => [k, parseSignature(sig)]),
);
// `error()` raises nil: its message is optional in practice, though the manual names it.
STD_FUNCTIONS.error = { ...STD_FUNCTIONS.error, min: 0 };

/**
 * What the safe sandbox (security_level = "safe", the default) leaves out of the standard
 * library (src/engine/worker/lua/prelude.ts).
 */
export const UNRESTRICTED_ONLY: readonly string[] = [
  "debug",
  "io.popen",
  "os.execute",
  "os.exit",
  "os.setlocale",
  "package.cpath",
  "package.loadlib",
  "package.preload",
  "package.searchers",
  "package.searchpath",
  "string.dump",
];

/** Other standard globals. */
export const STD_VALUES: readonly string[] = ["_G", "_VERSION", "_ENV", "debug"];

/** Names from older Lua versions or other languages, with what Lua 5.4 has instead. */
export const REPLACED_GLOBALS: Record<string, string> = {
  unpack: "table.unpack (since Lua 5.2)",
  loadstring: "load (since Lua 5.2)",
  setfenv: "_ENV (since Lua 5.2)",
  getfenv: "_ENV (since Lua 5.2)",
  module: "a table returned by the module (since Lua 5.2)",
  null: "nil",
  undefined: "nil",
  None: "nil",
  self: "a method defined with ':' (function T:m() … end), which receives self",
};

/**
 * Fields of the standard tables that Lua 5.4 dropped (without its 5.3 compatibility), or
 * that llmspell lacks, with the hint for each.
 */
export const REPLACED_FIELDS: Record<string, string> = {
  ...NOT_IN_LLMSPELL,
  "math.pow": "use x ^ y",
  "math.atan2": "use math.atan(y, x)",
  "math.log10": "use math.log(x, 10)",
  "math.mod": "use math.fmod",
  "math.cosh": "use (math.exp(x) + math.exp(-x)) / 2",
  "math.ldexp": "use m * 2 ^ e",
  "table.getn": "use #t",
  "table.maxn": "use #t for a list",
  "string.gfind": "use string.gmatch",
};

/** Every global name a script may read without defining it. */
export const KNOWN_GLOBALS: readonly string[] = [
  ...Object.keys(API_TABLES),
  ...Object.keys(API_FUNCTIONS),
  ...API_VALUES,
  ...Object.keys(STD_FUNCTIONS),
  ...Object.keys(STD_TABLES),
  ...STD_VALUES,
];
