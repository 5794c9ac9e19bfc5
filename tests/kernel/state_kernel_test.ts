/**
 * State in a real kernel (jupyter_client), sharing its database with `llmspell state` and
 * `llmspell run` processes at the same time: values written by one are read exactly by the
 * others, the CLI works while the kernel writes, and no update is lost between them.
 */
import { assertEquals } from "../helpers/assert.ts";
import { cli } from "../helpers/cli.ts";
import { driver, KERNEL_DIR, startKernel } from "./helpers.ts";

const CELLS = `${KERNEL_DIR}state_driver.py`;

interface Cell {
  status: string;
  stdout: string;
  stderr: string;
  error: string | null;
}

async function cells(connectionFile: string, ...code: string[]): Promise<Cell[]> {
  // A safety net only: a cell below runs until twenty CLI processes are done, which takes
  // minutes on a loaded two-core machine.
  const r = await driver([connectionFile, ...code], { STATE_DRIVER_TIMEOUT: "600" }, CELLS);
  if (!Array.isArray(r.json)) throw new Error(`driver failed: ${r.stdout}\n${r.stderr}`);
  return r.json as Cell[];
}

/** Lua: waits until the State key `name` exists (a barrier between processes). */
const WAIT_FOR = (name: string) => `while not State.exists(${JSON.stringify(name)}) do end`;

Deno.test("kernel: values round-trip exactly between a kernel, llmspell state and llmspell run", async () => {
  const k = await startKernel();
  const env = { LLMSPELL_HOME: k.home };
  try {
    const [set] = await cells(
      k.connectionFile,
      String.raw`local t = {} for i = 0, 255 do t[#t + 1] = string.char(i) end
State.set("from_kernel", {bytes = table.concat(t), n = 3, f = 3.0, list = {"a", {true}}})
print("ok")`,
    );
    assertEquals(set.stdout, "ok\n", JSON.stringify(set));
    const got = await cli(["state", "get", "from_kernel", "--output", "json"], { env });
    const doc = JSON.parse(got.stdout);
    assertEquals(
      doc.bytes.$bytes,
      btoa(String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i))),
    );
    assertEquals(doc.list, ["a", [true]]);
    assertEquals(/"f": 3\.0/.test(got.stdout) && /"n": 3,?\n/.test(got.stdout), true, got.stdout);

    assertEquals(
      (await cli(["state", "set", "from_cli", '{"x": 1.5, "y": [1, 2]}'], { env })).code,
      0,
    );
    const run = await cli([
      "exec",
      'local v = State.get("from_kernel") print(#v.bytes, math.type(v.f))',
    ], {
      env,
      cwd: k.home,
    });
    assertEquals(run.stdout, "256\tfloat\n", run.stderr);
    const [read] = await cells(
      k.connectionFile,
      'local v = State.get("from_cli") print(v.x, math.type(v.y[2]), State.load("global", "from_kernel").n)',
    );
    assertEquals(read.stdout, "1.5\tinteger\t3\n", JSON.stringify(read));
  } finally {
    await k.stop();
    await Deno.remove(k.home, { recursive: true });
  }
});

Deno.test("kernel: llmspell state commands work while the kernel writes to the same database", async () => {
  const k = await startKernel();
  const env = { LLMSPELL_HOME: k.home };
  try {
    // The kernel writes until the CLI says it is done (a key the CLI sets last).
    const writing = cells(
      k.connectionFile,
      `local i = 0
while not State.exists("cli_done") do
  i = i + 1
  State.set("w" .. (i % 20), {i = i, pad = string.rep("x", 500)})
  if i == 1 then State.set("kernel_started", true) end
end
print(i > 1)`,
    );
    await cli(["exec", WAIT_FOR("kernel_started")], { env, cwd: k.home });
    const results: number[] = [];
    for (let n = 0; n < 5; n++) {
      results.push((await cli(["state", "list"], { env })).code);
      results.push((await cli(["state", "get", "w1", "--output", "json"], { env })).code);
      results.push((await cli(["state", "set", `cli${n}`, `${n}`], { env })).code);
      results.push((await cli(["state", "export", `${k.home}/dump${n}.json`], { env })).code);
    }
    assertEquals((await cli(["state", "set", "cli_done", "true"], { env })).code, 0);
    assertEquals(results, results.map(() => 0));
    const [done] = await writing;
    assertEquals(done.stdout, "true\n", JSON.stringify(done));
    const list = (await cli(["state", "list", "cli"], { env })).stdout;
    assertEquals(list, "cli0\ncli1\ncli2\ncli3\ncli4\ncli_done\n");
  } finally {
    await k.stop();
    await Deno.remove(k.home, { recursive: true });
  }
});

Deno.test("kernel: State.update from a kernel and from a run at the same time loses no update", async () => {
  const k = await startKernel();
  const env = { LLMSPELL_HOME: k.home };
  const N = 500;
  // Each side says it has started and waits for the other, so the two loops overlap.
  const loop = (me: string, other: string) =>
    `State.set(${JSON.stringify(me)}, true) ${WAIT_FOR(other)}
for i = 1, ${N} do State.update("u", function(v) return (v or 0) + 1 end) end
print("done")`;
  try {
    const [kernel, run] = await Promise.all([
      cells(k.connectionFile, loop("kernel_in", "run_in")),
      cli(["exec", loop("run_in", "kernel_in")], { env, cwd: k.home }),
    ]);
    assertEquals(kernel[0].stdout, "done\n", JSON.stringify(kernel));
    assertEquals(run.stdout, "done\n", run.stderr);
    assertEquals((await cli(["state", "get", "u"], { env })).stdout, `${2 * N}\n`);
  } finally {
    await k.stop();
    await Deno.remove(k.home, { recursive: true });
  }
});
