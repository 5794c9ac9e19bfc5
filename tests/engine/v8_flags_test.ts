/**
 * The V8 flags of src/engine/host/v8_flags.ts: every way of running llmspell passes them, and the
 * tiering budget keeps the engine's own start-up from sending Lua's VM to V8's optimizing
 * compiler while a script that computes still gets it optimized.
 */
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { MAIN } from "../helpers/cli.ts";
import { V8_FLAGS, V8_FLAGS_ARG } from "../../src/engine/host/v8_flags.ts";
import { selfCommand } from "../../src/kernel/kernelspec.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

Deno.test("every way of running llmspell passes the V8 flags", async () => {
  const install = await Deno.readTextFile(`${ROOT}install.sh`);
  assertStringIncludes(install, `V8_FLAGS="${V8_FLAGS_ARG}"`);
  assertStringIncludes(install, '--cached-only $V8_FLAGS "$ROOT/dist/cli/main.js"');
  assertStringIncludes(install, 'compile -A "$V8_FLAGS"');
  const tasks = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)).tasks;
  assertStringIncludes(tasks.compile, `deno compile -A ${V8_FLAGS_ARG} `);
  assertStringIncludes(tasks.start, `deno run -A ${V8_FLAGS_ARG} `);
  // The kernelspec of a `deno run` install (this test runs under deno).
  assert(selfCommand().includes(V8_FLAGS_ARG), selfCommand().join(" "));
});

/**
 * The wasm functions V8 recompiled with TurboFan while `exec CODE` ran. Tier-up jobs run
 * synchronously here, so none is still pending when the process exits.
 */
async function optimizedFunctions(flags: readonly string[], code: string): Promise<string[]> {
  const v8 = [...flags, "--wasm-sync-tier-up", "--trace-wasm-compilation-times"];
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", `--v8-flags=${v8.join(",")}`, MAIN, "exec", code],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assertEquals(out.code, 0, text + new TextDecoder().decode(out.stderr));
  return [...text.matchAll(/^Compiled function \S*#(\d+) using TurboFan/gm)].map((m) => m[1]);
}

Deno.test("with the V8 flags, exec 'print(1)' runs no optimizing compile; V8's default budget would", async () => {
  assertEquals(await optimizedFunctions(V8_FLAGS, "print(1)"), []);
  const defaultBudget = V8_FLAGS.filter((f) => !f.startsWith("--wasm-tiering-budget="));
  assert(defaultBudget.length < V8_FLAGS.length, "V8_FLAGS sets no tiering budget");
  assert((await optimizedFunctions(defaultBudget, "print(1)")).length > 0);
});

Deno.test("with the V8 flags, a script that computes still has Lua's VM optimized", async () => {
  const loop = "local x = 0 for i = 1, 100000 do x = x + i end print(x)";
  assert((await optimizedFunctions(V8_FLAGS, loop)).length > 0);
});
