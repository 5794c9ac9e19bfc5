/**
 * What a built-in tool is (src/tools/): a name, a description, a category, a JSON schema for
 * its parameters, and an implementation loaded at its first use.
 *
 * @module
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** What a tool's run can reach. */
export interface ToolContext {
  /** The absolute path for a path the tool was given, or throws (outside the sandbox). */
  checkPath(p: string): string;
  securityLevel: "safe" | "unrestricted";
  /** `[tools.<name>]` of this tool. */
  settings: Record<string, unknown>;
  /** Aborted when the script is interrupted. */
  signal: AbortSignal;
  env: (name: string) => string | undefined;
}

export type ToolRun = (params: JsonObject, ctx: ToolContext) => Json | Promise<Json>;

export interface ToolSpec {
  name: string;
  description: string;
  category: string;
  parameters: JsonObject;
  load(): Promise<{ run: ToolRun }>;
}

/** A failure of a tool with a message meant for the script (and the model), and what to do. */
export class ToolError extends Error {
  constructor(message: string, readonly hint?: string) {
    super(message);
  }
}
