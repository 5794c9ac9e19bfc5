/**
 * State under concurrency and crashes, through real processes: two processes incrementing
 * one key lose no increment; a process killed with SIGKILL in the middle of a stream of
 * writes leaves a sound database holding every write it had acknowledged.
 */
import { DatabaseSync } from "node:sqlite";
import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
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

/**
 * Mounts a tmpfs of `size` at `dir` (CI runs as root: .ci/run). Not being able to is a
 * failure, not a reason to skip: the full-disk path must be tested.
 */
async function mountSmallDisk(dir: string, size: string): Promise<void> {
  if (Deno.uid() !== 0) {
    throw new Error(
      "the full-disk test mounts a small tmpfs and needs root (CI runs as root: .ci/run); run the tests as root",
    );
  }
  const r = await new Deno.Command("mount", {
    args: ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (r.code !== 0) {
    throw new Error(
      `mount -t tmpfs -o size=${size} failed (${new TextDecoder().decode(r.stderr).trim()}): ` +
        "the full-disk test needs to mount a small tmpfs (root with CAP_SYS_ADMIN)",
    );
  }
}

Deno.test("State: a full disk is a clear error, and the database stays usable: reads work, earlier writes kept, writes work again once space is freed", async () => {
  const home = await tempDir();
  const disk = `${home}/disk`;
  await Deno.mkdir(disk);
  await mountSmallDisk(disk, "1m");
  const env = { LLMSPELL_HOME: disk };
  const run = (args: string[]) => cli(args, { cwd: home, env });
  try {
    const early = await run(["exec", 'State.set("early", "kept") State.set("n", 41)']);
    assertEquals(early.code, 0, early.stderr);
    // Room to give back later: the disk is full once the writes below have taken the rest.
    await Deno.writeFile(`${disk}/ballast`, new Uint8Array(256 * 1024));

    // Each write is logged after State.set returned: every logged one was acknowledged.
    await Deno.writeTextFile(
      `${home}/fill.lua`,
      `for i = 1, 1e6 do
  State.set("fill:" .. i, string.rep("x", 3000))
  io.write(i, "\\n")
end`,
    );
    const fill = await run(["run", "fill.lua"]);
    assertEquals(fill.code, 1, fill.stdout.slice(-200));
    assertMatch(
      fill.stderr,
      /fill\.lua:2: State\.set: the disk holding \S+llmspell\.db is full \(database or disk is full\) \[store_full\] \(free some space there: nothing was written, and the database is usable as it was\)/,
    );
    const acked = fill.stdout.split("\n").filter((l) => l !== "").map(Number);
    assert(acked.length > 10, `only ${acked.length} writes before the disk was full`);

    // Still full: reads work, a write fails the same clear way.
    const read = await run(["exec", 'print(State.get("early"), State.get("n"), #State.list())']);
    assertEquals([read.code, read.stdout], [0, `kept\t41\t${acked.length + 2}\n`], read.stderr);
    const again = await run(["exec", 'State.set("more", string.rep("y", 100000))']);
    assertEquals(again.code, 1);
    assertMatch(again.stderr, /State\.set: the disk holding .* is full .*\[store_full\]/);
    const cmd = await run(["state", "set", "more", `"${"y".repeat(100000)}"`]);
    assertEquals(cmd.code, 1);
    assertMatch(cmd.stderr, /^error: the disk holding .* is full .*\nhint: free some space there/);

    // Space freed: writes work again, and nothing acknowledged was lost.
    await Deno.remove(`${disk}/ballast`);
    const after = await run([
      "exec",
      'State.set("after", 1) print(State.increment("n"), State.get("after"))',
    ]);
    assertEquals([after.code, after.stdout], [0, "42\t1\n"], after.stderr);
    const db = new DatabaseSync(`${disk}/data/llmspell.db`);
    try {
      assertEquals(db.prepare("PRAGMA integrity_check").get()?.integrity_check, "ok");
      const stored = new Set(
        db.prepare("SELECT key FROM state WHERE scope = 'global'").all().map((r) =>
          r.key as string
        ),
      );
      const missing = acked.filter((i) => !stored.has(`fill:${i}`));
      assertEquals(missing, [], "acknowledged writes missing");
      assert(stored.has("early") && stored.has("after"));
    } finally {
      db.close();
    }
  } finally {
    await new Deno.Command("umount", { args: [disk] }).output();
    await Deno.remove(home, { recursive: true });
  }
});
