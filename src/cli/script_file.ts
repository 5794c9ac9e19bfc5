import { ExitCode, LlmspellError } from "../errors.ts";
import { decodeBytes } from "../byte_string.ts";
import { fileChunk } from "../engine/shared/file_chunk.ts";

/** A script read from disk for `run` and `debug`. */
export interface ScriptFile {
  /**
   * The source as lua5.4 loads it (engine/shared/file_chunk.ts: no BOM, a `#` first line blanked),
   * every byte kept (src/byte_string.ts).
   */
  code: string;
  /** The real absolute path (symlinks resolved). */
  path: string;
}

/**
 * Reads a script; a missing or unreadable file is a usage error (exit 2) with a hint that
 * names `command`'s way of reading stdin.
 */
export async function readScript(file: string, command = "run"): Promise<ScriptFile> {
  try {
    const code = decodeBytes(fileChunk(await Deno.readFile(file)));
    return { code, path: await Deno.realPath(file) };
  } catch (e) {
    throw new LlmspellError({
      code: "script_not_found",
      message: e instanceof Deno.errors.NotFound
        ? `script not found: ${file}`
        : e instanceof Deno.errors.IsADirectory
        ? `${file} is a directory, not a Lua script`
        : `cannot read script ${file}: ${e instanceof Error ? e.message : e}`,
      hint: `check the path (\`llmspell ${command} -\` reads a script from stdin)`,
      exitCode: ExitCode.usage,
    });
  }
}
