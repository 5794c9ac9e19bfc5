/**
 * llmspell entry: start the engine worker early when the command will run Lua, parse argv,
 * run the command, exit with its code. The common `exec` and `run` command lines run without
 * commander (readScriptLine in src/cli/argv.ts); every other goes through the command tree.
 */
import { rawArgs, readCommandLine, readScriptLine } from "./src/cli/argv.ts";
import { prestartEngine } from "./src/engine/host/prestart.ts";
import { provideApi, traceApi } from "./src/api/globals.ts";
import { provideWorkerDebugger } from "./src/debug/provide.ts";

const LUA_COMMANDS = new Set(["run", "exec", "repl", "debug", "profile"]);
/** Commands whose engine need not be interruptible (see EngineStart in engine/host/handle.ts). */
const BATCH_COMMANDS = new Set(["run", "exec"]);

/**
 * The program. Not top-level await: the bundle's chunks import shared code from the chunk that
 * holds this module, and a dynamic import would wait on a module still evaluating
 * (docs/decisions/0032-merged-bundle-chunks.md).
 */
async function main(): Promise<number> {
  const argv = rawArgs();
  // Help, the version and commands on a remote kernel (--connect) run no Lua here.
  const wantsHelp = argv.some((a) =>
    a === "-h" || a === "--help" || a === "--version" || a === "--connect" ||
    a.startsWith("--connect=")
  );
  const word = readCommandLine(argv).word ?? "";
  // State and the other globals of src/api/, served on this thread (loaded at first use).
  provideApi();
  // The debugger a debugging engine's worker loads (the engine imports none).
  provideWorkerDebugger();
  // `kernel start` starts its engine itself, after its first reply (kernel/kernel.ts).
  if (!wantsHelp && LUA_COMMANDS.has(word)) {
    // A profiled run's engine is poked by the profiler (`run --profile`, `--profile-out`).
    const profiled = argv.some((a) => a.startsWith("--profile"));
    prestartEngine({ interruptible: !BATCH_COMMANDS.has(word) || profiled });
  }
  // Deno's OpenTelemetry exporter is on (src/telemetry/tracing.ts): spans are made.
  if (Deno.env.get("OTEL_DENO") === "true") {
    if (await (await import("./src/telemetry/tracing.ts")).initTracing()) traceApi();
  }
  const line = readScriptLine(argv);
  const code = line
    ? await (await import("./src/cli/script_line.ts")).runScriptLine(line)
    : await (await import("./src/cli/program.ts")).runCli(argv);
  return code;
}

if (import.meta.main) main().then((code) => Deno.exit(code));
