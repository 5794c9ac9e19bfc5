/**
 * The shapes of luaparse's syntax tree (0.3, with `locations` and `ranges`), as far as the
 * validator reads them. luaparse ships no types, and @types/luaparse describes 0.2.
 *
 * @module
 */

export interface Position {
  line: number;
  /** 0-based, in UTF-16 code units of the decoded source. */
  column: number;
}

interface Base {
  loc: { start: Position; end: Position };
  range: [number, number];
}

export interface Identifier extends Base {
  type: "Identifier";
  name: string;
}
/** Its text is read from the source by its range: parse.ts may have rewritten what luaparse saw. */
export interface StringLiteral extends Base {
  type: "StringLiteral";
}
export interface NumericLiteral extends Base {
  type: "NumericLiteral";
  value: number;
  raw: string;
}
export interface OtherLiteral extends Base {
  type: "BooleanLiteral" | "NilLiteral" | "VarargLiteral";
  raw: string;
}
export interface FunctionNode extends Base {
  type: "FunctionDeclaration";
  identifier: Identifier | MemberExpression | null;
  isLocal: boolean;
  parameters: (Identifier | OtherLiteral)[];
  body: Statement[];
}
export interface TableConstructor extends Base {
  type: "TableConstructorExpression";
  fields: TableField[];
}
export type TableField =
  | (Base & { type: "TableKey"; key: Expression; value: Expression })
  | (Base & { type: "TableKeyString"; key: Identifier; value: Expression })
  | (Base & { type: "TableValue"; value: Expression });
export interface BinaryExpression extends Base {
  type: "BinaryExpression" | "LogicalExpression";
  operator: string;
  left: Expression;
  right: Expression;
}
export interface UnaryExpression extends Base {
  type: "UnaryExpression";
  operator: string;
  argument: Expression;
}
export interface MemberExpression extends Base {
  type: "MemberExpression";
  indexer: "." | ":";
  identifier: Identifier;
  base: Expression;
}
export interface IndexExpression extends Base {
  type: "IndexExpression";
  base: Expression;
  index: Expression;
}
export interface CallExpression extends Base {
  type: "CallExpression";
  base: Expression;
  arguments: Expression[];
}
export interface TableCallExpression extends Base {
  type: "TableCallExpression";
  base: Expression;
  arguments: TableConstructor;
}
export interface StringCallExpression extends Base {
  type: "StringCallExpression";
  base: Expression;
  argument: StringLiteral;
}
export type Call = CallExpression | TableCallExpression | StringCallExpression;

export type Expression =
  | Identifier
  | StringLiteral
  | NumericLiteral
  | OtherLiteral
  | FunctionNode
  | TableConstructor
  | BinaryExpression
  | UnaryExpression
  | MemberExpression
  | IndexExpression
  | Call;

export interface IfClause extends Base {
  type: "IfClause" | "ElseifClause" | "ElseClause";
  condition?: Expression;
  body: Statement[];
}

export type Statement =
  | (Base & { type: "LabelStatement"; label: Identifier })
  | (Base & { type: "GotoStatement"; label: Identifier })
  | (Base & { type: "BreakStatement" })
  | (Base & { type: "ReturnStatement"; arguments: Expression[] })
  | (Base & { type: "IfStatement"; clauses: IfClause[] })
  | (Base & { type: "WhileStatement"; condition: Expression; body: Statement[] })
  | (Base & { type: "DoStatement"; body: Statement[] })
  | (Base & { type: "RepeatStatement"; condition: Expression; body: Statement[] })
  | (Base & { type: "LocalStatement"; variables: Identifier[]; init: Expression[] })
  | (Base & {
    type: "AssignmentStatement";
    variables: (Identifier | MemberExpression | IndexExpression)[];
    init: Expression[];
  })
  | (Base & { type: "CallStatement"; expression: Call })
  | FunctionNode
  | (Base & {
    type: "ForNumericStatement";
    variable: Identifier;
    start: Expression;
    end: Expression;
    step: Expression | null;
    body: Statement[];
  })
  | (Base & {
    type: "ForGenericStatement";
    variables: Identifier[];
    iterators: Expression[];
    body: Statement[];
  });

export interface Comment extends Base {
  type: "Comment";
  /** The text after `--` (or inside `--[[ ]]`). */
  value: string;
}

export interface Chunk {
  type: "Chunk";
  body: Statement[];
  comments: Comment[];
}

/** A call's arguments as a list, whatever its syntax (`f(a)`, `f{…}`, `f"…"`). */
export function callArguments(call: Call): Expression[] {
  if (call.type === "CallExpression") return call.arguments;
  if (call.type === "TableCallExpression") return [call.arguments];
  return [call.argument];
}

/** Whether the value of `e` may be several values (a call or `...` last in a list). */
export function isMultiValue(e: Expression | undefined): boolean {
  return e !== undefined &&
    (e.type === "CallExpression" || e.type === "TableCallExpression" ||
      e.type === "StringCallExpression" || e.type === "VarargLiteral");
}

/** Calls `visit` on every node under `node` (itself included), in no particular order. */
export function forEachNode(node: unknown, visit: (n: { type: string }) => void): void {
  if (Array.isArray(node)) {
    for (const n of node) forEachNode(n, visit);
    return;
  }
  if (
    typeof node !== "object" || node === null ||
    typeof (node as { type?: unknown }).type !== "string"
  ) {
    return;
  }
  visit(node as { type: string });
  for (const [key, value] of Object.entries(node)) {
    if (key !== "loc" && key !== "range" && typeof value === "object") forEachNode(value, visit);
  }
}
