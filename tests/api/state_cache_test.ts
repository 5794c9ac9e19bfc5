/**
 * The worker answers a State.get it has asked before itself while the database is unchanged
 * (src/engine/worker/answer_cache.ts, docs/decisions/0027): so a loop of State.get must still
 * see, at its next call, a write that another process made.
 */
import { assertEquals } from "../helpers/assert.ts";
import { cli, cliCommand, readUntil, tempDir } from "../helpers/cli.ts";

Deno.test("State.get and State.exists in a loop see another process's writes at their next call, and again after more reads", async () => {
  const home = await tempDir();
  const env = { LLMSPELL_HOME: home };
  const set = async (key: string, json: string) => {
    const r = await cli(["state", "set", key, json], { cwd: home, env });
    assertEquals(r.code, 0, r.stderr);
  };
  await set("go", "0");
  // Each loop says once that it runs (after its first thousand reads), then waits for the
  // value another process writes.
  const script = `local function wait(done, label)
  local n = 0
  while not done() do
    n = n + 1
    if n == 1000 then print(label) end
  end
  return n >= 1000
end
local a = wait(function() return State.get("go") ~= 0 end, "waiting for 1")
local b = wait(function() return State.get("go") == 2 end, "waiting for 2")
local c = wait(function() return State.exists("flag") end, "waiting for flag")
print("saw", State.get("go"), a, b, c)`;
  const child = cliCommand(["exec", script], { cwd: home, env }).spawn();
  const out = child.stdout.getReader();
  // A safety net only: a loop that never sees the write fails the test here.
  const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
  try {
    await readUntil(out, "waiting for 1");
    await set("go", "1");
    await readUntil(out, "waiting for 2");
    await set("go", "2");
    await readUntil(out, "waiting for flag");
    await set("flag", "true");
    const rest = await readUntil(out, "saw");
    const status = await child.status;
    assertEquals(rest.trim(), "saw\t2\ttrue\ttrue\ttrue");
    assertEquals(status.code, 0);
  } finally {
    clearTimeout(timer);
    out.releaseLock();
    await child.stdout.cancel();
    await child.stderr.cancel();
    await Deno.remove(home, { recursive: true });
  }
});
