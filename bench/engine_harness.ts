/**
 * Runs one Lua file through llmspell's Engine (worker, prelude, sandbox): interruptible as
 * the kernel, REPL and debugger create it, or `--batch` as `run` does (no shared memory);
 * optionally with a time limit armed (`--timeout-ms N`: a timer that would interrupt the
 * chunk, as an interrupt from the kernel or REPL would; it used to need a count hook). The
 * scripts time themselves with os.clock(), so only the Lua work is measured.
 *
 * Usage: deno run -A bench/engine_harness.ts FILE [--batch] [--timeout-ms N] [--unrestricted]
 */
import * as path from "node:path";
import { Engine } from "../src/engine/host/handle.ts";
import { flagValue, hasFlag } from "./lib.ts";

const timeoutMs = flagValue("--timeout-ms", 0);
const at = Deno.args.indexOf("--timeout-ms");
const file = Deno.args.find((a, i) => !a.startsWith("--") && (at < 0 || i !== at + 1));
if (!file) {
  console.error("usage: engine_harness.ts FILE [--batch] [--timeout-ms N] [--unrestricted]");
  Deno.exit(2);
}
const abs = path.resolve(file);
const engine = new Engine({ interruptible: !hasFlag("--batch") });
await engine.init({
  securityLevel: hasFlag("--unrestricted") ? "unrestricted" : "safe",
  allowedPaths: [path.dirname(abs)],
  maxMemoryBytes: 0,
  timeoutMs,
  cwd: Deno.cwd(),
  scriptDir: path.dirname(abs),
});
let code = 0;
for await (
  const ev of engine.execute({
    code: await Deno.readTextFile(abs),
    chunkName: "@" + abs,
    echo: false,
  })
) {
  if (ev.type === "stream") {
    await (ev.name === "stdout" ? Deno.stdout : Deno.stderr).write(ev.data);
  } else if (ev.type === "error") {
    console.error(`error: ${ev.error.message}`);
    code = 1;
  } else if (ev.type === "exit") code = ev.code;
}
engine.close();
Deno.exit(code);
