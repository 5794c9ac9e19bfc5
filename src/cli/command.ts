/**
 * Shared pieces of every command: the global flags, help examples, the context built from
 * the flags, and the exit code an action sets.
 */
import { type Command, Option } from "commander";
import { ExitCode } from "../errors.ts";
import { TRACE_LEVELS, type TraceLevel } from "../telemetry/log.ts";
import { type CliContext, contextFrom } from "./context.ts";
import type { GlobalOptions } from "./argv.ts";
import { ARGV_TABLE } from "./argv_table.ts";
import { OUTPUT_FORMATS, type OutputFormat } from "../frontend/output.ts";

/**
 * Adds the global flags to a command; every command accepts them, before or after its args.
 * The fast exec/run path reads them from here too (scripts/gen_argv_table.ts), and
 * `globalsOf` hands each to the command by its attribute name: a new global flag needs this
 * declaration (and the field of GlobalOptions its users read) only.
 */
export function withGlobalOptions(cmd: Command): Command {
  return cmd
    .option(
      "-c, --config <file>",
      "configuration file (default: ./llmspell.toml, then the user config; env LLMSPELL_CONFIG)",
    )
    .addOption(
      new Option("--trace <level>", "diagnostics on stderr").choices(TRACE_LEVELS)
        .default("warn" satisfies TraceLevel),
    )
    .addOption(
      new Option("--output <format>", "output format").choices(OUTPUT_FORMATS)
        .default("text" satisfies OutputFormat),
    )
    .option("--no-color", "no colour (also when NO_COLOR is set)")
    .helpOption("-h, --help", "show help for this command");
}

export function example(cmd: Command, ...lines: string[]): Command {
  return cmd.addHelpText("after", "\nExamples:\n" + lines.map((l) => `  $ ${l}`).join("\n"));
}

/**
 * The global flags of the command being run. A flag given on the command line wins over a
 * default, and the nearest command wins over its parents (so `llmspell --output json exec …`
 * and `llmspell exec … --output json` both work).
 */
export function globalsOf(cmd: Command): GlobalOptions {
  const chain: Command[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) chain.push(c);
  const pick = (key: string): unknown => {
    const given = chain.find((c) => {
      const src = c.getOptionValueSource(key);
      return src !== undefined && src !== "default";
    });
    return (given ?? cmd).opts()[key];
  };
  const globals: Record<string, unknown> = {};
  for (const { key } of ARGV_TABLE.globals) globals[key] = pick(key);
  return globals as unknown as GlobalOptions;
}

/** The context of the command being run (see globalsOf). */
export function contextOf(cmd: Command): CliContext {
  return contextFrom(globalsOf(cmd));
}

/** The exit code a command's action sets; commander actions cannot return one. */
let exitCode: number = ExitCode.ok;
export function setExit(code: number): void {
  exitCode = code;
}
export function actionExit(): number {
  return exitCode;
}
