/**
 * CLI clients notice a dead kernel: `exec`, `run` and `repl --connect` fail with
 * `kernel died` (exit 1) within seconds of a `kill -9` (its process for a kernel of this
 * machine, the heartbeat for one known only by its connection file), while a long busy
 * cell, whose kernel still answers heartbeats, is not taken for a dead kernel.
 */
import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import { cli, cliCommand, readUntil, tempDir } from "../helpers/cli.ts";
import { MAIN } from "../helpers/cli.ts";
import { Tmux } from "../helpers/tmux.ts";
import { gone, killKernels, until } from "./helpers.ts";

interface Started {
  id: string;
  pid: number;
  connection_file: string;
}

async function daemon(home: string): Promise<Started> {
  const r = await cli(["kernel", "start", "--daemon", "--output", "json"], {
    cwd: home,
    env: { LLMSPELL_HOME: home },
  });
  assertEquals(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

async function kill9(pid: number): Promise<void> {
  Deno.kill(pid, "SIGKILL");
  assert(await until(() => gone(pid), 5000), `kernel ${pid} still runs`);
}

/**
 * Runs a client whose cell prints `started` and then runs forever, kills the kernel once
 * `started` is out, and returns how the client ended and how long after the kill. A client
 * still running 30 s after the kill is killed and the test fails.
 */
async function killMidCell(
  home: string,
  args: string[],
  kernelPid: number,
): Promise<{ code: number; stderr: string; seconds: number }> {
  const child = cliCommand(args, { cwd: home, env: { LLMSPELL_HOME: home } }).spawn();
  const stderr = new Response(child.stderr).text();
  const reader = child.stdout.getReader();
  await readUntil(reader, "started\n");
  reader.releaseLock();
  child.stdout.cancel().catch(() => {});
  const killed = performance.now();
  await kill9(kernelPid);
  let hung = false;
  const timer = setTimeout(() => {
    hung = true;
    child.kill("SIGKILL");
  }, 30_000);
  const status = await child.status;
  clearTimeout(timer);
  const seconds = (performance.now() - killed) / 1000;
  assert(!hung, `llmspell ${args.join(" ")} still waited 30 s after its kernel was killed`);
  return { code: status.code, stderr: await stderr, seconds };
}

/** C code that never returns to Lua: an interrupt cannot stop it, the kernel replaces its process. */
const C_LOOP = 'print("looping") io.stdout:flush() table.move({}, 1, 1 << 40, 2)';
const FOREVER = 'print("started") io.stdout:flush() while true do end';

Deno.test("exec --connect and run --connect end with `kernel died` (exit 1) within seconds of kill -9", async () => {
  const home = await tempDir();
  await Deno.writeTextFile(`${home}/forever.lua`, FOREVER);
  try {
    for (const args of [["exec", FOREVER], ["run", "forever.lua"]]) {
      const k = await daemon(home);
      const r = await killMidCell(home, [args[0], "--connect", k.id, args[1]], k.pid);
      assertEquals(r.code, 1, r.stderr);
      assertEquals(
        r.stderr,
        `error: kernel died: its process (pid ${k.pid}) has ended\n` +
          "hint: its state is lost; `llmspell kernel status` lists the kernels that run\n",
      );
      assert(r.seconds < 10, `${args[0]}: ${r.seconds} s`);
      // Connecting to it again says at once that it is not running.
      const again = await cli(["exec", "--connect", k.id, "1"], { env: { LLMSPELL_HOME: home } });
      assertEquals(again.code, 1);
      assertMatch(again.stderr, new RegExp(`^error: kernel ${k.id} is not running`));
    }
  } finally {
    await killKernels(home);
  }
});

Deno.test("exec --connect FILE of a kernel known only by its connection file: a long busy cell runs to its end; once killed, the heartbeat tells it died", async () => {
  const home = await tempDir();
  try {
    const k = await daemon(home);
    // A copy: no meta file names it, so the client has no process to look at.
    const copy = `${home}/elsewhere.json`;
    await Deno.copyFile(k.connection_file, copy);
    // 7 s of Lua in the kernel's worker, longer than the heartbeat's limit: the kernel's
    // main thread answers the heartbeat meanwhile.
    const busy = await cli(
      [
        "exec",
        "--connect",
        copy,
        'local t = os.time() while os.time() - t < 7 do end return "done"',
      ],
      { env: { LLMSPELL_HOME: home } },
    );
    assertEquals([busy.code, busy.stdout, busy.stderr], [0, "done\n", ""]);
    const r = await killMidCell(home, ["exec", "--connect", copy, FOREVER], k.pid);
    assertEquals(r.code, 1, r.stderr);
    assertMatch(r.stderr, /^error: kernel died: no heartbeat for \d+ s\n/);
    assert(r.seconds < 15, `${r.seconds} s`);
  } finally {
    await killKernels(home);
  }
});

Deno.test("repl --connect in a terminal: a kernel that replaces its process is not dead; one killed at the prompt or during a cell ends it with `kernel died`", async () => {
  const home = await tempDir();
  try {
    for (const during of ["prompt", "cell"]) {
      const k = await daemon(home);
      // Through a shell, which shows the exit status (tmux does not always record it).
      const t = await Tmux.start(
        `'${Deno.execPath()}' run -A --quiet '${MAIN}' repl --connect ${k.id}; echo "exit=$?"`,
        { cwd: home, env: { LLMSPELL_HOME: home, NO_COLOR: "1" } },
      );
      try {
        await t.waitFor(/^llmspell>/m);
        await t.type("x = 41 + 1");
        await t.send("Enter");
        await t.type("x");
        await t.send("Enter");
        await t.waitFor(/^42$/m);
        if (during === "prompt") {
          // A kernel that replaces its process (a wedged cell, Ctrl+C not honoured) is silent
          // for a moment: its clients stay (the REPL gets the cell's error reply, and goes on).
          await t.type(C_LOOP);
          await t.send("Enter");
          await t.waitFor(/^looping$/m);
          await t.send("C-c");
          await t.waitFor(/was restarted/, 30_000);
          await t.type("y = 6 * 7");
          await t.send("Enter");
          await t.type("y + 1");
          await t.send("Enter");
          await t.waitFor(/^43$/m);
        }
        if (during === "cell") {
          await t.type(FOREVER);
          await t.send("Enter");
          await t.waitFor(/^started$/m);
        }
        await kill9(k.pid);
        const screen = await t.waitFor(/error: kernel died/, 20_000);
        assertMatch(
          screen,
          new RegExp(`error: kernel died: its process \\(pid ${k.pid}\\) has ended`),
        );
        await t.waitFor(/^exit=1$/m, 20_000);
      } finally {
        await t.kill();
      }
    }
  } finally {
    await killKernels(home);
  }
});
