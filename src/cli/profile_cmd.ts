/**
 * `llmspell profile FILE [-- args...]`: runs a script as `run` does, sampling its Lua stack
 * (src/engine/worker/sampler.ts), and writes its profile (src/profile/report.ts): PREFIX.folded,
 * PREFIX.svg (a flame graph) and PREFIX.speedscope.json, with a top-N table on stderr (in
 * the document with `--output json|yaml`).
 */
import { Command } from "commander";
import type { ScriptLine } from "./argv.ts";
import { example, globalsOf, setExit, withGlobalOptions } from "./command.ts";
import { runScriptLine } from "./script_line.ts";
import { DEFAULT_PROFILE_OUT, DEFAULT_PROFILE_TOP } from "./script_line.ts";
import { usageError } from "../errors.ts";

/**
 * The engine's DEFAULT_PROFILE_HZ and MAX_PROFILE_HZ (src/engine/shared/protocol.ts), not imported:
 * see there why.
 */
const DEFAULT_RATE = 1000;
const MAX_RATE = 1000;

/** A whole number in [min, max] from a flag's value, or a usage error naming the flag. */
function wholeNumber(flag: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) {
    throw usageError(`${flag} must be a whole number from ${min} to ${max} (got ${value})`);
  }
  return n;
}

export function registerProfileCommand(
  program: Command,
  runLine: (line: ScriptLine) => Promise<number> = runScriptLine,
): void {
  const profile = withGlobalOptions(
    new Command("profile")
      .description(
        "run a Lua script and profile it: a flame graph, folded stacks and a speedscope file " +
          "of where its wall time went (Lua functions, and waits on State, LLMs and tools)",
      )
      .argument("<file>", "the script, or - for stdin")
      .argument("[args...]", "script arguments, as for `llmspell run`")
      .option(
        "--out <prefix>",
        "write PREFIX.folded, PREFIX.svg, PREFIX.speedscope.json",
        DEFAULT_PROFILE_OUT,
      )
      .option("--rate <hz>", `samples a second, 1 to ${MAX_RATE}`, String(DEFAULT_RATE))
      .option(
        "--top <n>",
        "rows of the table of the frames with the most time",
        String(DEFAULT_PROFILE_TOP),
      )
      .passThroughOptions(),
  );
  example(
    profile,
    "llmspell profile agent.lua -- --topic rust",
    "llmspell profile --out /tmp/agent --rate 500 agent.lua",
    "llmspell profile --output json --top 5 report.lua",
  );
  profile.action(
    async (
      file: string,
      args: string[],
      opts: { out: string; rate: string; top: string },
      cmd: Command,
    ) => {
      const rateHz = wholeNumber("--rate", opts.rate, 1, MAX_RATE);
      const top = wholeNumber("--top", opts.top, 1, 1_000_000);
      setExit(
        await runLine({
          command: "run",
          globals: globalsOf(cmd),
          connect: undefined,
          file,
          args,
          watch: undefined,
          profile: true,
          profileOut: opts.out,
          profileRate: rateHz,
          profileTop: top,
        }),
      );
    },
  );
  program.addCommand(profile);
}
