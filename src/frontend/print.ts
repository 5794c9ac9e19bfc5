/**
 * Printing data in the chosen output format, and errors as one clear line.
 */
import { toYaml } from "../yaml.ts";
import { type OutputContext, paint, writeErr, writeOut } from "./output.ts";
import { ExitCode, isLlmspellError } from "../errors.ts";
import { enabled } from "../telemetry/log.ts";

/** Prints `data` as JSON or YAML, or through `text` in text mode. */
export function printData(ctx: OutputContext, data: unknown, text: () => string): void {
  if (ctx.output === "json") writeOut(JSON.stringify(data, null, 2) + "\n");
  else if (ctx.output === "yaml") writeOut(toYaml(data));
  else {
    const s = text();
    if (s.length > 0) writeOut(s.endsWith("\n") ? s : s + "\n");
  }
}

/** Reports an error on stderr and returns its exit code. */
export function reportError(e: unknown, colorErr: boolean): number {
  if (isLlmspellError(e)) {
    let line = `${paint(colorErr, "red", "error:")} ${e.message}`;
    if (e.hint) line += `\n${paint(colorErr, "dim", "hint:")} ${e.hint}`;
    writeErr(line + "\n");
    if (enabled("debug") && e.stack) writeErr(e.stack + "\n");
    return e.exitCode;
  }
  const err = e instanceof Error ? e : new Error(String(e));
  writeErr(`${paint(colorErr, "red", "error:")} internal error: ${err.message}\n`);
  writeErr(
    enabled("debug")
      ? `${err.stack}\n`
      : "hint: run again with --trace debug for details, and report it\n",
  );
  return ExitCode.failure;
}
