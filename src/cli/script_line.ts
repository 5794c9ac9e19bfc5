/**
 * Runs an `exec` or `run` command line (argv.ts ScriptLine), whether readScriptLine or
 * commander (script_cmd.ts) read it: the configuration, the chunk (the code given, the file,
 * or stdin for `run -`), then src/cli/script.ts. A failure is reported as one line, like
 * runCli reports one.
 */
import * as path from "../path.ts";
import type { ScriptLine } from "./argv.ts";
import { contextFrom } from "./context.ts";
import { configFor } from "./load_config.ts";
import { reportError } from "../frontend/print.ts";
import { runScript, type ScriptInput } from "./script.ts";
import { parseScriptArgs } from "../frontend/script_args.ts";
import { readScript } from "./script_file.ts";
import { decodeBytes } from "../byte_string.ts";
import { fileChunk } from "../engine/shared/file_chunk.ts";
import { usageError } from "../errors.ts";

/** A profile's defaults (`run --profile`, `llmspell profile`): the files' prefix, the rows. */
export const DEFAULT_PROFILE_OUT = "profile";
export const DEFAULT_PROFILE_TOP = 20;

export async function runScriptLine(line: ScriptLine): Promise<number> {
  const ctx = contextFrom(line.globals);
  try {
    const { config } = await configFor(ctx);
    if (line.command === "run" && line.watch) {
      if (profiled(line)) {
        throw usageError(
          "--watch and --profile cannot be combined: profile one run",
          "llmspell profile script.lua",
        );
      }
      if (line.file === "-" || line.connect !== undefined) {
        throw usageError(
          line.file === "-"
            ? "--watch needs a script file: stdin cannot be watched"
            : "--watch runs the script here; it cannot be combined with --connect",
          "llmspell run --watch script.lua",
        );
      }
      const { runWatching } = await import("./watch.ts");
      return await runWatching(ctx, config, await scriptInput(line), line.file);
    }
    return await runScript(ctx, config, await scriptInput(line));
  } catch (e) {
    return reportError(e, ctx.colorErr);
  }
}

function profiled(line: ScriptLine & { command: "run" }): boolean {
  return line.profile === true || line.profileOut !== undefined;
}

async function scriptInput(line: ScriptLine): Promise<ScriptInput> {
  if (line.command === "exec") {
    return { code: line.code, chunkName: "=exec", echo: true, connect: line.connect };
  }
  const raw = line.args[0] === "--" ? line.args.slice(1) : line.args;
  const input = {
    echo: false,
    args: parseScriptArgs(line.file, raw),
    connect: line.connect,
    ...(profiled(line)
      ? {
        profile: {
          out: line.profileOut ?? DEFAULT_PROFILE_OUT,
          rateHz: line.profileRate,
          top: line.profileTop ?? DEFAULT_PROFILE_TOP,
        },
      }
      : {}),
  };
  if (line.file === "-") {
    // Read as lua5.4 reads a file (readScript does the same): every byte, no BOM, no #! line.
    const bytes = new Uint8Array(await new Response(Deno.stdin.readable).arrayBuffer());
    const code = decodeBytes(fileChunk(bytes));
    return { ...input, code, chunkName: "=stdin" };
  }
  const script = await readScript(line.file);
  return {
    ...input,
    code: script.code,
    chunkName: "@" + line.file,
    scriptDir: path.dirname(script.path),
  };
}
