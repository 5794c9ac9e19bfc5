/**
 * The checks that need the syntax tree and its scopes: undefined and misplaced globals,
 * unused and shadowing locals, assignments to `<const>` locals, and, through api_check.ts
 * and patterns.ts, the llmspell API and the common mistakes.
 *
 * @module
 */
import type {
  Call,
  Chunk,
  Expression,
  FunctionNode,
  Identifier,
  IndexExpression,
  MemberExpression,
  Statement,
} from "./ast.ts";
import { callArguments, forEachNode } from "./ast.ts";
import type { DiagnosticCode, Finding, Severity } from "./diagnostic.ts";
import type { Attrib } from "./parse.ts";
import { Scope, type Variable, type VariableKind } from "./scope.ts";
import { KNOWN_GLOBALS, REPLACED_GLOBALS, UNRESTRICTED_ONLY } from "./catalog.ts";
import { checkCall, checkMember, sandboxed, typeOf } from "./api_check.ts";
import {
  checkBinary,
  checkIterator,
  checkNumericFor,
  checkStringIndex,
  checkTable,
  valueKind,
} from "./patterns.ts";
import { suggest } from "../suggest.ts";

/** How a global is used where it is read: calling or indexing nil fails at once. */
type Usage = "call" | "index" | "value";

interface GlobalRead {
  node: Identifier;
  usage: Usage;
  visible: string[];
}

/** What the checks of api_check.ts and patterns.ts see of the analysis. */
export interface Context {
  source: string;
  report(
    at: { loc: { start: { line: number; column: number } } },
    severity: Severity,
    code: DiagnosticCode,
    message: string,
    hint?: string | null,
  ): void;
  /** The local `name` refers to here, if any. */
  local(name: string): Variable | undefined;
  /** Names of the Lua tools the script registers (`Tool.register("name", …)`). */
  registeredTools: Set<string>;
  /** `T.name` the script defines on a global table (`function string.trim(s) … end`). */
  definedFields: Set<string>;
  /** The script runs in the safe sandbox, without UNRESTRICTED_ONLY (catalog.ts). */
  safe: boolean;
}

export interface AnalyzeOptions {
  /** Names the script declares defined elsewhere (directives.ts). */
  globals?: ReadonlySet<string>;
  /** security_level = "safe": what the sandbox leaves out is an error. */
  safe?: boolean;
}

export function analyze(
  chunk: Chunk,
  source: string,
  attribs: Map<number, Attrib>,
  options: AnalyzeOptions = {},
): Finding[] {
  return new Analyzer(source, attribs, options.globals ?? new Set(), options.safe ?? false)
    .run(chunk);
}

class Analyzer implements Context {
  readonly findings: Finding[] = [];
  readonly registeredTools = new Set<string>();
  readonly definedFields = new Set<string>();
  /** Where each local name is declared, for an undefined global that is one out of scope. */
  #declared = new Map<string, number>();
  /** The script runs other code (dofile, load…), which may define globals. */
  #runsCode = false;
  #scope = new Scope(null, 0);
  #reads: GlobalRead[] = [];
  /** Global names assigned anywhere, and whether at the chunk's top level. */
  #writes = new Map<string, { topLevel: boolean; inFunction: Identifier[] }>();

  constructor(
    readonly source: string,
    readonly attribs: Map<number, Attrib>,
    readonly declaredGlobals: ReadonlySet<string>,
    readonly safe: boolean,
  ) {}

  run(chunk: Chunk): Finding[] {
    this.#collectTools();
    this.#collectDefinitions(chunk);
    this.#block(chunk.body);
    this.#closeScope(this.#scope);
    this.#globals();
    return this.findings;
  }

  report(
    at: { loc: { start: { line: number; column: number } } },
    severity: Severity,
    code: DiagnosticCode,
    message: string,
    hint: string | null = null,
  ): void {
    const { line, column } = at.loc.start;
    this.findings.push({ line, column: column + 1, severity, code, message, hint });
  }

  local(name: string): Variable | undefined {
    return this.#scope.lookup(name);
  }

  // Scopes ---------------------------------------------------------------------------------

  #open(newFunction = false): void {
    this.#scope = new Scope(this.#scope, this.#scope.functionDepth + (newFunction ? 1 : 0));
  }

  #close(): void {
    const s = this.#scope;
    this.#closeScope(s);
    this.#scope = s.parent!;
  }

  #closeScope(s: Scope): void {
    for (const v of s.vars.values()) {
      const quiet = v.name.startsWith("_") || v.attrib === "close";
      if (v.reads === 0 && !quiet && (v.kind === "local" || v.kind === "function")) {
        const what = v.kind === "function" ? "function" : "local";
        this.report(
          v.node,
          "warning",
          "unused-local",
          `unused ${what} '${v.name}'`,
          `remove it, or name it _${v.name}`,
        );
      }
      if (v.list && !v.zeroAssigned) {
        for (const at of v.zeroReads) {
          this.report(
            at,
            "warning",
            "zero-index",
            `${v.name}[0] is nil: '${v.name}' is a list, and Lua lists start at 1`,
            `the first item is ${v.name}[1]`,
          );
        }
      }
    }
  }

  #declare(node: Identifier, kind: VariableKind, init?: Expression): Variable {
    const name = node.name;
    const outer = this.#scope.lookup(name);
    if (outer && !name.startsWith("_") && kind !== "self" && outer.kind !== "self") {
      const where = outer.node.loc.start.line;
      this.report(
        node,
        "warning",
        "shadowing",
        this.#scope.vars.has(name)
          ? `local '${name}' is declared again (first on line ${where})`
          : `local '${name}' shadows the one declared on line ${where}`,
        "give it another name",
      );
    }
    const v: Variable = {
      name,
      node,
      kind,
      attrib: this.attribs.get(node.range[0]),
      reads: 0,
      type: init ? typeOf(this, init) : undefined,
      holds: valueKind(init),
      list: init?.type === "TableConstructorExpression" &&
        init.fields.some((f) => f.type === "TableValue"),
      zeroAssigned: false,
      zeroReads: [],
    };
    this.#scope.vars.set(name, v);
    if (!this.#declared.has(name)) this.#declared.set(name, node.loc.start.line);
    return v;
  }

  // Statements -----------------------------------------------------------------------------

  #block(body: Statement[]): void {
    for (const s of body) this.#statement(s);
  }

  #scoped(body: Statement[]): void {
    this.#open();
    this.#block(body);
    this.#close();
  }

  #statement(s: Statement): void {
    switch (s.type) {
      case "LocalStatement": {
        s.init.forEach((e) => this.#expr(e));
        s.variables.forEach((v, i) => this.#declare(v, "local", s.init[i]));
        return;
      }
      case "AssignmentStatement": {
        s.init.forEach((e) => this.#expr(e));
        s.variables.forEach((target, i) => this.#assign(target, s.init[i]));
        return;
      }
      case "CallStatement":
        return this.#expr(s.expression);
      case "FunctionDeclaration":
        return this.#functionStatement(s);
      case "ReturnStatement":
        return s.arguments.forEach((e) => this.#expr(e));
      case "IfStatement":
        for (const c of s.clauses) {
          if (c.condition) this.#expr(c.condition);
          this.#scoped(c.body);
        }
        return;
      case "WhileStatement":
        this.#expr(s.condition);
        return this.#scoped(s.body);
      case "DoStatement":
        return this.#scoped(s.body);
      case "RepeatStatement":
        // The condition sees the body's locals.
        this.#open();
        this.#block(s.body);
        this.#expr(s.condition);
        return this.#close();
      case "ForNumericStatement":
        checkNumericFor(this, s);
        [s.start, s.end, s.step].forEach((e) => e && this.#expr(e));
        this.#open();
        this.#declare(s.variable, "loop");
        this.#block(s.body);
        return this.#close();
      case "ForGenericStatement":
        checkIterator(this, s);
        s.iterators.forEach((e) => this.#expr(e));
        this.#open();
        s.variables.forEach((v) => this.#declare(v, "loop"));
        this.#block(s.body);
        return this.#close();
      case "LabelStatement":
      case "GotoStatement":
      case "BreakStatement":
        return;
    }
  }

  #functionStatement(f: FunctionNode): void {
    const id = f.identifier;
    if (f.isLocal && id?.type === "Identifier") {
      // Declared before its body, so that it can call itself.
      this.#declare(id, "function");
    } else if (id?.type === "Identifier") {
      this.#assign(id, undefined);
    } else if (id) {
      this.#expr(id.base, "index");
    }
    this.#function(f, id?.type === "MemberExpression" && id.indexer === ":");
  }

  #function(f: FunctionNode, method: boolean): void {
    this.#open(true);
    if (method) {
      const self: Identifier = { ...f.identifier!, type: "Identifier", name: "self" };
      this.#declare(self, "self");
    }
    for (const p of f.parameters) if (p.type === "Identifier") this.#declare(p, "parameter");
    this.#block(f.body);
    this.#close();
  }

  #assign(target: Identifier | MemberExpression | IndexExpression, value?: Expression): void {
    if (target.type === "Identifier") {
      const v = this.#scope.lookup(target.name);
      if (v) {
        if (v.attrib) {
          this.report(
            target,
            "error",
            "const-assign",
            `attempt to assign to const variable '${v.name}'`,
            `it is declared <${v.attrib}> on line ${v.node.loc.start.line}`,
          );
        }
        // What is known of a local holds only where it is sure: an assignment in a nested
        // block (a branch, a loop) may not run, so there the old and new must agree.
        const type = value ? typeOf(this, value) : undefined;
        const holds = valueKind(value);
        const list = value?.type === "TableConstructorExpression" &&
          value.fields.some((f) => f.type === "TableValue");
        const sure = this.#scope.vars.get(v.name) === v;
        v.type = sure || type === v.type ? type : undefined;
        v.holds = sure || holds === v.holds ? holds : undefined;
        v.list = (sure || list === v.list) && list;
        return;
      }
      const w = this.#writes.get(target.name) ?? { topLevel: false, inFunction: [] };
      if (this.#scope.functionDepth === 0) w.topLevel = true;
      else w.inFunction.push(target);
      this.#writes.set(target.name, w);
      return;
    }
    if (
      target.type === "IndexExpression" && isZero(target.index) && target.base.type === "Identifier"
    ) {
      const v = this.#scope.lookup(target.base.name);
      if (v) v.zeroAssigned = true;
    }
    if (target.type === "MemberExpression") this.#expr(target.base, "index");
    else {
      this.#expr(target.base, "index");
      this.#expr(target.index);
    }
  }

  // Expressions ----------------------------------------------------------------------------

  #expr(e: Expression, usage: Usage = "value"): void {
    switch (e.type) {
      case "Identifier": {
        const v = this.#scope.lookup(e.name);
        if (v) v.reads++;
        else this.#reads.push({ node: e, usage, visible: this.#scope.visible() });
        return;
      }
      case "FunctionDeclaration":
        return this.#function(e, false);
      case "TableConstructorExpression":
        checkTable(this, e);
        for (const f of e.fields) {
          if (f.type === "TableKey") this.#expr(f.key);
          this.#expr(f.value);
        }
        return;
      case "BinaryExpression":
      case "LogicalExpression":
        checkBinary(this, e);
        this.#expr(e.left);
        return this.#expr(e.right);
      case "UnaryExpression":
        return this.#expr(e.argument);
      case "MemberExpression":
        this.#expr(e.base, "index");
        return checkMember(this, e, false);
      case "IndexExpression":
        this.#expr(e.base, "index");
        this.#expr(e.index);
        if (isZero(e.index) && e.base.type === "Identifier") {
          this.#scope.lookup(e.base.name)?.zeroReads.push(e.base);
        }
        checkStringIndex(this, e);
        return;
      case "CallExpression":
      case "TableCallExpression":
      case "StringCallExpression":
        return this.#call(e);
      default:
        return;
    }
  }

  #call(c: Call): void {
    if (c.base.type === "MemberExpression") {
      this.#expr(c.base.base, "index");
      checkMember(this, c.base, true);
    } else {
      this.#expr(c.base, "call");
    }
    callArguments(c).forEach((a) => this.#expr(a));
    checkCall(this, c);
  }

  // Globals --------------------------------------------------------------------------------

  #globals(): void {
    const known = new Set([...KNOWN_GLOBALS, ...this.declaredGlobals]);
    const defined = [...this.#writes.keys()];
    const seen = new Set<string>();
    for (const r of this.#reads) {
      const name = r.node.name;
      if (this.#writes.has(name) || this.declaredGlobals.has(name)) continue;
      if (this.safe && UNRESTRICTED_ONLY.includes(name)) {
        if (!seen.has(name)) sandboxed(this, r.node, name);
        seen.add(name);
        continue;
      }
      if (known.has(name)) continue;
      const key = `${name}:${r.usage === "value" ? "v" : "u"}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const replaced = REPLACED_GLOBALS[name];
      // One or two letters are too short to guess from, and an upper-case name is a flag
      // the script expects from elsewhere, not a misspelt standard name.
      const near = name.length > 2 && name !== name.toUpperCase()
        ? suggest(name, [...r.visible, ...KNOWN_GLOBALS, ...defined])
        : undefined;
      const local = this.#declared.get(name);
      const hint = local !== undefined
        ? `a local '${name}' is declared on line ${local}, but it is not in scope here: declare it before this use, in an enclosing block`
        : replaced
        ? `Lua 5.4 has ${replaced}`
        : near
        ? `did you mean '${near}'?`
        : null;
      const fails = r.usage === "value"
        ? "it is nil"
        : `${r.usage === "call" ? "calling" : "indexing"} it fails${
          this.#runsCode ? " unless the code this script runs with dofile or load defines it" : ""
        }`;
      this.report(
        r.node,
        r.usage === "value" || this.#runsCode ? "warning" : "error",
        "undefined-global",
        `undefined global '${name}' (${fails})`,
        hint ?? "define it, or declare it local",
      );
    }
    for (const [name, w] of this.#writes) {
      if (w.topLevel || known.has(name) || name.startsWith("_") || w.inFunction.length === 0) {
        continue;
      }
      this.report(
        w.inFunction[0],
        "warning",
        "global-in-function",
        `global '${name}' is set inside a function and nowhere at the top level`,
        `declare it local, or set it at the script's top level if it is meant to be global`,
      );
    }
  }

  /**
   * Before the walk, because a use may come before its definition: fields the script puts
   * on global tables (`T.name = …`, `function T.name() … end`), globals it sets through
   * `_G`, and whether it runs code (dofile, loadfile, load) that may define globals.
   */
  #collectDefinitions(chunk: Chunk): void {
    const define = (target: Expression) => {
      if (target.type !== "MemberExpression" || target.base.type !== "Identifier") return;
      const base = target.base.name;
      const name = target.identifier.name;
      if (base === "_G") {
        const w = this.#writes.get(name) ?? { topLevel: true, inFunction: [] };
        w.topLevel = true;
        this.#writes.set(name, w);
      } else this.definedFields.add(`${base}.${name}`);
    };
    forEachNode(chunk, (n) => {
      const node = n as Statement | Expression;
      if (node.type === "AssignmentStatement") node.variables.forEach(define);
      else if (node.type === "FunctionDeclaration" && node.identifier) define(node.identifier);
      else if (node.type === "Identifier" && RUNS_CODE.has(node.name)) this.#runsCode = true;
    });
  }

  /** `Tool.register("name", …)` anywhere: those tools exist as `Tool.name`. */
  #collectTools(): void {
    const re = /\bTool\s*\.\s*register\s*\(\s*(["'])([\w-]+)\1/g;
    for (const m of this.source.matchAll(re)) this.registeredTools.add(m[2]);
  }
}

const RUNS_CODE = new Set(["dofile", "loadfile", "load"]);

function isZero(e: Expression): boolean {
  return e.type === "NumericLiteral" && e.value === 0;
}
