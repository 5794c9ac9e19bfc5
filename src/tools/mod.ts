/**
 * Tools on the main thread, loaded at the first `Tool` call: the built-in catalog, the
 * schemas of tools a script registered (their functions stay in Lua), parameter validation
 * and running a built-in tool.
 *
 * @module
 */
import { BUILT_IN_TOOLS, builtInTool } from "./catalog.ts";
import { problems } from "./validate.ts";
import { type Json, type JsonObject, type ToolContext, ToolError } from "./types.ts";

export { ToolError };
export type { Json, JsonObject, ToolContext };

/** A tool as `Tool.get` shows it. */
export interface ToolInfo {
  name: string;
  description: string;
  category: string;
  parameters: JsonObject;
  source: "builtin" | "lua";
}

/** Tools registered by a script: their descriptions and schemas. */
export class ToolRegistry {
  readonly #lua = new Map<string, ToolInfo>();
  readonly #enabled: Set<string> | undefined;

  /** `enabled`: `[tools] enabled`, the built-in tools scripts may use (undefined = all). */
  constructor(enabled?: string[]) {
    this.#enabled = enabled ? new Set(enabled) : undefined;
  }

  register(info: Omit<ToolInfo, "source">): void {
    if (!/^[A-Za-z_][A-Za-z0-9_-]{0,63}$/.test(info.name)) {
      throw new ToolError(
        `Tool.register: '${info.name}' is not a valid tool name (letters, digits, _ and -, at most 64)`,
      );
    }
    if (this.#builtIn(info.name)) {
      throw new ToolError(`Tool.register: '${info.name}' is a built-in tool`);
    }
    this.#lua.set(info.name, { ...info, source: "lua" });
  }

  #builtIn(name: string) {
    const t = builtInTool(name);
    return t && (!this.#enabled || this.#enabled.has(name)) ? t : undefined;
  }

  get(name: string): ToolInfo | undefined {
    const lua = this.#lua.get(name);
    if (lua) return lua;
    const t = this.#builtIn(name);
    if (!t) return undefined;
    return {
      name: t.name,
      description: t.description,
      category: t.category,
      parameters: t.parameters,
      source: "builtin",
    };
  }

  names(): string[] {
    const builtIn = BUILT_IN_TOOLS.map((t) => t.name).filter((n) => this.#builtIn(n));
    return [...new Set([...builtIn, ...this.#lua.keys()])].sort();
  }

  all(): ToolInfo[] {
    return this.names().map((n) => this.get(n)!);
  }

  /** Throws a ToolError naming every problem of `params`. */
  validate(name: string, params: Json): ToolInfo {
    const info = this.get(name);
    if (!info) throw new ToolError(`no tool named '${name}' (Tool.list() shows them)`);
    const found = problems(info.parameters, params);
    if (found.length > 0) {
      throw new ToolError(`tool '${name}': invalid parameters: ${found.join("; ")}`);
    }
    return info;
  }

  /** Validates and runs a built-in tool. */
  async invoke(name: string, params: Json, ctx: (name: string) => ToolContext): Promise<Json> {
    const info = this.validate(name, params);
    if (info.source !== "builtin") {
      throw new ToolError(`tool '${name}' is a Lua function: call it from Lua`);
    }
    const { run } = await builtInTool(name)!.load();
    try {
      return await run(params as JsonObject, ctx(name));
    } catch (e) {
      if (e instanceof ToolError) throw e;
      throw new ToolError(`tool '${name}': ${e instanceof Error ? e.message : e}`);
    }
  }
}
