/**
 * `deno task vsix`: packs the VS Code extension (editors/vscode/) into dist/llmspell-debug.vsix
 * with @vscode/vsce, offline (the extension has no dependencies to bundle). Prints the path of
 * the .vsix on stdout; vsce's messages go to stderr.
 */
import * as path from "../src/path.ts";

const ROOT = path.dirname(path.dirname(new URL(import.meta.url).pathname));
export const EXTENSION_DIR = path.join(ROOT, "editors", "vscode");
export const VSIX = path.join(ROOT, "dist", "llmspell-debug.vsix");

/** Builds the .vsix at `out`; throws with vsce's output when it fails. */
export async function buildVsix(out = VSIX): Promise<string> {
  await Deno.mkdir(path.dirname(out), { recursive: true });
  const res = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--quiet",
      "--config",
      path.join(ROOT, "deno.json"),
      "npm:@vscode/vsce",
      "package",
      // No dependencies (plain JavaScript), no repository or LICENSE file: vsce would ask.
      "--no-dependencies",
      "--allow-missing-repository",
      "--skip-license",
      "--out",
      out,
    ],
    cwd: EXTENSION_DIR,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  if (!res.success) {
    throw new Error(
      `vsce package failed (exit ${res.code}):\n${dec.decode(res.stdout)}${dec.decode(res.stderr)}`,
    );
  }
  return out;
}

if (import.meta.main) {
  try {
    console.log(await buildVsix());
  } catch (e) {
    console.error(`error: ${e instanceof Error ? e.message : e}`);
    Deno.exit(1);
  }
}
