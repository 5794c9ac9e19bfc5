/** Driving `llmspell repl` in a real terminal (tmux), for the REPL tests. */
import { cli, MAIN } from "../helpers/cli.ts";
import { assertEquals } from "../helpers/assert.ts";
import { Tmux } from "../helpers/tmux.ts";

/** Starts `llmspell repl [extra]` in tmux with its own home; resolves at the first prompt. */
export async function startRepl(home: string, extra: string[] = []): Promise<Tmux> {
  const t = await Tmux.start([Deno.execPath(), "run", "-A", "--quiet", MAIN, "repl", ...extra], {
    cwd: home,
    env: { LLMSPELL_HOME: home, NO_COLOR: "1" },
  });
  try {
    await t.waitFor(/^llmspell>/m, 20_000);
  } catch (e) {
    await t.kill();
    throw e;
  }
  return t;
}

/** Types a line and waits for `expect` on the screen. */
export async function line(t: Tmux, text: string, expect: RegExp | string): Promise<string> {
  await t.type(text);
  await t.send("Enter");
  return await t.waitFor(expect);
}

/** Runs `body` with a `kernel start --daemon` kernel under `home`; always stops it. */
export async function withDaemonKernel(
  home: string,
  body: (id: string, env: Record<string, string>) => Promise<void>,
): Promise<void> {
  const env = { LLMSPELL_HOME: home };
  const started = await cli(["kernel", "start", "--daemon", "--output", "json"], {
    cwd: home,
    env,
  });
  assertEquals(started.code, 0, started.stderr);
  const { id } = JSON.parse(started.stdout) as { id: string };
  try {
    await body(id, env);
  } finally {
    const stopped = await cli(["kernel", "stop", id, "--force"], { cwd: home, env });
    assertEquals(stopped.code, 0, stopped.stderr);
  }
}
