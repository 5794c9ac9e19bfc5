/**
 * `kernel start` and its files: an id in use is refused (touching nothing), a dead one is
 * cleaned; a daemon's failures and warnings reach the terminal, `--trace` reaches its log;
 * a killed ipc kernel's sockets are removed; supplied connection files get their ports
 * written back, and an empty key needs `--insecure`.
 */
import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import { cli, cliCommand, type CliOptions, type CliResult, tempDir } from "../helpers/cli.ts";
import { gone, killKernels, until } from "./helpers.ts";

interface Started {
  id: string;
  pid: number;
  connection_file: string;
  log_file: string;
}

const exists = (p: string) => Deno.stat(p).then(() => true, () => false);

/** `cli`, but a process still running after `ms` is killed and the test fails (no hang). */
async function cliWithin(args: string[], opts: CliOptions, ms = 30_000): Promise<CliResult> {
  const child = cliCommand(args, opts).spawn();
  let late = false;
  const timer = setTimeout(() => {
    late = true;
    child.kill("SIGKILL");
  }, ms);
  const out = await child.output();
  clearTimeout(timer);
  const dec = new TextDecoder();
  if (late) throw new Error(`llmspell ${args.join(" ")}: still running after ${ms} ms`);
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

async function daemon(home: string, args: string[] = []): Promise<Started> {
  const r = await cli(["kernel", "start", "--daemon", "--output", "json", ...args], {
    cwd: home,
    env: { LLMSPELL_HOME: home },
  });
  assertEquals(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

/** Pids of the kernel processes started with `--id id` whose log is under `home`. */
function kernelPids(home: string, id: string): number[] {
  const out = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const argv = Deno.readTextFileSync(`/proc/${e.name}/cmdline`).split("\0");
      const at = argv.indexOf("--id");
      if (
        argv.includes("start") && at > 0 && argv[at + 1] === id &&
        argv.some((a) => a.startsWith(home)) && !gone(Number(e.name))
      ) out.push(Number(e.name));
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}

async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for await (const e of Deno.readDir(dir)) {
    out[e.name] = await Deno.readTextFile(`${dir}/${e.name}`);
  }
  return out;
}

Deno.test("kernel start with the id of a running kernel fails (exit 1) and touches nothing", async () => {
  const home = await tempDir();
  const env = { LLMSPELL_HOME: home };
  try {
    const k = await daemon(home, ["--id", "taken"]);
    const before = await snapshot(`${home}/run`);
    for (const args of [["--daemon"], []]) {
      const r = await cliWithin(["kernel", "start", "--id", "taken", ...args], { cwd: home, env });
      assertEquals(r.code, 1, `${args}: ${r.stderr}`);
      assertEquals(
        r.stderr,
        `error: kernel id taken is in use by a running kernel (pid ${k.pid})\n` +
          "hint: stop it first (llmspell kernel stop taken), or choose another --id\n",
      );
    }
    assertEquals(await snapshot(`${home}/run`), before, "the first kernel's files are unchanged");
    assertEquals(kernelPids(home, "taken"), [k.pid], "no second kernel runs");
    assertEquals((await cli(["exec", "--connect", "taken", "1 + 1"], { env })).stdout, "2\n");
    const stop = await cli(["kernel", "stop", "taken", "--output", "json"], { env });
    assertEquals(JSON.parse(stop.stdout)[0].stopped_by, "shutdown", stop.stderr);
    assert(await until(() => gone(k.pid), 5000), "the first kernel is stopped by `kernel stop`");
  } finally {
    await killKernels(home, kernelPids(home, "taken"));
  }
});

Deno.test("two kernels started at once with one id: one runs, the other fails; none is orphaned", async () => {
  const home = await tempDir();
  const env = { LLMSPELL_HOME: home };
  try {
    const start = () => cli(["kernel", "start", "--daemon", "--id", "twin"], { cwd: home, env });
    const rs = await Promise.all([start(), start(), start()]);
    assertEquals(rs.map((r) => r.code).sort(), [0, 1, 1], rs.map((r) => r.stderr).join("\n"));
    for (const r of rs.filter((r) => r.code === 1)) {
      assertMatch(r.stderr, /kernel id twin is in use by a running kernel/);
    }
    // Losers exit once refused: wait for that, then exactly the winner remains.
    assert(await until(() => kernelPids(home, "twin").length === 1, 10_000));
    const st = JSON.parse((await cli(["kernel", "status", "--output", "json"], { env })).stdout);
    assertEquals(st.map((k: Started) => k.pid), kernelPids(home, "twin"));
    assertEquals((await cli(["kernel", "stop", "--all"], { env })).code, 0);
    assert(await until(() => kernelPids(home, "twin").length === 0, 10_000));
  } finally {
    await killKernels(home, kernelPids(home, "twin"));
  }
});

Deno.test("kernel start with the id of a dead kernel removes its files and says so", async () => {
  const home = await tempDir();
  const env = { LLMSPELL_HOME: home };
  try {
    const dead = await daemon(home, ["--id", "again"]);
    Deno.kill(dead.pid, "SIGKILL");
    assert(await until(() => gone(dead.pid), 5000));
    const r = await cliWithin(
      ["kernel", "start", "--daemon", "--id", "again", "--output", "json"],
      { cwd: home, env },
    );
    assertEquals(r.code, 0, r.stderr);
    assertEquals(
      r.stderr,
      `removed the files of kernel again (pid ${dead.pid}), which is no longer running\n`,
    );
    const k: Started = JSON.parse(r.stdout);
    assertEquals((await cli(["exec", "--connect", "again", "1 + 1"], { env })).stdout, "2\n");
    assertEquals((await cli(["kernel", "stop", "again"], { env })).code, 0);
    assert(await until(() => gone(k.pid), 5000));
  } finally {
    await killKernels(home, kernelPids(home, "again"));
  }
});

Deno.test("kernel start --daemon: why it failed is on the terminal (port in use, bad address)", async () => {
  const home = await tempDir();
  const env = { LLMSPELL_HOME: home };
  const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const port = (busy.addr as Deno.NetAddr).port;
    const r = await cli(["kernel", "start", "--daemon", "--port", String(port)], { env });
    assertEquals(r.code, 1, r.stderr);
    assertMatch(
      r.stderr,
      new RegExp(
        `^error: the kernel did not start: cannot bind tcp://127\\.0\\.0\\.1:${port}: ` +
          `Address already in use.*\\nhint: pick another port or path, or stop the process ` +
          `that holds it; its log: ${home}/logs/kernel-\\w+\\.log\\n$`,
      ),
    );
    const ip = await cli(["kernel", "start", "--daemon", "--ip", "999.1.1.1"], { env });
    assertEquals(ip.code, 1, ip.stderr);
    assertMatch(
      ip.stderr,
      /^error: the kernel did not start: cannot bind tcp:\/\/999\.1\.1\.1:0: /,
    );
  } finally {
    busy.close();
    await killKernels(home);
  }
});

Deno.test("kernel start --daemon --ip 0.0.0.0 warns on the terminal; --trace debug reaches its log", async () => {
  const home = await tempDir();
  const env = { LLMSPELL_HOME: home };
  try {
    const r = await cli(
      ["kernel", "start", "--daemon", "--ip", "0.0.0.0", "--trace", "debug", "--output", "json"],
      { cwd: home, env },
    );
    assertEquals(r.code, 0, r.stderr);
    assertMatch(
      r.stderr,
      /^warning: kernel binds 0\.0\.0\.0: reachable from the network; messages are signed but not encrypted$/m,
    );
    const k: Started = JSON.parse(r.stdout);
    assertEquals((await cli(["exec", "--connect", k.id, "1 + 1"], { env })).stdout, "2\n");
    const log = await Deno.readTextFile(k.log_file);
    assertMatch(log, /\[info\] kernel \S+ serving on tcp:\/\/0\.0\.0\.0:/);
    assertMatch(log, /\[debug\] zmtp ROUTER .*peer ready/);
    assertEquals((await cli(["kernel", "stop", k.id], { env })).code, 0);
  } finally {
    await killKernels(home);
  }
});

Deno.test("ipc kernels killed with SIGKILL: `kernel status` and `kernel stop --all` remove their socket files", async () => {
  const home = await tempDir();
  const env = { LLMSPELL_HOME: home };
  try {
    const a = await daemon(home, ["--transport", "ipc"]);
    const b = await daemon(home, ["--transport", "ipc"]);
    const socketsOf = async (k: Started) => {
      const info = JSON.parse(await Deno.readTextFile(k.connection_file));
      return [1, 2, 3, 4, 5].map((p) => `${info.ip}-${p}`);
    };
    const sa = await socketsOf(a), sb = await socketsOf(b);
    for (const s of [...sa, ...sb]) assert((await Deno.stat(s)).isSocket, s);
    Deno.kill(a.pid, "SIGKILL");
    assert(await until(() => gone(a.pid), 5000));
    const st = await cli(["kernel", "status", a.id], { env });
    assertEquals(st.code, 1);
    for (const s of sa) assertEquals(await exists(s), false, `${s} removed by status`);
    Deno.kill(b.pid, "SIGKILL");
    assert(await until(() => gone(b.pid), 5000));
    assertEquals((await cli(["kernel", "stop", "--all"], { env })).code, 0);
    for (const s of sb) assertEquals(await exists(s), false, `${s} removed by stop --all`);
    assertEquals([...Deno.readDirSync(`${home}/run`)].map((e) => e.name), []);
  } finally {
    await killKernels(home);
  }
});

Deno.test("a supplied connection file with ports 0 gets the bound ports written back, its other fields kept", async () => {
  const home = await tempDir();
  const env = { LLMSPELL_HOME: home };
  const file = `${home}/conn.json`;
  const given = {
    transport: "tcp",
    ip: "127.0.0.1",
    shell_port: 0,
    iopub_port: 0,
    stdin_port: 0,
    control_port: 0,
    hb_port: 0,
    key: "a-key-of-the-front-end",
    signature_scheme: "hmac-sha256",
    jupyter_session: "kept",
  };
  await Deno.writeTextFile(file, JSON.stringify(given));
  try {
    const k = await daemon(home, ["--connection-file", file]);
    const info = JSON.parse(await Deno.readTextFile(file));
    const ports = ["shell", "iopub", "stdin", "control", "hb"].map((c) => info[`${c}_port`]);
    assert(ports.every((p) => p > 0), JSON.stringify(info));
    assertEquals({
      ...info,
      shell_port: 0,
      iopub_port: 0,
      stdin_port: 0,
      control_port: 0,
      hb_port: 0,
    }, given);
    assertEquals(k.connection_file, file);
    assertEquals((await cli(["exec", "--connect", file, "6 * 7"], { env })).stdout, "42\n");
    assertEquals((await cli(["kernel", "stop", k.id], { env })).code, 0);
  } finally {
    await killKernels(home);
  }
});

Deno.test("a supplied connection file with an empty key is refused unless --insecure (then a warning)", async () => {
  const home = await tempDir();
  const env = { LLMSPELL_HOME: home };
  const file = `${home}/open.json`;
  await Deno.writeTextFile(file, JSON.stringify({ transport: "tcp", ip: "127.0.0.1", key: "" }));
  try {
    for (const daemonArgs of [[], ["--daemon"]]) {
      const r = await cliWithin(["kernel", "start", "--connection-file", file, ...daemonArgs], {
        cwd: home,
        env,
      });
      assertEquals(r.code, 1, r.stderr);
      assertMatch(
        r.stderr,
        new RegExp(
          `^error: (the kernel did not start: )?${file} has an empty key: messages would not be signed\\n`,
        ),
      );
    }
    const r = await cli(
      ["kernel", "start", "--daemon", "--connection-file", file, "--insecure", "--output", "json"],
      { cwd: home, env },
    );
    assertEquals(r.code, 0, r.stderr);
    assertMatch(
      r.stderr,
      /^warning: the connection file has an empty key \(--insecure\): messages are not signed/,
    );
    const k: Started = JSON.parse(r.stdout);
    assertEquals((await cli(["exec", "--connect", file, "1 + 1"], { env })).stdout, "2\n");
    assertEquals((await cli(["kernel", "stop", k.id], { env })).code, 0);
  } finally {
    await killKernels(home);
  }
});
