/**
 * Sessions through the real CLI and a kernel: an engine's executions and state writes are
 * recorded in order from its first host call; Session.current() names the session;
 * `session list` and `session show` read them; [sessions] enabled = false records nothing.
 */
import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import { cli, tempDir } from "../helpers/cli.ts";
import { driver, KERNEL_DIR, startKernel } from "../kernel/helpers.ts";

interface Listed {
  id: string;
  name: null;
  status: string;
  created: string;
  executions: number;
}

async function sessions(home: string): Promise<Listed[]> {
  const r = await cli(["session", "list", "--output", "json"], {
    cwd: home,
    env: { LLMSPELL_HOME: home },
  });
  assertEquals(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

Deno.test("session: a run's execution and state writes are recorded in order; Session.current() names it", async () => {
  const home = await tempDir();
  const env = { LLMSPELL_HOME: home };
  try {
    await Deno.writeTextFile(
      `${home}/job.lua`,
      `print("start")
State.set("k", {1, 2.0, "\\0\\255"})
State.set("mine", true, "session")
print(Session.current().id, State.get("mine", "session:" .. Session.current().id))
State.increment("n", 5)
return 42`,
    );
    const r = await cli(["run", "job.lua"], { cwd: home, env });
    assertEquals(r.code, 0, r.stderr);
    const [started, line] = r.stdout.split("\n");
    assertEquals(started, "start");
    const [id, mine] = line.split("\t");
    assertEquals(mine, "true");

    // A script that makes no host call records no session.
    assertEquals((await cli(["exec", "print(1)"], { cwd: home, env })).code, 0);
    const listed = await sessions(home);
    assertEquals(listed.length, 1);
    assertEquals(listed[0].id, id);
    assertEquals(listed[0].executions, 1);
    assertEquals([listed[0].name, typeof listed[0].created], [null, "string"]);

    const show = await cli(["session", "show", id.slice(0, 8), "--output", "json"], {
      cwd: home,
      env,
    });
    assertEquals(show.code, 0, show.stderr);
    const records = JSON.parse(show.stdout).records;
    assertEquals(records.map((x: { kind: string; method?: string }) => x.method ?? x.kind), [
      "state.set",
      "state.set",
      "state.increment",
      "execution",
    ]);
    assertEquals(records[0].args, [null, "k", [1, 2, { $bytes: "AP8=" }]]);
    assertEquals(records[2].results, [5]);
    assertEquals(records[3].stdout, r.stdout);
    assertEquals([records[3].status, records[3].values], ["ok", ["42"]]);
    assertMatch(records[3].chunk, /job\.lua$/);

    const text = await cli(["session", "show", id], { cwd: home, env });
    assertMatch(text.stdout, /call state\.increment\(null, "n", 5\) -> 5/);
    assertMatch(text.stdout, /run .*job\.lua \([\d.]+ ms\) -> 42/);
    assertEquals((await cli(["session", "show", "nope"], { cwd: home, env })).code, 1);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("session: a kernel records each cell from its first host call; [sessions] enabled = false records none", async () => {
  const k = await startKernel();
  try {
    const r = await driver(
      [
        k.connectionFile,
        "x = 1",
        "State.set('a', 1)",
        "print(Session.current().executions)",
        "x = 2",
      ],
      {},
      `${KERNEL_DIR}state_driver.py`,
    );
    const cells = r.json as { stdout: string }[];
    assert(Array.isArray(cells), r.stderr);
    // The cell that made the first host call is recorded; the one before it is not.
    assertEquals(cells[2].stdout, "1\n");
  } finally {
    await k.stop();
  }
  const listed = await sessions(k.home);
  assertEquals(listed.map((s) => s.executions), [3]);
  await Deno.writeTextFile(`${k.home}/llmspell.toml`, "[sessions]\nenabled = false\n");
  const r = await cli(["exec", "State.set('b', 1) print(Session.current().recorded)"], {
    cwd: k.home,
    env: { LLMSPELL_HOME: k.home },
  });
  assertEquals(r.stdout, "false\n", r.stderr);
  assertEquals((await sessions(k.home)).length, 1);
  await Deno.remove(k.home, { recursive: true });
});

Deno.test("session: list and show have --help with examples", async () => {
  for (const sub of ["list", "show"]) {
    const r = await cli(["session", sub, "--help"]);
    assertEquals(r.code, 0);
    assert(r.stdout.includes(`Examples:\n  $ llmspell session ${sub}`), sub);
  }
});
