/**
 * State under concurrency and crashes, through real processes: two processes incrementing
 * one key lose no increment; a process killed with SIGKILL in the middle of a stream of
 * writes leaves a sound database holding every write it had acknowledged.
 */
import { DatabaseSync } from "node:sqlite";
import { assert, assertEquals } from "../helpers/assert.ts";
import { cli, cliCommand, tempDir } from "../helpers/cli.ts";
import { until } from "../kernel/helpers.ts";

Deno.test("State.increment: two processes, 5,000 increments each, end at exactly 10,000", async () => {
  const home = await tempDir();
  const env = { LLMSPELL_HOME: home };
  // Each says it has started and waits for the other, so the two loops overlap.
  const loop = (me: string, other: string) =>
    `State.set("${me}", true) while not State.exists("${other}") do end
for i = 1, 5000 do State.increment("n", 1) end print("done")`;
  try {
    const [a, b] = await Promise.all([
      cli(["exec", loop("a", "b")], { cwd: home, env }),
      cli(["exec", loop("b", "a")], { cwd: home, env }),
    ]);
    assertEquals([a.stdout, b.stdout], ["done\n", "done\n"], a.stderr + b.stderr);
    assertEquals((await cli(["state", "get", "n"], { cwd: home, env })).stdout, "10000\n");
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

/** Lines of the side file the writer logs each acknowledged write to. */
async function acknowledged(file: string): Promise<number[]> {
  let text = "";
  try {
    text = await Deno.readTextFile(file);
  } catch {
    return [];
  }
  // The last line may be cut off by the kill: only whole lines count.
  return text.split("\n").slice(0, -1).map(Number);
}

Deno.test("State: kill -9 in the middle of writes, 20 times: integrity_check ok, every acknowledged write present", async () => {
  const home = await tempDir();
  const env = { LLMSPELL_HOME: home };
  const script = `${home}/writer.lua`;
  // Each write: a value of some size, then its number on the side file (after State.set
  // returned, so every logged write was acknowledged). Trials write different keys.
  await Deno.writeTextFile(
    script,
    `local trial, log = ARGS[1], assert(io.open(ARGS[2], "a"))
for i = 1, 1e9 do
  State.set(trial .. ":" .. i, { i = i, pad = string.rep("v", (i * 37) % 3000) })
  log:write(i, "\\n")
end`,
  );
  try {
    for (let trial = 0; trial < 20; trial++) {
      const side = `${home}/ack${trial}.txt`;
      const child = cliCommand(["run", script, "--", `t${trial}`, side], { cwd: home, env })
        .spawn();
      // Kill after a varying number of acknowledged writes (5 to 195).
      const after = 5 + (trial * 47) % 191;
      const reached = await until(async () => (await acknowledged(side)).length >= after, 60_000);
      child.kill("SIGKILL");
      const status = await child.status;
      await child.stdout.cancel();
      await child.stderr.cancel();
      assert(reached, `trial ${trial}: the writer did not reach ${after} writes`);
      assertEquals(status.signal, "SIGKILL", `trial ${trial}`);

      const acked = await acknowledged(side);
      const db = new DatabaseSync(`${home}/data/llmspell.db`);
      try {
        assertEquals(db.prepare("PRAGMA integrity_check").get()?.integrity_check, "ok");
        const stored = new Set(
          db.prepare("SELECT key FROM state WHERE scope = 'global' AND key LIKE ?")
            .all(`t${trial}:%`).map((r) => r.key as string),
        );
        const missing = acked.filter((i) => !stored.has(`t${trial}:${i}`));
        assertEquals(missing, [], `trial ${trial}: acknowledged writes missing`);
      } finally {
        db.close();
      }
    }
    // The database is still usable by State after the kills.
    const r = await cli(["exec", 'State.set("after", 1) print(#State.list())'], { cwd: home, env });
    assertEquals(r.code, 0, r.stderr);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
