/**
 * A streamed answer in the REPL, in a real terminal (tmux): each token is on the screen
 * before the scripted server sends the next one (the server gates each token), then the
 * prompt comes back below the answer's line (which did not end with a newline) and the
 * result is in the REPL's state.
 */
import { assert } from "../helpers/assert.ts";
import { tempDir } from "../helpers/cli.ts";
import { line, startRepl } from "../repl/helpers.ts";
import { openaiStream, ScriptedServer } from "./servers.ts";

Deno.test("repl: a streamed answer appears token by token", async () => {
  const tokens = ["Once", " upon", " a", " time"];
  const s = new ScriptedServer().script(openaiStream(tokens, { gated: true }));
  const home = await tempDir();
  // A self-hosted server (base_url) needs no key.
  await Deno.writeTextFile(
    `${home}/llmspell.toml`,
    `[providers.openai]\nbase_url = "${s.url}/v1"\n`,
  );
  const t = await startRepl(home);
  try {
    await line(t, 'a = Agent.builder():model("openai/gpt-4o-mini"):build()', /^llmspell>$/m);
    await t.type('r = a:stream("story", function(piece) io.write("<", piece, ">") end)');
    await t.send("Enter");
    for (let i = 0; i < tokens.length; i++) {
      const shown = tokens.slice(0, i + 1).map((x) => `<${x}>`).join("");
      const screen = await t.waitFor(shown);
      // Until the release, the next token has not been sent: it cannot be on the screen.
      if (i < tokens.length - 1) {
        assert(!screen.includes(`<${tokens[i + 1]}>`), screen);
        assert(!/^llmspell>$/m.test(screen.split(shown)[1]), "the cell is still running");
      }
      s.release();
    }
    // The answer's line stays when the prompt comes back under it.
    await t.waitFor(/^<Once>< upon>< a>< time>\nllmspell>$/m);
    await line(t, "r.text", /^Once upon a time$/m);
  } finally {
    await t.kill();
    await s.close();
    await Deno.remove(home, { recursive: true });
  }
});
