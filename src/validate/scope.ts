/**
 * Lexical scopes of a Lua chunk: which local a name refers to, and what is known of it.
 *
 * @module
 */
import type { Identifier } from "./ast.ts";
import type { Attrib } from "./parse.ts";

export type VariableKind = "local" | "function" | "parameter" | "loop" | "self";

export interface Variable {
  name: string;
  node: Identifier;
  kind: VariableKind;
  attrib?: Attrib;
  /** Reads, not counting assignments. */
  reads: number;
  /** The llmspell object type it holds (catalog.ts API_TYPES), while known. */
  type?: string;
  /** What it was last given, when a literal says: a table or a string. */
  holds?: "table" | "string";
  /** Made by a table constructor with list items, so `t[0]` is likely a mistake. */
  list: boolean;
  /** `t[0] = …` somewhere: the script uses index 0 on purpose. */
  zeroAssigned: boolean;
  /** Where `t[0]` is read. */
  zeroReads: Identifier[];
}

export class Scope {
  readonly vars = new Map<string, Variable>();
  constructor(readonly parent: Scope | null, readonly functionDepth: number) {}

  lookup(name: string): Variable | undefined {
    return this.vars.get(name) ?? this.parent?.lookup(name);
  }

  /** Every local name visible here, innermost first. */
  visible(): string[] {
    return [...this.vars.keys(), ...(this.parent?.visible() ?? [])];
  }
}
