import { buildProgram } from "../../src/cli/program.ts";
import { generate, SHELLS } from "../../src/cli/completions.ts";
import { assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { cli } from "../helpers/cli.ts";

const FILES = { bash: "llmspell.bash", zsh: "_llmspell", fish: "llmspell.fish" } as const;
const DIR = new URL("../../completions/", import.meta.url);

Deno.test("completions/ matches the command tree (regenerate with `deno task completions`)", async () => {
  for (const shell of SHELLS) {
    const committed = await Deno.readTextFile(new URL(FILES[shell], DIR));
    assertEquals(
      committed,
      generate(await buildProgram(), shell),
      `completions/${FILES[shell]} drifted`,
    );
  }
});

Deno.test("completions name commands, subcommands, flags and enum values", async () => {
  const bash = (await cli(["completions", "bash"])).stdout;
  for (
    const word of [
      "exec",
      "run",
      "config",
      "validate",
      "--output",
      "text json yaml",
      "off error warn info debug trace",
    ]
  ) {
    assertStringIncludes(bash, word);
  }
  const r = await cli(["completions", "tcsh"]);
  assertEquals(r.code, 2);
});

Deno.test("bash completion works in a real bash", async () => {
  const script = (await cli(["completions", "bash"])).stdout;
  const probe = `${script}
COMP_WORDS=(llmspell con); COMP_CWORD=1; _llmspell_complete; echo "\${COMPREPLY[*]}"
COMP_WORDS=(llmspell config s); COMP_CWORD=2; _llmspell_complete; echo "\${COMPREPLY[*]}"
COMP_WORDS=(llmspell exec --output ""); COMP_CWORD=3; _llmspell_complete; echo "\${COMPREPLY[*]}"
`;
  const out = await new Deno.Command("bash", { args: ["-c", probe], stdout: "piped" }).output();
  assertEquals(new TextDecoder().decode(out.stdout), "config\nshow\ntext json yaml\n");
});

Deno.test("the zsh and fish scripts parse in real zsh and fish", async () => {
  for (const [shell, args] of [["zsh", ["-n"]], ["fish", ["--no-execute"]]] as const) {
    const script = (await cli(["completions", shell])).stdout;
    const file = await Deno.makeTempFile();
    await Deno.writeTextFile(file, script);
    const r = await new Deno.Command(shell, { args: [...args, file], stderr: "piped" }).output();
    assertEquals(r.code, 0, `${shell}: ${new TextDecoder().decode(r.stderr)}`);
  }
});
