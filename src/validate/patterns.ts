/**
 * Common mistakes that are valid Lua but almost never meant, each with a hint. The syntax
 * errors that are habits from other languages (`!=`, `+=`, `//` comments, `continue`) are
 * in parse.ts; `.` against `:` and argument counts in api_check.ts; `t[0]` on a list in
 * analyze.ts (it needs the whole scope).
 *
 * @module
 */
import type {
  BinaryExpression,
  Call,
  Expression,
  IndexExpression,
  Statement,
  StringLiteral,
  TableConstructor,
} from "./ast.ts";
import { isMultiValue } from "./ast.ts";
import type { Context } from "./analyze.ts";

const ARITHMETIC = new Set(["+", "-", "*", "/", "//", "%", "^"]);
const COMPARISON = new Set(["==", "~=", "<", ">", "<=", ">="]);

/**
 * A string literal as written (from the source: parse.ts may have rewritten a literal the
 * parser saw).
 */
function written(ctx: Context, s: StringLiteral): string {
  return ctx.source.slice(s.range[0], s.range[1]);
}

/** The text of a string literal, or undefined for a short one with escapes. */
export function literalText(ctx: Context, s: StringLiteral): string | undefined {
  const raw = written(ctx, s);
  if (raw.startsWith("[")) return raw.replace(/^\[=*\[\n?/, "").replace(/\]=*\]$/, "");
  if (raw.includes("\\")) return undefined;
  return raw.slice(1, -1);
}

const NUMERAL = /^\s*[-+]?(0[xX][\da-fA-F.]+([pP][-+]?\d+)?|(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?)\s*$/;

export function checkBinary(ctx: Context, e: BinaryExpression): void {
  if (ARITHMETIC.has(e.operator)) {
    for (const side of [e.left, e.right]) {
      if (side.type !== "StringLiteral") continue;
      const value = literalText(ctx, side);
      if (value === undefined || NUMERAL.test(value)) continue; // "10" + 1 is 11
      const shown = written(ctx, side);
      ctx.report(
        side,
        "error",
        "string-arithmetic",
        `arithmetic '${e.operator}' on the string ${
          shown.length > 30 ? shown.slice(0, 27) + "..." : shown
        }, which is not a number`,
        e.operator === "+" ? "Lua joins strings with .., as in a .. b" : null,
      );
      return;
    }
  }
  if (
    COMPARISON.has(e.operator) && e.left.type === "UnaryExpression" && e.left.operator === "not"
  ) {
    // `(not x) == y` written with its parentheses is meant.
    if (ctx.source.slice(e.range[0], e.left.range[0]).includes("(")) return;
    const x = ctx.source.slice(e.left.argument.range[0], e.left.argument.range[1]);
    const y = ctx.source.slice(e.right.range[0], e.right.range[1]);
    ctx.report(
      e.left,
      "warning",
      "not-precedence",
      `'not' applies to ${x} alone: this compares (not ${x}) ${e.operator} ${y}`,
      e.operator === "=="
        ? `write ${x} ~= ${y}, or not (${x} == ${y})`
        : `write not (${x} ${e.operator} ${y})`,
    );
  }
}

/** `for i = 0, #t`: Lua lists start at 1. */
export function checkNumericFor(
  ctx: Context,
  s: Extract<Statement, { type: "ForNumericStatement" }>,
): void {
  if (s.start.type !== "NumericLiteral" || s.start.value !== 0) return;
  if (s.end.type !== "UnaryExpression" || s.end.operator !== "#") return;
  if (s.step && !(s.step.type === "NumericLiteral" && s.step.value > 0)) return;
  const t = ctx.source.slice(s.end.argument.range[0], s.end.argument.range[1]);
  ctx.report(
    s.start,
    "warning",
    "zero-index",
    `the loop starts at 0 over #${t}: Lua lists start at 1, so ${t}[0] is nil`,
    `for ${s.variable.name} = 1, #${t} do`,
  );
}

/** A key given twice in one constructor: the first value is lost. */
export function checkTable(ctx: Context, t: TableConstructor): void {
  const seen = new Map<string, number>();
  for (const f of t.fields) {
    let key: string | undefined;
    if (f.type === "TableKeyString") key = f.key.name;
    else if (f.type === "TableKey" && f.key.type === "StringLiteral") key = literalText(ctx, f.key);
    if (key === undefined) continue;
    const first = seen.get(key);
    if (first !== undefined) {
      ctx.report(
        f,
        "warning",
        "duplicate-key",
        `key '${key}' is given twice in this table (first on line ${first}); the first value is lost`,
        "remove one of them",
      );
    } else seen.set(key, f.loc.start.line);
  }
}

/** `string.format("%s %d", x)`: as many values as the format asks for. */
export function checkFormat(
  ctx: Context,
  c: Call,
  format: StringLiteral,
  values: Expression[],
): void {
  const text = literalText(ctx, format);
  if (text === undefined) return;
  const wanted =
    [...text.matchAll(/%[-+ #0]*\d*(?:\.\d*)?([a-zA-Z%])/g)].filter((m) => m[1] !== "%")
      .length;
  const multi = isMultiValue(values[values.length - 1]);
  const given = values.length;
  if (given < wanted && !multi) {
    ctx.report(
      c,
      "error",
      "format-arguments",
      `the format asks for ${wanted} value${
        wanted === 1 ? "" : "s"
      }, ${given} given (bad argument #${given + 2} to 'format')`,
      "pass one value per % directive; write %% for a literal %",
    );
  } else if (given - (multi ? 1 : 0) > wanted) {
    ctx.report(
      c,
      "warning",
      "format-arguments",
      `the format asks for ${wanted} value${
        wanted === 1 ? "" : "s"
      }, ${given} given; the rest are ignored`,
      "add a % directive for each value",
    );
  }
}

/** What a literal value is, when the expression says so. */
export function valueKind(e: Expression | undefined): "table" | "string" | undefined {
  if (e?.type === "TableConstructorExpression") return "table";
  if (e?.type === "StringLiteral") return "string";
  if (e?.type === "BinaryExpression" && e.operator === "..") return "string";
  return undefined;
}

/** `for k, v in t do`: a table is not an iterator. */
export function checkIterator(
  ctx: Context,
  s: Extract<Statement, { type: "ForGenericStatement" }>,
): void {
  if (s.iterators.length !== 1) return;
  const it = s.iterators[0];
  const v = it.type === "Identifier" ? ctx.local(it.name) : undefined;
  if (it.type !== "TableConstructorExpression" && v?.holds !== "table") return;
  const t = ctx.source.slice(it.range[0], it.range[1]);
  const fn = v?.list || (it.type === "TableConstructorExpression" &&
      it.fields.every((f) => f.type === "TableValue"))
    ? "ipairs"
    : "pairs";
  ctx.report(
    it,
    "error",
    "missing-iterator",
    `for ... in ${t}: a table is not an iterator (calling it fails)`,
    `for ${s.variables.map((x) => x.name).join(", ")} in ${fn}(${t}) do`,
  );
}

/** `s[1]` on a string: strings are not indexed by position. */
export function checkStringIndex(ctx: Context, e: IndexExpression): void {
  if (e.index.type !== "NumericLiteral") return;
  const base = e.base;
  const isString = base.type === "StringLiteral" ||
    (base.type === "Identifier" && ctx.local(base.name)?.holds === "string");
  if (!isString) return;
  const s = ctx.source.slice(base.range[0], base.range[1]);
  // Positions start at 1 in strings too.
  const i = e.index.value === 0 ? "1" : e.index.raw;
  ctx.report(
    e,
    "warning",
    "string-index",
    `${s}[${e.index.raw}] is nil: a string is not indexed by position`,
    `${base.type === "Identifier" ? s : `(${s})`}:sub(${i}, ${i}) is the character`,
  );
}
