/**
 * A kernel follows its configuration file: SIGHUP applies what a running engine can take
 * (the time limit, from the next cell) and `kernel restart` starts the engine with the
 * configuration as it is then (sandbox, memory), through jupyter_client and the real CLI.
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import { cli } from "../helpers/cli.ts";
import { driver, KERNEL_DIR, startKernel, until } from "./helpers.ts";

const CONTROL = `${KERNEL_DIR}driver_control.py`;

interface Cell {
  status: string;
  ename: string | null;
  evalue: string | null;
  result: string | null;
  elapsed: number;
}

async function cells(connectionFile: string, ...code: string[]): Promise<Cell[]> {
  const r = await driver(["cells", connectionFile, ...code], {}, CONTROL);
  assertEquals(r.code, 0, r.stderr);
  return (r.json as { cells: Cell[] }).cells;
}

const CONFIG = '[engines.lua]\ntimeout_ms = 500\nsecurity_level = "unrestricted"\n';

Deno.test("SIGHUP applies timeout_ms to the next cell; the sandbox level waits for a restart", async () => {
  const k = await startKernel(["--trace", "info", "--log-file", "kernel.log"]);
  try {
    const [before] = await cells(k.connectionFile, "os.execute == nil");
    assertEquals(before.result, "true");
    await Deno.writeTextFile(`${k.home}/llmspell.toml`, CONFIG);
    Deno.kill(k.child.pid, "SIGHUP");
    const log = `${k.home}/kernel.log`;
    assert(
      await until(
        async () =>
          (await Deno.readTextFile(log).catch(() => "")).includes("SIGHUP: configuration reloaded"),
        20_000,
      ),
      await Deno.readTextFile(log).catch(() => "no log"),
    );
    const [loop, sandbox] = await cells(k.connectionFile, "while true do end", "os.execute == nil");
    assertEquals([loop.status, loop.ename, loop.evalue], [
      "error",
      "Timeout",
      "timed out after 0.5 s",
    ]);
    assert(loop.elapsed < 15, `the cell took ${loop.elapsed} s`);
    assertEquals(sandbox.result, "true"); // still "safe": the engine was made so

    const restart = await cli(["kernel", "restart", k.id], {
      cwd: k.home,
      env: { LLMSPELL_HOME: k.home },
    });
    assertEquals(restart.code, 0, restart.stderr);
    const [after, loop2] = await cells(k.connectionFile, "os.execute == nil", "while true do end");
    assertEquals(after.result, "false"); // unrestricted now
    assertEquals(loop2.ename, "Timeout");
  } finally {
    await k.stop();
  }
});

Deno.test("kernel restart starts the engine with the configuration as it is now", async () => {
  const k = await startKernel();
  try {
    await Deno.writeTextFile(`${k.home}/llmspell.toml`, CONFIG);
    const restart = await cli(["kernel", "restart", k.id], {
      cwd: k.home,
      env: { LLMSPELL_HOME: k.home },
    });
    assertEquals(restart.code, 0, restart.stderr);
    const [loop, sandbox] = await cells(k.connectionFile, "while true do end", "os.execute == nil");
    assertEquals([loop.status, loop.ename, loop.evalue], [
      "error",
      "Timeout",
      "timed out after 0.5 s",
    ]);
    assertEquals(sandbox.result, "false");
  } finally {
    await k.stop();
  }
});
