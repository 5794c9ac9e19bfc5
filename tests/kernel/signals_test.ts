/**
 * Signals to a `kernel start` process: SIGINT interrupts the running cell, SIGTERM shuts
 * down gracefully (the running cell answered, files removed), SIGHUP reloads the config.
 * And the ipc transport, driven by jupyter_client.
 */
import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import { tempDir } from "../helpers/cli.ts";
import { driver, kernelMetas, startKernel, until } from "./helpers.ts";

const exists = (p: string) => Deno.stat(p).then(() => true, () => false);

/** Resolves with the status, or rejects after `ms`. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
    }),
  ]);
}

Deno.test("SIGINT to `kernel start` interrupts the running cell (error reply); globals survive", async () => {
  const k = await startKernel();
  try {
    const r = await driver(["sigint", k.connectionFile, String(k.child.pid)]);
    assertEquals(r.code, 0, r.stderr + r.stdout);
    const j = r.json as Record<string, unknown>;
    assertEquals([j.status, j.ename, j.after], ["error", "Interrupted", "42"]);
    assert((j.elapsed as number) < 2, `SIGINT took ${j.elapsed} s`);
  } finally {
    await k.stop();
  }
});

Deno.test("SIGTERM during a running cell: the cell is interrupted and answered, the kernel exits 0, its files are removed", async () => {
  const k = await startKernel();
  try {
    const [meta] = await kernelMetas(k.home);
    assertEquals(meta.pid, k.child.pid);
    const r = await driver(["sigterm", k.connectionFile, String(k.child.pid)]);
    assertEquals(r.code, 0, r.stderr + r.stdout);
    assertEquals(r.json, { status: "error", ename: "Interrupted" });
    const status = await within(k.child.status, 10_000, "exit after SIGTERM");
    assertEquals([status.success, status.code, status.signal], [true, 0, null]);
    assertEquals(await exists(k.connectionFile), false, "connection file removed");
    assertEquals(await kernelMetas(k.home), [], "meta file removed");
  } finally {
    await k.stop();
  }
});

Deno.test("SIGHUP reloads the config: a bad file is refused and logged, a good one takes effect (idle timeout)", async () => {
  const home = await tempDir();
  const log = `${home}/kernel.log`;
  const config = `${home}/llmspell.toml`;
  await Deno.writeTextFile(config, "[kernel]\nidle_timeout_s = 0\n");
  const k = await startKernel(["--log-file", log, "--trace", "info"], { home });
  const logged = (re: RegExp) => until(async () => re.test(await Deno.readTextFile(log)), 10_000);
  try {
    assert(await logged(/serving on/), "the kernel logs at info");
    // A broken file: not reloaded, the kernel keeps serving with the old config.
    await Deno.writeTextFile(config, "[kernel\n");
    Deno.kill(k.child.pid, "SIGHUP");
    assert(await logged(/\[warn\] SIGHUP: configuration not reloaded: /), "refusal logged");
    const ok = await driver(["exec", k.connectionFile, "return 1 + 1"]);
    assertEquals((ok.json as { cells: { result: string }[] }).cells[0].result, "2", ok.stderr);
    // A good one: kernel.idle_timeout_s = 1 now applies, so the idle kernel shuts down.
    await Deno.writeTextFile(config, "[kernel]\nidle_timeout_s = 1\n");
    Deno.kill(k.child.pid, "SIGHUP");
    const status = await within(k.child.status, 10_000, "idle shutdown after SIGHUP");
    assertEquals(status.code, 0);
    const text = await Deno.readTextFile(log);
    assertMatch(text, /\[info\] SIGHUP: configuration reloaded from .*llmspell\.toml\n/);
    assertMatch(text, /\[info\] idle for 1 s: shutting down\n/);
    assertEquals(await exists(k.connectionFile), false);
  } finally {
    await k.stop();
  }
});

Deno.test("kernel start --transport ipc: jupyter_client connects over Unix sockets and runs cells", async () => {
  const k = await startKernel(["--transport", "ipc"]);
  let sockets: string[] = [];
  try {
    const info = JSON.parse(await Deno.readTextFile(k.connectionFile));
    assertEquals(info.transport, "ipc");
    sockets = [1, 2, 3, 4, 5].map((p) => `${info.ip}-${p}`);
    for (const s of sockets) assert((await Deno.stat(s)).isSocket, s);
    const r = await driver(["exec", k.connectionFile, "y = 6*7", "print(y) return y + 1"]);
    assertEquals(r.code, 0, r.stderr + r.stdout);
    assertEquals(r.json, {
      transport: "ipc",
      cells: [
        { status: "ok", stdout: "", result: null },
        { status: "ok", stdout: "42\n", result: "43" },
      ],
    });
  } finally {
    await k.stop();
  }
  for (const s of sockets) assertEquals(await exists(s), false, `${s} removed`);
});
