/**
 * `calculator`: arithmetic parsed by jsep (a small, maintained expression parser) and
 * evaluated here over its syntax tree, so that nothing but numbers, operators, the listed
 * functions and given variables can run (no eval, no property access, no calls of anything
 * else).
 *
 * @module
 */
import jsep from "jsep";
import { type JsonObject, ToolError } from "./types.ts";

jsep.addBinaryOp("^", 11, true);

const FUNCTIONS: Record<string, (...a: number[]) => number> = {
  sqrt: Math.sqrt,
  cbrt: Math.cbrt,
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  asin: Math.asin,
  acos: Math.acos,
  atan: Math.atan,
  atan2: Math.atan2,
  log: Math.log,
  log10: Math.log10,
  log2: Math.log2,
  exp: Math.exp,
  abs: Math.abs,
  floor: Math.floor,
  ceil: Math.ceil,
  round: Math.round,
  trunc: Math.trunc,
  sign: Math.sign,
  min: Math.min,
  max: Math.max,
  pow: Math.pow,
};
const CONSTANTS: Record<string, number> = { pi: Math.PI, e: Math.E, PI: Math.PI, E: Math.E };

type Node = jsep.Expression;

function evaluate(n: Node, vars: Record<string, number>): number | boolean {
  switch (n.type) {
    case "Literal": {
      const v = (n as jsep.Literal).value;
      if (typeof v === "number" || typeof v === "boolean") return v;
      throw new ToolError(`calculator: only numbers are allowed, not ${JSON.stringify(v)}`);
    }
    case "Identifier": {
      const name = (n as jsep.Identifier).name;
      if (Object.hasOwn(vars, name)) return vars[name];
      if (Object.hasOwn(CONSTANTS, name)) return CONSTANTS[name];
      throw new ToolError(`calculator: unknown name '${name}'`);
    }
    case "UnaryExpression": {
      const u = n as jsep.UnaryExpression;
      const a = evaluate(u.argument, vars);
      if (u.operator === "-") return -a;
      if (u.operator === "+") return +a;
      if (u.operator === "!") return !a;
      break;
    }
    case "BinaryExpression": {
      const b = n as jsep.BinaryExpression;
      const x = Number(evaluate(b.left, vars));
      const y = Number(evaluate(b.right, vars));
      switch (b.operator) {
        case "+":
          return x + y;
        case "-":
          return x - y;
        case "*":
          return x * y;
        case "/":
          return x / y;
        case "%":
          return x % y;
        case "^":
        case "**":
          return x ** y;
        case "<":
          return x < y;
        case ">":
          return x > y;
        case "<=":
          return x <= y;
        case ">=":
          return x >= y;
        case "==":
        case "===":
          return x === y;
        case "!=":
        case "!==":
          return x !== y;
      }
      throw new ToolError(`calculator: operator '${b.operator}' is not supported`);
    }
    case "ConditionalExpression": {
      const c = n as jsep.ConditionalExpression;
      return evaluate(c.test, vars) ? evaluate(c.consequent, vars) : evaluate(c.alternate, vars);
    }
    case "CallExpression": {
      const c = n as jsep.CallExpression;
      const callee = c.callee.type === "Identifier" ? (c.callee as jsep.Identifier).name : "";
      const f = Object.hasOwn(FUNCTIONS, callee) ? FUNCTIONS[callee] : undefined;
      if (!f) throw new ToolError(`calculator: unknown function '${callee || "?"}'`);
      return f(...c.arguments.map((a) => Number(evaluate(a, vars))));
    }
  }
  throw new ToolError(`calculator: ${n.type} is not allowed in an expression`);
}

export function run(params: JsonObject): JsonObject {
  const expression = String(params.expression);
  let tree: Node;
  try {
    tree = jsep(expression);
  } catch (e) {
    throw new ToolError(`calculator: ${e instanceof Error ? e.message : e}`);
  }
  const vars: Record<string, number> = {};
  for (const [k, v] of Object.entries((params.variables ?? {}) as JsonObject)) vars[k] = Number(v);
  const result = evaluate(tree, vars);
  if (typeof result === "number" && !Number.isFinite(result)) {
    return { expression, result: String(result) };
  }
  return { expression, result };
}
