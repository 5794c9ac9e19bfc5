/**
 * Cells that never reach a Lua hook (ARCHITECTURE.md §1): C code that never returns to Lua
 * (`table.move` over 2^40 empty slots) cannot be stopped inside the process, so the kernel
 * replaces its process (same pid, same connection file and ports) after
 * kernel.interrupt_grace_ms and says so. The pattern matcher and Lua code in a `__gc`
 * metamethod (where Lua turns hooks off) reach the interrupt check (engine/vm/interrupt_trap.ts):
 * they are interrupted like Lua code and the Lua state survives. Embedded, exec/run end at
 * Ctrl+C and the REPL starts a fresh engine.
 */
import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import { cli, cliCommand, readUntil, tempDir } from "../helpers/cli.ts";
import { driver, kernelMetas, killKernels, startKernel } from "./helpers.ts";

/** Prints "looping", then stays in C for hours (moving nils does not allocate). */
const C_LOOP = 'print("looping") io.stdout:flush() table.move({}, 1, 1 << 40, 2)';
/** Prints "looping" from inside the finalizer, where Lua turns hooks off, then loops. */
const GC_LOOP = 'setmetatable({}, {__gc = function() print("looping") io.stdout:flush() ' +
  "while true do end end}) collectgarbage()";
/** Prints "matching", then runs a pattern that backtracks for hours. */
const PATTERN = 'print("matching") io.stdout:flush() ' +
  'string.find(string.rep("a", 5000), ".-.-.-.-b")';
const RESTARTED =
  "the kernel did not respond to the interrupt within 2 s and was restarted; Lua state was lost";

/** CPU time (clock ticks, 1/100 s) a process has used so far. */
function cpuTicks(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(f[11]) + Number(f[12]);
}

Deno.test("wedge: an interrupted C loop restarts the kernel process: error reply, IOPub restarting → starting → idle, then 1+1 on the same connection file, pid and ports; no core left spinning", async () => {
  const k = await startKernel();
  try {
    const before = await Deno.readTextFile(k.connectionFile);
    const r = await driver(["wedged", k.connectionFile, C_LOOP, "interrupt", "looping"]);
    assertEquals(r.code, 0, r.stderr + r.stdout);
    const j = r.json as Record<string, unknown>;
    assertEquals([j.status, j.ename, j.evalue], ["error", "Interrupted", RESTARTED]);
    assertEquals(j.iopub_errors, [RESTARTED]);
    // The cell's idle, then the restart, then the new process image's start.
    assertEquals(j.states, ["idle", "restarting", "starting", "idle"]);
    assertEquals(j.after, "2");
    assertEquals(j.kept, null, "the Lua state is new");
    assert((j.elapsed as number) < 10, `the reply took ${j.elapsed} s`);
    // The same process (execve), files and ports: nothing for clients or tools to rediscover.
    assertEquals(await Deno.readTextFile(k.connectionFile), before);
    const metas = await kernelMetas(k.home);
    assertEquals(metas.map((m) => [m.id, m.pid]), [[k.id, k.child.pid]]);
    // The spinning worker went with the old image.
    const t0 = cpuTicks(k.child.pid);
    await new Promise((r) => setTimeout(r, 1000));
    const used = cpuTicks(k.child.pid) - t0;
    assert(used < 30, `the kernel used ${used} ticks of CPU in 1 s while idle`);
  } finally {
    const status = await k.stop();
    assertEquals(status.code, 0, "SIGTERM still ends the kernel after the restart");
    await killKernels(k.home, [k.child.pid]);
  }
});

Deno.test("wedge: requests sent the moment the wedged cell's error reply comes, before the process is replaced, are answered by the new image: a cell, a completion, a control kernel_info", async () => {
  const k = await startKernel();
  try {
    const r = await driver(["wedged_next", k.connectionFile, C_LOOP, "looping"]);
    assertEquals(r.code, 0, r.stderr + r.stdout);
    const j = r.json as Record<string, unknown>;
    assertEquals(j.wedged, "error");
    // The old image read them and held them for the new one, which runs the cell in its
    // fresh Lua state: nothing lost, nothing answered twice.
    assertEquals([j.cell, j.cell_image, j.result], ["ok", "new", "42"]);
    assertEquals(j.completion_image, "new");
    assertEquals(j.completion, ["rep"]);
    assertEquals([j.kernel_info, j.kernel_info_image], ["ok", "new"]);
    assertEquals(j.kept, null, "the Lua state is new");
    // The file that carried them from one image to the next is gone.
    const left = [];
    for await (const e of Deno.readDir(`${k.home}/run`)) left.push(e.name);
    assertEquals(left.filter((n) => n.endsWith(".requests")), []);
  } finally {
    await k.stop();
    await killKernels(k.home, [k.child.pid]);
  }
});

Deno.test("wedge: a C loop that outlives its time limit (timeout_ms) restarts the kernel process the same way", async () => {
  const home = await tempDir();
  await Deno.writeTextFile(`${home}/llmspell.toml`, "[engines.lua]\ntimeout_ms = 300\n");
  const k = await startKernel([], { home });
  try {
    const r = await driver(["wedged", k.connectionFile, C_LOOP, "none", "looping"]);
    assertEquals(r.code, 0, r.stderr + r.stdout);
    const j = r.json as Record<string, unknown>;
    const said = "the kernel did not stop at its time limit within 2 s and was restarted; " +
      "Lua state was lost";
    assertEquals([j.status, j.ename, j.evalue], ["error", "Timeout", said]);
    assertEquals(j.states, ["idle", "restarting", "starting", "idle"]);
    assertEquals(j.after, "2");
  } finally {
    await k.stop();
    await killKernels(k.home, [k.child.pid]);
  }
});

Deno.test("wedge: a runaway pattern and a loop in a __gc metamethod are interrupted like Lua code and the Lua state survives", async () => {
  const k = await startKernel();
  try {
    for (const [code, ready] of [[PATTERN, "matching"], [GC_LOOP, "looping"]]) {
      const r = await driver(["interrupt", k.connectionFile, code, ready]);
      assertEquals(r.code, 0, r.stderr + r.stdout);
      const j = r.json as Record<string, unknown>;
      assertEquals([j.status, j.ename, j.after], ["error", "Interrupted", "42"], code);
      assert((j.elapsed as number) < 1.5, `the interrupt took ${j.elapsed} s: ${code}`);
    }
    // Finalizers still run (hooks in them were let through only for pokes).
    const r = await driver([
      "exec",
      k.connectionFile,
      "x = 0 setmetatable({}, {__gc = function() x = 1 end}) collectgarbage() return x",
    ]);
    assertEquals((r.json as { cells: { result: string }[] }).cells[0].result, "1");
  } finally {
    await k.stop();
    await killKernels(k.home, [k.child.pid]);
  }
});

Deno.test("wedge: `kernel restart` of a daemon kernel stuck in a C loop returns 0 once the kernel runs code again; the cell says what happened", async () => {
  const home = await tempDir();
  const env = { LLMSPELL_HOME: home };
  const started = await cli(["kernel", "start", "--daemon", "--output", "json"], { env });
  assertEquals(started.code, 0, started.stderr);
  const k = JSON.parse(started.stdout) as { id: string; pid: number };
  try {
    const stuck = cliCommand(["exec", "--connect", k.id, C_LOOP], { env }).spawn();
    const stuckErr = new Response(stuck.stderr).text();
    const reader = stuck.stdout.getReader();
    await readUntil(reader, "looping\n");
    const t0 = Date.now();
    const restarted = await cli(["kernel", "restart", k.id], { env });
    assertEquals(restarted.code, 0, restarted.stderr);
    assertEquals(restarted.stderr, `kernel ${k.id} restarted\n`);
    assert(Date.now() - t0 >= 2000, "it waited for the grace time and the new process");
    // Answered at once: restart returned only when the kernel ran code again.
    const after = await cli(["exec", "--connect", k.id, "1 + 1"], { env });
    assertEquals([after.code, after.stdout], [0, "2\n"]);
    assertEquals((await stuck.status).code, 1);
    await reader.cancel();
    assertEquals(
      await stuckErr,
      "error: the kernel did not respond to the restart within 2 s and was restarted; " +
        "Lua state was lost\n",
    );
    const metas = await kernelMetas(home);
    assertEquals(metas.map((m) => m.pid), [k.pid]);
    // Its uptime goes on from the first start (more than the 2 s of grace ago).
    const st = await cli(["kernel", "status", k.id, "--output", "json"], { env });
    const row = JSON.parse(st.stdout)[0];
    assertEquals([row.pid, row.state], [k.pid, "idle"]);
    assert(row.uptime_s >= 2, `uptime ${row.uptime_s} s`);
  } finally {
    const stop = await cli(["kernel", "stop", k.id], { env });
    assertEquals(stop.code, 0, stop.stderr);
    await killKernels(home, [k.pid]);
  }
});

Deno.test("wedge: `kernel restart` of a kernel that does not answer fails (exit 1) within --timeout", async () => {
  const home = await tempDir();
  const env = { LLMSPELL_HOME: home };
  const started = await cli(["kernel", "start", "--daemon", "--output", "json"], { env });
  assertEquals(started.code, 0, started.stderr);
  const k = JSON.parse(started.stdout) as { id: string; pid: number };
  Deno.kill(k.pid, "SIGSTOP");
  try {
    const t0 = Date.now();
    const r = await cli(["kernel", "restart", k.id, "--timeout", "2"], { env });
    assertEquals(r.code, 1, r.stderr);
    assertMatch(r.stderr, new RegExp(`^error: kernel ${k.id} did not accept the restart: `));
    assert(!r.stderr.includes("restarted"), r.stderr);
    assert(Date.now() - t0 < 15_000, "bounded by --timeout");
  } finally {
    Deno.kill(k.pid, "SIGCONT");
    await cli(["kernel", "stop", k.id], { env });
    await killKernels(home, [k.pid]);
  }
});

Deno.test("wedge: Ctrl+C ends `exec` stuck in a C loop with 130 at once", async () => {
  const home = await tempDir();
  const child = cliCommand(["exec", C_LOOP], {
    env: { LLMSPELL_HOME: home },
  }).spawn();
  const reader = child.stdout.getReader();
  await readUntil(reader, "looping\n");
  reader.releaseLock();
  const t0 = Date.now();
  child.kill("SIGINT");
  const status = await child.status;
  await child.stdout.cancel().catch(() => {});
  await child.stderr.cancel().catch(() => {});
  assertEquals(status.code, 130);
  assert(Date.now() - t0 < 2000, `exit took ${Date.now() - t0} ms`);
});

Deno.test("wedge: the embedded REPL gives up a C loop after an interrupt and goes on with a fresh Lua state", async () => {
  const home = await tempDir();
  const child = cliCommand(["repl"], { env: { LLMSPELL_HOME: home }, piped: true }).spawn();
  const w = child.stdin.getWriter();
  const enc = new TextEncoder();
  await w.write(enc.encode(`x = 5\n${C_LOOP}\n`));
  const reader = child.stdout.getReader();
  let out = await readUntil(reader, "looping\n");
  reader.releaseLock();
  const t0 = Date.now();
  child.kill("SIGINT");
  await w.write(enc.encode("print(x)\nprint(1 + 1)\n"));
  await w.close();
  const rest = await child.output();
  out += new TextDecoder().decode(rest.stdout);
  assertEquals(rest.code, 0);
  assertEquals(out, "looping\nnil\n2\n");
  assertEquals(
    new TextDecoder().decode(rest.stderr),
    "error: Lua did not respond to the interrupt within 2 s; its state was lost and a fresh one " +
      "started\n",
  );
  assert(Date.now() - t0 < 15_000);
});
