/**
 * Acceptance: Debian's `jupyter console` runs llmspell code in a real terminal (tmux),
 * both with a kernel it starts from our installed kernelspec (`--kernel llmspell`) and on
 * a `kernel start --daemon` kernel (`--existing FILE`).
 */
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { cli, tempDir } from "../helpers/cli.ts";
import { Tmux } from "../helpers/tmux.ts";
import { gone, jupyterEnv, kernelMetas, killKernels, until } from "./helpers.ts";

const JUPYTER = "/usr/bin/jupyter";
/** jupyter console (Python) and the kernel (deno) both start cold: be generous. */
const START_MS = 30_000;
/** A bound for a loaded 2-core machine running the suite in parallel, not an expectation. */
const STEP_MS = 30_000;

/** Runs `x = 6*7`, then `x`, and waits for `Out[n]: 42`. */
async function sixTimesSeven(t: Tmux): Promise<void> {
  await t.type("x = 6*7");
  await t.send("Enter");
  await t.waitFor(/In \[\d+\]: x = 6\*7\s+In \[\d+\]:/, STEP_MS);
  await t.type("x");
  await t.send("Enter");
  await t.waitFor(/Out\[\d+\]: 42/, STEP_MS);
  await t.type("print('hi from ' .. _VERSION)");
  await t.send("Enter");
  await t.waitFor(/^hi from Lua 5\.4$/m, STEP_MS);
}

/** Ctrl+D, then confirms ("Do you really want to exit ([y]/n)?"); waits for the exit. */
async function leave(t: Tmux): Promise<void> {
  await t.send("C-d");
  await t.waitFor("really want to exit", STEP_MS);
  await t.send("y", "Enter");
  const status = await t.waitExit(STEP_MS);
  // tmux does not always record the status (see Tmux.exitStatus); when it does, it is 0.
  assert(status === null || status === 0, `jupyter console exited with ${status}`);
}

Deno.test("jupyter console --kernel llmspell (kernelspec from `kernel install --user`) runs code in a terminal", async () => {
  const dir = await tempDir();
  const home = `${dir}/home`;
  const env = jupyterEnv(dir, home);
  const install = await cli(["kernel", "install", "--user", "--output", "json"], { env });
  assertEquals(install.code, 0, install.stderr);
  assertEquals(
    JSON.parse(install.stdout).path,
    `${env.JUPYTER_DATA_DIR}/kernels/llmspell/kernel.json`,
  );
  let t: Tmux | undefined;
  try {
    t = await Tmux.start([JUPYTER, "console", "--kernel", "llmspell"], { env, cwd: dir });
    const banner = await t.waitFor(/In \[1\]:/, START_MS);
    assertStringIncludes(banner, "Lua 5.4 kernel");
    // Launched by Jupyter, the kernel prints nothing into the console's terminal.
    assert(!/kernel \S+ ready|connection file:/.test(banner), banner);
    await sixTimesSeven(t);
    const [k] = await kernelMetas(home);
    assert(k && !gone(k.pid), "jupyter console started an llmspell kernel");
    // Leaving shuts its own kernel down: the process ends and removes its meta file.
    await leave(t);
    assert(await until(() => gone(k.pid), STEP_MS), "the kernel exits with the console");
    assert(await until(async () => (await kernelMetas(home)).length === 0, STEP_MS));
  } finally {
    await t?.kill();
    await killKernels(home);
  }
});

Deno.test("jupyter console --existing FILE runs code on a `kernel start --daemon` kernel", async () => {
  const dir = await tempDir();
  const home = `${dir}/home`;
  const env = jupyterEnv(dir, home);
  let t: Tmux | undefined;
  let pid: number | undefined;
  try {
    const started = await cli(["kernel", "start", "--daemon", "--output", "json"], { env });
    assertEquals(started.code, 0, started.stderr);
    const k = JSON.parse(started.stdout) as { id: string; pid: number; connection_file: string };
    pid = k.pid;
    t = await Tmux.start([JUPYTER, "console", "--existing", k.connection_file], {
      env,
      cwd: dir,
    });
    await t.waitFor(/In \[1\]:/, START_MS);
    await sixTimesSeven(t);
    // The console left the kernel running, with the state it made.
    await leave(t);
    assert(!gone(k.pid), "an --existing console leaves the kernel running");
    const x = await cli(["exec", "--connect", k.id, "x"], { env });
    assertEquals(x.stdout, "42\n", x.stderr);
    const stop = await cli(["kernel", "stop", k.id], { env });
    assertEquals(stop.code, 0, stop.stderr);
    assert(await until(() => gone(k.pid), STEP_MS));
  } finally {
    await t?.kill();
    await killKernels(home, pid ? [pid] : []);
  }
});
