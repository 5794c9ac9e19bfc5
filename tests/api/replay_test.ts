/**
 * `session replay` through the real CLI and a kernel: a recorded session replays with its
 * State calls answered from the record (no divergence, even though the database has moved
 * on); a changed script is reported at every step where its calls or output differ;
 * `--from-step`/`--to-step`; `--live` shows where the real services answer differently.
 */
import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import { cli, tempDir } from "../helpers/cli.ts";
import { driver, KERNEL_DIR, startKernel } from "../kernel/helpers.ts";

const SCRIPT = `print("start")
State.set("k", {1, 2.0, "x"})
local n = State.increment("n", 2)
print("n", n, State.get("k")[2])
State.set("last", n)
return n`;

Deno.test("replay: a run replays deterministically; a changed script reports every divergence, each at its step", async () => {
  const home = await tempDir();
  const run: typeof cli = (args, opts) =>
    cli(args, { cwd: home, env: { LLMSPELL_HOME: home }, ...opts });
  try {
    await Deno.writeTextFile(`${home}/s.lua`, SCRIPT);
    const r = await run(["run", "s.lua"]);
    assertEquals([r.code, r.stdout], [0, "start\nn\t2\t2.0\n"], r.stderr);
    const id = JSON.parse((await run(["session", "list", "--output", "json"])).stdout)[0].id;
    // The database moves on: a live run would now get 4 from State.increment.
    assertEquals((await run(["exec", 'State.increment("n", 0)'])).code, 0);

    const ok = await run(["session", "replay", id, "--output", "json"]);
    assertEquals(ok.code, 0, ok.stderr);
    assertEquals(JSON.parse(ok.stdout), { session: id, executions: 1, divergences: [] });
    assertEquals(
      (await run(["session", "replay", id])).stdout,
      "replayed 1 execution: no divergence\n",
    );
    // The replay touched nothing: the state is as the exec left it.
    assertEquals((await run(["state", "get", "n"])).stdout.trim(), "2");

    // Steps: 1 state.set k, 2 state.increment, 3 state.set last, 4 the execution. The run
    // goes on past a divergence: the changed increment answers 3 now (not the recorded 2),
    // which changes the printed line and the value stored under "last" too.
    await Deno.writeTextFile(
      `${home}/s.lua`,
      SCRIPT.replace('State.increment("n", 2)', 'State.increment("n", 3)'),
    );
    const call = await run(["session", "replay", id, "--output", "json"]);
    assertEquals(call.code, 1);
    assertMatch(call.stderr, /diverges from the record at steps 2, 3, 4/);
    assertEquals(JSON.parse(call.stdout).divergences, [
      {
        step: 2,
        kind: "call",
        expected: 'state.increment(null, "n", 2)',
        actual: 'state.increment(null, "n", 3)',
      },
      {
        step: 3,
        kind: "call",
        expected: 'state.set(null, "last", 2)',
        actual: 'state.set(null, "last", 3)',
      },
      {
        step: 4,
        kind: "output",
        expected: 'stdout "start\\nn\\t2\\t2.0\\n"',
        actual: 'stdout "start\\nn\\t3\\t2.0\\n"',
      },
    ]);

    await Deno.writeTextFile(`${home}/s.lua`, SCRIPT.replace('print("n", n', 'print("N", n'));
    const out = await run(["session", "replay", id]);
    assertEquals(out.code, 1);
    assertEquals(
      out.stdout,
      [
        "step 4: the replay diverges (output)",
        '  recorded: stdout "start\\nn\\t2\\t2.0\\n"',
        '  replayed: stdout "start\\nN\\t2\\t2.0\\n"',
        "",
      ].join("\n"),
    );

    // A call the record does not have, and later an output change: both, each at its
    // step; the calls after the extra one still match the record.
    await Deno.writeTextFile(
      `${home}/s.lua`,
      SCRIPT.replace("local n", 'State.set("extra", true) local n')
        .replace('print("n", n', 'print("N", n'),
    );
    const extra = JSON.parse((await run(["session", "replay", id, "--output", "json"])).stdout);
    assertEquals(
      extra.divergences.map((
        d: { step: number; expected: string; actual: string },
      ) => [d.step, d.expected, d.actual.slice(0, 30)]),
      [
        [2, "no call", 'state.set(null, "extra", true)'],
        [4, 'stdout "start\\nn\\t2\\t2.0\\n"', 'stdout "start\\nN\\t2\\t2.0\\n"'],
      ],
    );

    await Deno.writeTextFile(`${home}/s.lua`, SCRIPT.replace('State.set("last", n)', ""));
    const missed = JSON.parse((await run(["session", "replay", id, "--output", "json"])).stdout);
    assertEquals(
      missed.divergences.map((d: { step: number; actual: string }) => [d.step, d.actual]),
      [[3, "no call"]],
    );

    // --live calls the real State: increment answers 4, not the recorded 2, and what
    // follows from it differs too.
    await Deno.writeTextFile(`${home}/s.lua`, SCRIPT);
    const live = JSON.parse(
      (await run(["session", "replay", id, "--live", "--output", "json"])).stdout,
    );
    assertEquals(live.divergences.map((d: { step: number; kind: string }) => [d.step, d.kind]), [
      [2, "result"],
      [3, "call"],
      [4, "output"],
    ]);
    assertEquals(live.divergences[0], { step: 2, kind: "result", expected: "2", actual: "4" });
    assertEquals((await run(["session", "replay", id, "--from-step", "x"])).code, 2);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("replay: a kernel session's cells replay in order; --from-step and --to-step pick executions", async () => {
  const k = await startKernel();
  let id = "";
  try {
    const r = await driver(
      [
        k.connectionFile,
        "print(Session.current().id)",
        "State.set('a', 1)",
        "x = State.increment('a', 10) print(x)",
        "print(x + 1, State.get('a'))",
      ],
      {},
      `${KERNEL_DIR}state_driver.py`,
    );
    const cells = r.json as { stdout: string }[];
    assert(Array.isArray(cells), r.stderr);
    id = cells[0].stdout.trim();
    assertEquals(cells[3].stdout, "12\t11\n");
  } finally {
    await k.stop();
  }
  const env = { LLMSPELL_HOME: k.home };
  const replay = async (...args: string[]) => {
    const r = await cli(["session", "replay", id, "--output", "json", ...args], {
      cwd: k.home,
      env,
    });
    return { code: r.code, report: JSON.parse(r.stdout), stderr: r.stderr };
  };
  try {
    assertEquals((await cli(["state", "set", "a", "100"], { cwd: k.home, env })).code, 0);
    const all = await replay();
    assertEquals(
      [all.code, all.report.executions, all.report.divergences],
      [0, 4, []],
      all.stderr,
    );
    // Steps: 1 execution, 2 state.set, 3 execution, 4 state.increment, 5 execution, 6 execution.
    const tail = await replay("--from-step", "2", "--to-step", "3");
    assertEquals([tail.code, tail.report.executions], [0, 1], tail.stderr);
  } finally {
    await Deno.remove(k.home, { recursive: true });
  }
});
