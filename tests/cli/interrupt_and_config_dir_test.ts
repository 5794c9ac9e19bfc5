/**
 * Two small promises of the CLI: Ctrl+C (SIGINT) ends `exec`/`run` with 130 and says
 * `interrupted` on stderr, embedded as on a kernel; `-c DIR` (or LLMSPELL_CONFIG=DIR) says
 * that DIR is a directory, not that the file is missing.
 */
import { assertEquals } from "../helpers/assert.ts";
import { cli, cliCommand, readUntil, tempDir } from "../helpers/cli.ts";
import { killKernels } from "../kernel/helpers.ts";

const SPIN = "print('spinning') io.stdout:flush() while true do end";

/** Starts the command, sends SIGINT once it printed `spinning`; its exit code and stderr. */
async function interrupt(
  args: string[],
  home: string,
): Promise<{ code: number; stderr: string }> {
  const child = cliCommand(args, { cwd: home, env: { LLMSPELL_HOME: home } }).spawn();
  const stderr = new Response(child.stderr).text();
  const reader = child.stdout.getReader();
  await readUntil(reader, "spinning\n");
  child.kill("SIGINT");
  const status = await child.status;
  reader.releaseLock();
  await child.stdout.cancel();
  return { code: status.code, stderr: await stderr };
}

Deno.test("SIGINT ends exec and run with 130 and one line `error: interrupted` on stderr, embedded and --connect", async () => {
  const home = await tempDir();
  await Deno.writeTextFile(`${home}/spin.lua`, SPIN);
  try {
    const started = await cli(["kernel", "start", "--daemon", "--output", "json"], {
      cwd: home,
      env: { LLMSPELL_HOME: home },
    });
    assertEquals(started.code, 0, started.stderr);
    const { id } = JSON.parse(started.stdout);
    for (
      const args of [
        ["exec", SPIN],
        ["run", "spin.lua"],
        ["exec", "--connect", id, SPIN],
        ["run", "--connect", id, "spin.lua"],
      ]
    ) {
      const r = await interrupt(args, home);
      assertEquals([r.code, r.stderr], [130, "error: interrupted\n"], args.join(" "));
    }
  } finally {
    await killKernels(home);
  }
});

Deno.test("-c DIR and LLMSPELL_CONFIG=DIR: the config file is a directory (exit 2)", async () => {
  const dir = await tempDir();
  const r = await cli(["exec", "-c", dir, "1"], { cwd: dir });
  assertEquals([r.code, r.stdout], [2, ""]);
  assertEquals(
    r.stderr,
    `error: config file ${dir} is a directory (from -c)\n` +
      "hint: give the path of a file, e.g. DIR/llmspell.toml\n",
  );
  const env = await cli(["config", "validate"], { cwd: dir, env: { LLMSPELL_CONFIG: dir } });
  assertEquals(env.code, 2);
  assertEquals(
    env.stderr.split("\n")[0],
    `error: config file ${dir} is a directory (from LLMSPELL_CONFIG)`,
  );
});
