/** Regenerates completions/ from the command tree (`deno task completions`). */
import { buildProgram } from "../src/cli/program.ts";
import { generate, SHELLS } from "../src/cli/completions.ts";

const FILES = { bash: "llmspell.bash", zsh: "_llmspell", fish: "llmspell.fish" } as const;
for (const shell of SHELLS) {
  const file = new URL(`../completions/${FILES[shell]}`, import.meta.url);
  await Deno.writeTextFile(file, generate(await buildProgram(), shell));
  console.error(`wrote ${file.pathname}`);
}
