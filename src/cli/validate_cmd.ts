/**
 * `llmspell validate FILE...`: static checks of Lua scripts without running them
 * (src/validate/, loaded only here).
 */
import { Command } from "commander";
import { decodeBytes } from "../byte_string.ts";
import { fileChunk } from "../engine/shared/file_chunk.ts";
import { ExitCode } from "../errors.ts";
import { paint, writeErr } from "../frontend/output.ts";
import { contextOf, example, setExit, withGlobalOptions } from "./command.ts";
import { printData } from "../frontend/print.ts";
import { readScript } from "./script_file.ts";
import { configFor } from "./load_config.ts";

export function registerValidateCommand(program: Command): void {
  const cmd = withGlobalOptions(
    new Command("validate")
      .description(
        "check Lua scripts without running them: syntax, undefined globals, llmspell API calls, unused locals, common mistakes",
      )
      .argument(
        "<files...>",
        "Lua scripts to check; a directory: its *.lua files, recursively; - reads stdin",
      ),
  );
  example(
    cmd,
    "llmspell validate agent.lua",
    "llmspell validate examples/ --output json",
  );
  cmd.action(async (files: string[], _opts: unknown, self: Command) => {
    const ctx = contextOf(self);
    // Every file is read before any is checked: a wrong path is a usage error (exit 2).
    const paths = (await Promise.all(files.map(expand))).flat();
    const sources = await Promise.all(paths.map(readSource));
    // The sandbox the scripts would run in: what "safe" leaves out is an error.
    const { config } = await configFor(ctx);
    const safe = config.engines.lua.security_level === "safe";
    const { validateSource, formatDiagnostic } = await import("../validate/mod.ts");
    const diagnostics = (await Promise.all(
      sources.map(({ name, text }) => validateSource(text, name, { safe })),
    )).flat();
    const errors = diagnostics.filter((d) => d.severity === "error").length;
    const warnings = diagnostics.length - errors;
    printData(ctx, diagnostics, () =>
      diagnostics.map((d) => {
        const line = formatDiagnostic(d);
        const color = d.severity === "error" ? "red" : "yellow";
        return line.replace(`: ${d.severity}: `, `: ${paint(ctx.colorOut, color, d.severity)}: `);
      }).join("\n"));
    if (ctx.output === "text") {
      const count = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;
      writeErr(
        `${count(sources.length, "file")} checked: ${count(errors, "error")}, ${
          count(warnings, "warning")
        }\n`,
      );
    }
    setExit(errors > 0 ? ExitCode.failure : ExitCode.ok);
  });
  program.addCommand(cmd);
}

/** A directory's `*.lua` files, recursively and sorted (hidden directories skipped). */
async function expand(file: string): Promise<string[]> {
  const info = file === "-" ? undefined : await Deno.stat(file).catch(() => undefined);
  if (!info?.isDirectory) return [file];
  const found: string[] = [];
  const walk = async (dir: string) => {
    for await (const e of Deno.readDir(dir)) {
      const p = `${dir.replace(/\/$/, "")}/${e.name}`;
      if (e.isDirectory && !e.name.startsWith(".")) await walk(p);
      else if (e.isFile && e.name.endsWith(".lua")) found.push(p);
    }
  };
  await walk(file);
  return found.sort();
}

/** A script as lua5.4 loads it (readScript; stdin the same way). */
async function readSource(file: string): Promise<{ name: string; text: string }> {
  if (file !== "-") return { name: file, text: (await readScript(file, "validate")).code };
  const bytes = new Uint8Array(await new Response(Deno.stdin.readable).arrayBuffer());
  return { name: "stdin", text: decodeBytes(fileChunk(bytes)) };
}
