/**
 * `llmspell tool list | info | invoke`: the built-in tools from the command line, with the
 * same validation, settings (`[tools]`) and sandbox (`[runtime.security]`,
 * `security_level`) as in a script.
 */
import { Command } from "commander";
import * as path from "../path.ts";
import { LlmspellError, usageError } from "../errors.ts";
import { PathPolicy } from "../engine/shared/path_policy.ts";
import type { Json } from "../tools/types.ts";
import type { CliContext } from "./context.ts";
import { writeOut } from "../frontend/output.ts";
import { printData } from "../frontend/print.ts";
import { contextOf, example, withGlobalOptions } from "./command.ts";
import { configFor } from "./load_config.ts";
import { llmOptions } from "./script.ts";

async function registry(ctx: CliContext) {
  const { ToolRegistry } = await import("../tools/mod.ts");
  const { config } = await configFor(ctx);
  return { tools: new ToolRegistry(config.tools.enabled), config };
}

function notFound(name: string): LlmspellError {
  return new LlmspellError({
    code: "tool_not_found",
    message: `no tool named '${name}'`,
    hint: "llmspell tool list shows them",
  });
}

export function registerToolCommands(program: Command): void {
  const tool = withGlobalOptions(
    new Command("tool").description("list, describe and run the built-in tools"),
  );
  example(
    tool,
    "llmspell tool list",
    "llmspell tool info calculator",
    `llmspell tool invoke calculator '{"expression": "2 * (3 + 4)"}'`,
  );

  const list = withGlobalOptions(
    new Command("list")
      .description("list the built-in tools (name, category, description)")
      .option("--category <name>", "only this category"),
  );
  example(list, "llmspell tool list", "llmspell tool list --category data --output json");
  list.action(async (opts: { category?: string }, cmd: Command) => {
    const ctx = contextOf(cmd);
    const { tools } = await registry(ctx);
    const all = tools.all().filter((t) => !opts.category || t.category === opts.category);
    printData(
      ctx,
      all.map(({ name, category, description }) => ({ name, category, description })),
      () => {
        const w = Math.max(...all.map((t) => t.name.length), 4);
        const c = Math.max(...all.map((t) => t.category.length), 8);
        return all.map((t) =>
          `${t.name.padEnd(w)}  ${t.category.padEnd(c)}  ${t.description.split(/(?<=\.) /)[0]}`
        ).join("\n");
      },
    );
  });
  tool.addCommand(list);

  const info = withGlobalOptions(
    new Command("info")
      .description("describe a tool: its description and parameter schema")
      .argument("<name>", "the tool"),
  );
  example(info, "llmspell tool info calculator", "llmspell tool info http_request --output json");
  info.action(async (name: string, _opts: unknown, cmd: Command) => {
    const ctx = contextOf(cmd);
    const { tools } = await registry(ctx);
    const t = tools.get(name);
    if (!t) throw notFound(name);
    printData(
      ctx,
      t,
      () =>
        `${t.name} (${t.category})\n${t.description}\n\nparameters:\n${
          JSON.stringify(t.parameters, null, 2)
        }`,
    );
  });
  tool.addCommand(info);

  const invoke = withGlobalOptions(
    new Command("invoke")
      .description("run a tool with parameters given as a JSON object; prints its result")
      .argument("<name>", "the tool")
      .argument("[json]", "the parameters, a JSON object", "{}"),
  );
  example(
    invoke,
    `llmspell tool invoke calculator '{"expression": "sqrt(2)"}'`,
    `llmspell tool invoke hash_calculator '{"input": "abc", "algorithm": "md5"}'`,
  );
  invoke.action(async (name: string, json: string, _opts: unknown, cmd: Command) => {
    const ctx = contextOf(cmd);
    let params: Json;
    try {
      params = JSON.parse(json);
    } catch (e) {
      throw usageError(
        `the parameters are not JSON: ${e instanceof Error ? e.message : e}`,
        `llmspell tool info ${name} shows them`,
      );
    }
    const { tools, config } = await registry(ctx);
    if (!tools.get(name)) throw notFound(name);
    const { ToolError } = await import("../tools/mod.ts");
    const policy = new PathPolicy({
      cwd: ctx.cwd,
      securityLevel: config.engines.lua.security_level,
      allowedPaths: config.runtime.security.allowed_paths.map((p) => path.resolve(ctx.cwd, p)),
    });
    const settings = llmOptions(config).toolSettings;
    let result: Json;
    try {
      result = await tools.invoke(name, params, (t) => ({
        checkPath: (p) => policy.check(p),
        securityLevel: config.engines.lua.security_level,
        settings: settings[t] ?? {},
        signal: new AbortController().signal,
        env: (n) => ctx.env[n],
      }));
    } catch (e) {
      if (e instanceof ToolError) {
        throw new LlmspellError({
          code: "tool_failed",
          message: e.message,
          hint: e.hint ?? `llmspell tool info ${name} shows its parameters`,
        });
      }
      throw e;
    }
    if (ctx.output === "text") writeOut(JSON.stringify(result, null, 2) + "\n");
    else printData(ctx, result, () => "");
  });
  tool.addCommand(invoke);

  program.addCommand(tool);
}
