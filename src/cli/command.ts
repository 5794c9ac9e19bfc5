/**
 * Shared pieces of every command: the global flags, help examples, the context built from
 * the flags, configuration loading, and the exit code an action sets.
 */
import { type Command, Option } from "commander";
import { formatDiagnostic, loadConfig, type LoadedConfig } from "../config/mod.ts";
import { ExitCode } from "../errors.ts";
import { log, setTraceLevel, TRACE_LEVELS, type TraceLevel } from "../telemetry/log.ts";
import {
  type CliContext,
  type GlobalOptions,
  makeContext,
  OUTPUT_FORMATS,
  type OutputFormat,
  writeErr,
} from "./context.ts";

/** Adds the global flags to a command; every command accepts them, before or after its args. */
export function withGlobalOptions(cmd: Command): Command {
  return cmd
    .option(
      "-c, --config <file>",
      "configuration file (default: ./llmspell.toml, then the user config; env LLMSPELL_CONFIG)",
    )
    .addOption(
      new Option("--trace <level>", "diagnostics on stderr").choices(TRACE_LEVELS).default("warn"),
    )
    .addOption(
      new Option("--output <format>", "output format").choices(OUTPUT_FORMATS).default("text"),
    )
    .option("--no-color", "no colour (also when NO_COLOR is set)")
    .helpOption("-h, --help", "show help for this command");
}

export function example(cmd: Command, ...lines: string[]): Command {
  return cmd.addHelpText("after", "\nExamples:\n" + lines.map((l) => `  $ ${l}`).join("\n"));
}

interface RawGlobals {
  config?: string;
  trace: TraceLevel;
  output: OutputFormat;
  color: boolean;
}

/**
 * Resolves the global flags of the command being run into a context. A flag given on the
 * command line wins over a default, and the nearest command wins over its parents (so
 * `llmspell --output json exec …` and `llmspell exec … --output json` both work).
 */
export function contextOf(cmd: Command): CliContext {
  const chain: Command[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) chain.push(c);
  const pick = <K extends keyof RawGlobals>(key: K): RawGlobals[K] => {
    const given = chain.find((c) => {
      const src = c.getOptionValueSource(key);
      return src !== undefined && src !== "default";
    });
    return (given ?? cmd).opts<RawGlobals>()[key];
  };
  const o: RawGlobals = {
    config: pick("config"),
    trace: pick("trace"),
    output: pick("output"),
    color: pick("color"),
  };
  setTraceLevel(o.trace);
  const globals: GlobalOptions = {
    config: o.config,
    trace: o.trace,
    output: o.output,
    color: o.color,
  };
  return makeContext(globals, Deno.env.toObject());
}

/** Loads the configuration for a command, printing warnings (unknown keys) to stderr. */
export async function configFor(ctx: CliContext): Promise<LoadedConfig> {
  const loaded = await loadConfig({ file: ctx.config, cwd: ctx.cwd, env: ctx.env });
  log.debug(`config: ${loaded.source ?? "defaults (no config file found)"}`);
  for (const w of loaded.warnings) writeErr(formatDiagnostic(w, { color: ctx.colorErr }) + "\n");
  return loaded;
}

/** The exit code a command's action sets; commander actions cannot return one. */
let exitCode: number = ExitCode.ok;
export function setExit(code: number): void {
  exitCode = code;
}
export function actionExit(): number {
  return exitCode;
}
