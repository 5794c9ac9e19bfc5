/**
 * Calls into llmspell's API and the standard library checked against catalog.ts: unknown
 * functions and methods (with did-you-mean), argument counts, and `.` where `:` was meant
 * (or the reverse). Objects are followed through locals: `local a = Agent.builder()…:build()`
 * makes `a` an Agent, so `a:exectue()` is caught.
 *
 * @module
 */
import {
  type Call,
  callArguments,
  type Expression,
  type Identifier,
  isMultiValue,
  type MemberExpression,
} from "./ast.ts";
import {
  API_FUNCTIONS,
  API_TABLES,
  API_TYPES,
  type ApiTable,
  REPLACED_FIELDS,
  type Signature,
  STD_FUNCTIONS,
  STD_TABLES,
  UNRESTRICTED_ONLY,
} from "./catalog.ts";
import type { Context } from "./analyze.ts";
import { checkFormat, literalText } from "./patterns.ts";
import { suggest } from "../suggest.ts";
import { HOOK_POINTS } from "../hook_points.ts";

interface Resolved {
  table: ApiTable;
  /** How the script names it: `Agent`, `string`, `agent`. */
  label: string;
  /** Global tables hold functions (called with `.`), objects methods (called with `:`). */
  kind: "global" | "object";
  /** The object type, for messages. */
  type?: string;
}

/** The llmspell object type `e` evaluates to, when known. */
export function typeOf(ctx: Context, e: Expression): string | undefined {
  if (e.type === "Identifier") return ctx.local(e.name)?.type;
  if (
    (e.type === "CallExpression" || e.type === "TableCallExpression" ||
      e.type === "StringCallExpression") && e.base.type === "MemberExpression"
  ) {
    const r = resolve(ctx, e.base.base);
    return r?.table.functions[e.base.identifier.name]?.returns;
  }
  return undefined;
}

function resolve(ctx: Context, base: Expression): Resolved | undefined {
  if (base.type === "Identifier") {
    const local = ctx.local(base.name);
    if (!local) {
      const table = API_TABLES[base.name] ?? STD_TABLES[base.name];
      return table ? { table, label: base.name, kind: "global" } : undefined;
    }
  }
  const type = typeOf(ctx, base);
  if (type === undefined || !API_TYPES[type]) return undefined;
  return { table: API_TYPES[type], label: text(ctx, base), kind: "object", type };
}

function text(ctx: Context, e: Expression): string {
  const s = ctx.source.slice(e.range[0], e.range[1]).replace(/\s+/g, " ");
  return s.length > 40 ? s.slice(0, 37) + "..." : s;
}

/** `T.name` or `obj:name`: the name exists. */
export function checkMember(ctx: Context, m: MemberExpression, called: boolean): void {
  const r = resolve(ctx, m.base);
  if (!r) return;
  const name = m.identifier.name;
  const { table } = r;
  if (ctx.safe && r.kind === "global" && UNRESTRICTED_ONLY.includes(`${r.label}.${name}`)) {
    return sandboxed(ctx, m.identifier, `${r.label}.${name}`);
  }
  if (name in table.functions || table.fields.includes(name)) return;
  if (r.kind === "global" && ctx.definedFields.has(`${r.label}.${name}`)) return;
  const names = [...Object.keys(table.functions), ...table.fields];
  if (table.dynamic) {
    const tools = [...table.dynamic.names, ...ctx.registeredTools];
    if (tools.includes(name)) return;
    const near = suggest(name, [...names, ...tools]);
    ctx.report(
      m.identifier,
      "warning",
      "unknown-field",
      `${r.label}.${name}: no function or built-in ${table.dynamic.what} of that name`,
      near ? `did you mean '${near}'?` : `${r.label}.list() shows them`,
    );
    return;
  }
  const replaced = r.kind === "global" ? REPLACED_FIELDS[`${r.label}.${name}`] : undefined;
  const near = suggest(name, names);
  const what = r.kind === "object"
    ? `'${r.label}' (${article(r.type!)}) has no ${called ? "method" : "field"}`
    : `${r.label} has no ${called ? "function" : "field"}`;
  ctx.report(
    m.identifier,
    called ? "error" : "warning",
    r.kind === "object" ? "unknown-method" : "unknown-field",
    `${what} '${name}'${called ? " (calling it fails)" : ""}`,
    replaced ?? (near ? `did you mean '${near}'?` : `it has: ${names.join(", ")}`),
  );
}

/** What the safe sandbox leaves out, used. */
export function sandboxed(ctx: Context, at: Identifier, name: string): void {
  ctx.report(
    at,
    "error",
    "sandbox",
    `${name} is not available with security_level = "safe" (it is nil)`,
    `set security_level = "unrestricted" under [engines.lua] if this script needs it`,
  );
}

function article(type: string): string {
  return (/^[AEIOU]/.test(type) ? "an " : "a ") + type;
}

/** A call's argument count, and `.` against `:`. */
export function checkCall(ctx: Context, c: Call): void {
  const args = callArguments(c);
  if (c.base.type === "Identifier") {
    if (ctx.local(c.base.name)) return;
    const sig = API_FUNCTIONS[c.base.name] ?? STD_FUNCTIONS[c.base.name];
    if (sig) arity(ctx, c, c.base.name, sig, args);
    return;
  }
  if (c.base.type !== "MemberExpression") return;
  const m = c.base;
  const name = m.identifier.name;
  if (name === "format" && m.indexer === ":" && m.base.type === "StringLiteral") {
    checkFormat(ctx, c, m.base, args);
  }
  const r = resolve(ctx, m.base);
  const sig = r?.table.functions[name];
  if (!r || !sig) return;
  const shown = `${r.label}${r.kind === "object" ? ":" : "."}${name}`;
  if (r.kind === "global") {
    if (m.indexer === ":") {
      ctx.report(
        m.identifier,
        "error",
        "colon-call",
        `${r.label}.${name} is a function, not a method: ':' passes ${r.label} as its first argument`,
        `call it with '.': ${r.label}.${name}(…)`,
      );
      return;
    }
    if (r.label === "string" && name === "format" && args[0]?.type === "StringLiteral") {
      checkFormat(ctx, c, args[0], args.slice(1));
    }
    if (r.label === "Hook" && HOOK_POINT_FUNCTIONS.has(name)) checkHookPoint(ctx, args[0]);
    arity(ctx, c, shown, sig, args);
    return;
  }
  if (m.indexer === ".") {
    const self = args[0];
    const passesSelf = self !== undefined && text(ctx, self) === r.label;
    if (!passesSelf) {
      ctx.report(
        m.identifier,
        "error",
        "dot-call",
        `${r.label}.${name}(…) calls a method without its object`,
        `call it with ':': ${r.label}:${name}(…)`,
      );
      return;
    }
    arity(ctx, c, shown, sig, args.slice(1));
    return;
  }
  arity(ctx, c, shown, sig, args);
}

/** The functions of Hook whose first argument is a point. */
const HOOK_POINT_FUNCTIONS = new Set(["register", "list", "clear"]);

/** `Hook.register("BeforeToolExecuton", …)`: the point named is one there is. */
function checkHookPoint(ctx: Context, point: Expression | undefined): void {
  if (point?.type !== "StringLiteral") return;
  const name = literalText(ctx, point);
  if (name === undefined || name in HOOK_POINTS) return;
  const near = suggest(name, Object.keys(HOOK_POINTS));
  ctx.report(
    point,
    "error",
    "hook-point",
    `unknown hook point '${name}'`,
    near ? `did you mean '${near}'?` : `the points: ${Object.keys(HOOK_POINTS).join(", ")}`,
  );
}

function arity(ctx: Context, c: Call, shown: string, sig: Signature, args: Expression[]): void {
  const multi = isMultiValue(args[args.length - 1]);
  const fixed = multi ? args.length - 1 : args.length;
  const plural = (n: number) => `${n} argument${n === 1 ? "" : "s"}`;
  if (!multi && args.length < sig.min) {
    ctx.report(
      c,
      "error",
      "argument-count",
      `${shown} needs ${sig.min === sig.max ? "" : "at least "}${
        plural(sig.min)
      }, got ${args.length}`,
      usage(shown, sig),
    );
  } else if (fixed > sig.max) {
    ctx.report(
      c,
      "warning",
      "argument-count",
      `${shown} takes ${sig.min === sig.max ? "" : "at most "}${
        plural(sig.max)
      }, got ${fixed} (the rest are ignored)`,
      usage(shown, sig),
    );
  }
}

/** The signature under the name the script used: `agent:execute(input)`. */
function usage(shown: string, sig: Signature): string {
  return shown + sig.text.slice(sig.text.indexOf("("));
}
