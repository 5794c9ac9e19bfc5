/**
 * Service mode end to end: `kernel start --daemon` → status → exec/run --connect → connect
 * → restart → stop, and a SIGKILLed daemon reported dead with its files cleaned.
 */
import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import { cli, tempDir } from "../helpers/cli.ts";

async function daemon(home: string): Promise<{ id: string; pid: number; connection_file: string }> {
  const r = await cli(["kernel", "start", "--daemon", "--output", "json"], {
    cwd: home,
    env: { LLMSPELL_HOME: home },
  });
  assertEquals(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

function gone(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) === "Z";
  } catch {
    return true;
  }
}

Deno.test("daemon: start → status → exec/run --connect (same output as embedded) → connect → restart → stop", async () => {
  const home = await tempDir();
  const env = { LLMSPELL_HOME: home };
  const k = await daemon(home);
  try {
    assertEquals((await Deno.stat(k.connection_file)).mode! & 0o777, 0o600);
    const st = JSON.parse((await cli(["kernel", "status", "--output", "json"], { env })).stdout);
    assertEquals(st.length, 1);
    assertEquals([st[0].id, st[0].pid, st[0].state, st[0].executions], [k.id, k.pid, "idle", 0]);
    const text = (await cli(["kernel", "status"], { env })).stdout;
    assertMatch(text, /^ID +PID +ENDPOINT +STATE +CLIENTS +UPTIME +EXECUTIONS +MEMORY\n/);

    // The same commands embedded and connected print the same thing.
    for (
      const args of [
        ["exec", "print('hi', 1) io.stderr:write('e\\n') return 1 + 1, 'x'"],
        ["exec", "x = 1\nerror('boom')"],
        ["exec", "--output", "json", "print('a') return {1, k = 'v'}"],
        ["exec", "display({1, 2})"],
      ]
    ) {
      const embedded = await cli(args, { env });
      for (const addr of [k.id, k.connection_file]) {
        const connected = await cli([...args, "--connect", addr], { env });
        if (args.includes("json")) {
          const a = JSON.parse(embedded.stdout), b = JSON.parse(connected.stdout);
          delete a.duration_ms;
          delete b.duration_ms;
          assertEquals(b, a, args.join(" "));
        } else {
          assertEquals(connected, embedded, args.join(" "));
        }
      }
    }
    await Deno.writeTextFile(`${home}/s.lua`, "print(ARGS.name, ARGS[1])\nreturn 1\n");
    const runE = await cli(["run", "s.lua", "--", "--name", "Ada", "pos"], { cwd: home, env });
    const runC = await cli(["run", "--connect", k.id, "s.lua", "--", "--name", "Ada", "pos"], {
      cwd: home,
      env,
    });
    assertEquals(runC, runE);
    assertEquals(runE.stdout, "Ada\tpos\n");

    // kernel connect is the REPL; in a pipe, multi-line blocks are sent once complete.
    const conn = await cli(["kernel", "connect", k.id], {
      env,
      stdin: "y = 5\nfor i = 1, 2 do\n  print(i * y)\nend\ny + 1\n",
    });
    assertEquals(conn.stdout, "5\n10\n6\n");
    assertEquals(conn.code, 0);

    const restarted = await cli(["kernel", "restart", k.id], { env });
    assertEquals(restarted.code, 0, restarted.stderr);
    assertEquals((await cli(["exec", "--connect", k.id, "y == nil"], { env })).stdout, "true\n");
  } finally {
    const stop = await cli(["kernel", "stop", k.id, "--output", "json"], { env });
    assertEquals(stop.code, 0, stop.stderr);
    assertEquals(JSON.parse(stop.stdout)[0].stopped_by, "shutdown");
  }
  assert(gone(k.pid), "the kernel process is gone");
  assertEquals(await Deno.stat(k.connection_file).then(() => true, () => false), false);
  assertEquals((await cli(["kernel", "status"], { env })).stdout, "no kernels\n");
});

Deno.test("daemon: a SIGKILLed kernel shows as dead and its files are cleaned", async () => {
  const home = await tempDir();
  const env = { LLMSPELL_HOME: home };
  const k = await daemon(home);
  Deno.kill(k.pid, "SIGKILL");
  // Bounded wait for the kernel to be reaped.
  for (let i = 0; i < 200 && !gone(k.pid); i++) await new Promise((r) => setTimeout(r, 25));
  assert(gone(k.pid));
  const st = JSON.parse((await cli(["kernel", "status", "--output", "json"], { env })).stdout);
  assertEquals([st[0].id, st[0].state], [k.id, "dead"]);
  assertEquals(await Deno.stat(k.connection_file).then(() => true, () => false), false);
  assertEquals((await cli(["kernel", "status"], { env })).stdout, "no kernels\n");
  const stop = await cli(["kernel", "stop", k.id], { env });
  assertEquals(stop.code, 1);
});

Deno.test("kernel start refuses a non-loopback address from the config without --ip", async () => {
  const home = await tempDir();
  const r = await cli(["kernel", "start"], {
    env: { LLMSPELL_HOME: home, LLMSPELL_KERNEL_IP: "0.0.0.0" },
  });
  assertEquals(r.code, 2);
  assertMatch(r.stderr, /needs --ip 0\.0\.0\.0/);
});
