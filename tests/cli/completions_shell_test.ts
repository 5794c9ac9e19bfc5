/**
 * The generated completion scripts in real interactive shells under tmux, as a user has them:
 * zsh from fpath (`completions zsh > DIR/_llmspell`), bash and fish sourced. Each probe
 * types a partial command line, presses Tab, then types `X` so that the completed line
 * (and the space after a unique completion) shows on the screen. `llmspell` on the shell's
 * PATH is the CLI of this tree, which the completions run for the providers of `keys`.
 */
import { assert } from "../helpers/assert.ts";
import { cli, MAIN, tempDir } from "../helpers/cli.ts";
import { Tmux } from "../helpers/tmux.ts";
import { V8_FLAGS_ARG } from "../../src/engine/host/v8_flags.ts";

const PROMPT = "P> ";
/** An empty command line: the screen has no trailing spaces. */
const EMPTY = /^P>$/m;

/** [typed before Tab, the line expected after Tab and `X`]. */
const PROBES: [string, string][] = [
  ["llmspell ex", "llmspell exec X"],
  ["llmspell exec --out", "llmspell exec --output X"],
  ["llmspell exec --output y", "llmspell exec --output yaml X"],
  ["llmspell run --tr", "llmspell run --trace X"],
  ["llmspell config v", "llmspell config validate X"],
  ["llmspell config validate --fi", "llmspell config validate --file X"],
  ["llmspell kernel start --transport i", "llmspell kernel start --transport ipc X"],
  // A file in the working directory starts with "f" too: shells, not files.
  ["llmspell completions f", "llmspell completions fish X"],
  // The providers, asked of llmspell at Tab: one of the configuration, built-in ones.
  ["llmspell keys set workb", "llmspell keys set workbench X"],
  ["llmspell keys remove anth", "llmspell keys remove anthropic X"],
  ["llmspell keys log ol", "llmspell keys log ollama X"],
  // Not a local model's, which takes no key.
  ["llmspell keys set onb", "llmspell keys set onbX"],
];

async function probeShell(
  shell: "zsh" | "bash" | "fish",
  argv: string[],
  setup: (dir: string) => string,
): Promise<void> {
  const dir = await tempDir();
  const script = (await cli(["completions", shell])).stdout;
  const file = { zsh: "_llmspell", bash: "llmspell.bash", fish: "llmspell.fish" }[shell];
  await Deno.mkdir(`${dir}/fn`);
  await Deno.writeTextFile(`${dir}/fn/${file}`, script);
  await Deno.writeTextFile(`${dir}/fake.lua`, "");
  await Deno.writeTextFile(
    `${dir}/llmspell.toml`,
    '[providers.workbench]\nprovider_type = "openai"\n\n' +
      '[providers.onbox]\nprovider_type = "local"\nmodel_path = "m.gguf"\n',
  );
  await Deno.mkdir(`${dir}/bin`);
  await Deno.writeTextFile(
    `${dir}/bin/llmspell`,
    `#!/bin/sh\nexec '${Deno.execPath()}' run -A --quiet ${V8_FLAGS_ARG} '${MAIN}' "$@"\n`,
    { mode: 0o755 },
  );
  const t = await Tmux.start(argv, {
    cwd: dir,
    env: {
      HOME: dir,
      XDG_CONFIG_HOME: dir,
      LLMSPELL_HOME: dir,
      PATH: `${dir}/bin:${Deno.env.get("PATH")}`,
    },
  });
  try {
    await t.type(setup(`${dir}/fn`));
    await t.send("Enter");
    await t.type("clear");
    await t.send("Enter");
    await t.waitFor(EMPTY);
    for (const [typed, expected] of PROBES) {
      await t.type(typed);
      await t.send("Tab");
      await t.type("X");
      const line = new RegExp(
        `^${PROMPT}${expected.replaceAll(/[.*+?^${}()|[\]\\-]/g, "\\$&")}`,
        "m",
      );
      await t.waitFor(line).catch((e) => {
        throw new Error(`${shell}: '${typed}<Tab>' did not give '${expected}': ${e.message}`);
      });
      await t.send("C-u");
      await t.waitFor(EMPTY);
      await t.send("C-l");
    }
    if (shell === "zsh") {
      // The commands listed with their descriptions (parentheses and backticks in them).
      await t.type("llmspell ");
      await t.send("Tab");
      const screen = await t.waitFor("completions");
      assert(screen.includes("run a Lua script file (`-` reads it from stdin)"), screen);
      assert(!screen.includes("unknown file attribute"), screen);
    }
  } finally {
    await t.kill();
  }
}

Deno.test("zsh completion (from fpath) completes commands, subcommand flags and their values", async () => {
  await probeShell(
    "zsh",
    ["zsh", "-f"],
    (fn) =>
      `PS1='${PROMPT}'; bindkey -e; fpath=(${fn} $fpath); autoload -Uz compinit; compinit -u -D`,
  );
});

Deno.test("bash completion completes commands, subcommand flags and their values", async () => {
  await probeShell(
    "bash",
    ["bash", "--norc", "--noprofile"],
    (fn) => `PS1='${PROMPT}'; source ${fn}/llmspell.bash`,
  );
});

Deno.test("fish completion completes commands, subcommand flags and their values", async () => {
  await probeShell(
    "fish",
    ["fish", "--no-config", "--private"],
    (fn) =>
      `function fish_prompt; echo -n '${PROMPT}'; end; set -g fish_autosuggestion_enabled 0; source ${fn}/llmspell.fish`,
  );
});
