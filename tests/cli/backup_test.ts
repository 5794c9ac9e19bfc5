/**
 * `llmspell backup` through the real CLI, each test in its own LLMSPELL_HOME: a round trip
 * (what `state` and `session` show after a restore is exactly what was backed up, artifact
 * bytes included), a backup taken while another process writes, damage found and named by
 * verify (a flipped byte, a cut-off archive) and refused by restore, restore refused while a
 * kernel runs, and its confirmation (a terminal: tmux; no terminal: --yes or exit 2).
 */
import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import { cli, cliCommand, MAIN, readUntil, tempDir, withHome } from "../helpers/cli.ts";
import { Tmux } from "../helpers/tmux.ts";
import { killKernels, startKernel } from "../kernel/helpers.ts";
import { swapIn } from "../../src/store/restore_swap.ts";

type Run = (args: string[], opts?: Parameters<typeof cli>[1]) => ReturnType<typeof cli>;

async function ok(r: ReturnType<typeof cli>): Promise<string> {
  const res = await r;
  assertEquals(res.code, 0, res.stderr);
  return res.stdout;
}

/** State of every type in several scopes, two sessions with artifacts (one of all bytes). */
const POPULATE = String.raw`
local t = {} for i = 0, 255 do t[#t + 1] = string.char(i) end
local bytes = table.concat(t)
State.set("v", { int = 7, float = 7.0, big = math.mininteger, bytes = bytes,
  text = "héllo", list = { 1, 2.5, false }, keys = { [2] = "two" }, nan = 0/0, empty = {} })
State.set("flag", true)
State.set("n", 3.25)
State.set("plan", "step 1", "agent:planner")
Session.set("note", { "in", "session" })
Artifact.store("all.bin", bytes, { mime_type = "application/octet-stream", tags = { "raw" } })
Artifact.store("report.md", "# report\n", { kind = "doc" })
local other = Session.create{ name = "second", tags = { "nightly" } }
print(other)`;

/** Everything `state` and `session` show, artifact bytes included. */
async function view(run: Run, home: string): Promise<unknown> {
  await ok(run(["state", "export", `${home}/state.json`]));
  const state = JSON.parse(await Deno.readTextFile(`${home}/state.json`));
  const sessions = JSON.parse(await ok(run(["session", "list", "--output", "json"])));
  const shown = [];
  for (const s of sessions as { id: string }[]) {
    const arts = JSON.parse(await ok(run(["session", "artifacts", s.id, "--output", "json"])));
    const contents = [];
    for (const a of arts as { id: string }[]) {
      await ok(run(["session", "artifact", s.id, a.id, "-o", `${home}/art.out`]));
      contents.push(Array.from(await Deno.readFile(`${home}/art.out`)));
    }
    const show = JSON.parse(await ok(run(["session", "show", s.id, "--output", "json"])));
    shown.push({ show, arts, contents });
  }
  return { state, sessions, shown };
}

async function create(run: Run, file?: string): Promise<string> {
  const out = await ok(run(["backup", "create", ...(file ? [file] : []), "--output", "json"]));
  return JSON.parse(out).file;
}

Deno.test("backup restore brings back exactly the backed-up state values, sessions and artifact bytes", async () => {
  await withHome(async (run, home) => {
    const second = (await ok(run(["exec", POPULATE]))).trim();
    const before = await view(run, home);
    assertEquals((before as { sessions: unknown[] }).sessions.length, 2);
    await ok(run(["keys", "set", "openai"], { stdin: "sk-before-backup\n" }));
    const file = await create(run);
    assertMatch(file, new RegExp(`^${home}/data/backups/llmspell-.*\\.tar$`));
    // The API keys are not in the backup.
    const archive = new TextDecoder("latin1").decode(await Deno.readFile(file));
    assert(!archive.includes("sk-before-backup"));
    await ok(run(["keys", "set", "openai"], { stdin: "sk-after-backup\n" }));

    // Changed, deleted, added after the backup.
    await ok(run(["state", "set", "flag", "false"]));
    await ok(run(["state", "delete", "n"]));
    await ok(run(["state", "set", "extra", '"new"', "--scope", "custom:x"]));
    const first = (before as { sessions: { id: string }[] }).sessions.find((s) => s.id !== second)!;
    await ok(run(["session", "delete", first.id]));
    await ok(run(["exec", `Artifact.store("late.txt", "added later")`]));
    assert(JSON.stringify(await view(run, home)) !== JSON.stringify(before));

    const r = await run(["backup", "restore", file, "--yes"]);
    assertEquals(r.code, 0, r.stderr);
    assertMatch(r.stdout, /^restored .*: 5 state values, 2 sessions, 2 artifacts\n$/);
    const aside = /kept in (\S+)\n/.exec(r.stderr)![1];
    assertEquals(await view(run, home), before);
    // A restore leaves the key file alone.
    assertEquals(await ok(run(["keys", "get", "openai"])), "sk-after-backup\n");
    // The previous database is kept, named in the output: it still has the later changes.
    await Deno.mkdir(`${home}/old`, { recursive: true });
    await Deno.rename(aside, `${home}/old/data`);
    const kept = await cli(["state", "get", "extra", "--scope", "custom:x"], {
      cwd: home,
      env: { LLMSPELL_HOME: `${home}/old` },
    });
    assertEquals(kept.stdout, "new\n", kept.stderr);
  });
});

Deno.test("backup create while another process writes State in a loop: the backup verifies, integrity_check ok", async () => {
  await withHome(async (run, home) => {
    const writer = cliCommand([
      "exec",
      `State.set("n", 0) print("writing") io.stdout:flush()
       local i = 0 while true do i = i + 1 State.set("n", i) State.set("k" .. (i % 40), { i, "x" }) end`,
    ], { cwd: home, env: { LLMSPELL_HOME: home } }).spawn();
    const reader = writer.stdout.getReader();
    try {
      await readUntil(reader, "writing\n");
      const files = [];
      for (let i = 0; i < 3; i++) files.push(await create(run, `${home}/b${i}.tar`));
      const n = JSON.parse(await ok(run(["state", "get", "n", "--output", "json"])));
      for (const f of files) {
        const v = JSON.parse(await ok(run(["backup", "verify", f, "--output", "json"])));
        assertEquals(v.ok, true);
        assertEquals(v.integrity_check, ["ok"]);
      }
      // The writer went on through the backups: they did not stop it.
      const later = JSON.parse(await ok(run(["state", "get", "n", "--output", "json"])));
      assert(later > n && n > 0, `${n} then ${later}`);
    } finally {
      writer.kill("SIGKILL");
      reader.releaseLock();
      await writer.stdout.cancel().catch(() => {});
      await writer.stderr.cancel().catch(() => {});
      await writer.status;
    }
  });
});

/** The offset of the last `needle` in `hay` (-1 when absent). */
function lastIndexOf(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = hay.length - needle.length; i >= 0; i--) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

Deno.test("backup verify names a member with a flipped byte and a cut-off archive; restore of either changes nothing", async () => {
  await withHome(async (run, home) => {
    await ok(
      run(["exec", `State.set("a", 1) Artifact.store("r.txt", "precious artifact content")`]),
    );
    const file = await create(run);
    const good = await Deno.readFile(file);
    const v = await run(["backup", "verify", file]);
    assertEquals(v.code, 0, v.stderr);
    assertMatch(v.stdout, /^ok: .*1 state value, 1 session, 1 artifact, 2 members/);

    const sha = JSON.parse(
      await ok(
        run([
          "session",
          "artifacts",
          "--output",
          "json",
          JSON.parse(await ok(run(["session", "list", "--output", "json"])))[0].id,
        ]),
      ),
    )[0].sha256;
    const flipped = good.slice();
    // The last occurrence: the session's record of the call holds the text too, in the database.
    const at = lastIndexOf(flipped, new TextEncoder().encode("precious artifact content"));
    assert(at > 0);
    flipped[at + 3] ^= 0x01;
    await Deno.writeFile(`${home}/flipped.tar`, flipped);
    const bad = await run(["backup", "verify", `${home}/flipped.tar`]);
    assertEquals(bad.code, 1);
    assertMatch(
      bad.stderr,
      new RegExp(
        `error: .*not a sound backup: member artifacts/${
          sha.slice(0, 2)
        }/${sha}: its SHA-256 differs`,
      ),
    );
    const json = JSON.parse(
      (await run(["backup", "verify", `${home}/flipped.tar`, "--output", "json"])).stdout,
    );
    assertEquals(json.ok, false);

    // A byte of the database inside (past its header page) flipped.
    const dbFlipped = good.slice();
    let header = 0;
    while (new TextDecoder().decode(dbFlipped.subarray(header, header + 12)) !== "llmspell.db\0") {
      header += 512;
    }
    dbFlipped[header + 512 + 4096 + 100] ^= 0xff;
    await Deno.writeFile(`${home}/dbflipped.tar`, dbFlipped);
    const badDb = await run(["backup", "verify", `${home}/dbflipped.tar`]);
    assertEquals(badDb.code, 1);
    assertMatch(badDb.stderr, /member llmspell\.db: its SHA-256 differs/);

    // Cut off in the middle of the database member: it and the artifact after it are named.
    await Deno.writeFile(`${home}/cut.tar`, good.subarray(0, 512 * 3 + 20_000));
    const cut = await run(["backup", "verify", `${home}/cut.tar`]);
    assertEquals(cut.code, 1);
    assertMatch(cut.stderr, /member llmspell\.db is truncated/);
    assertMatch(cut.stderr, new RegExp(`member artifacts/${sha.slice(0, 2)}/${sha} is missing`));

    // Restoring a damaged backup changes nothing: not the data, not the data dir.
    await ok(run(["state", "set", "a", "2"]));
    const listing = async () => {
      const names = [];
      for await (const e of Deno.readDir(`${home}/data`)) names.push(e.name);
      return names.sort();
    };
    const dirBefore = await listing();
    for (const f of ["flipped.tar", "cut.tar", "dbflipped.tar"]) {
      const r = await run(["backup", "restore", `${home}/${f}`, "--yes"]);
      assertEquals(r.code, 1, r.stderr);
      assertMatch(r.stderr, /not a sound backup/);
    }
    assertEquals(await listing(), dirBefore);
    assertEquals(await ok(run(["state", "get", "a"])), "2\n");
  });
});

Deno.test("backup restore is refused while a kernel of this machine runs, and works once it stopped", async () => {
  const home = await tempDir();
  const run: Run = (args, opts = {}) =>
    cli(args, { cwd: home, ...opts, env: { LLMSPELL_HOME: home, ...opts.env } });
  try {
    await ok(run(["state", "set", "a", "1"]));
    const file = await create(run);
    await ok(run(["state", "set", "a", "2"]));
    const k = await startKernel([], { home });
    try {
      const r = await run(["backup", "restore", file, "--yes"]);
      assertEquals(r.code, 1, r.stderr);
      assertMatch(r.stderr, new RegExp(`error: kernel ${k.id} \\(pid \\d+\\) is running`));
      assertMatch(r.stderr, new RegExp(`hint: stop it first \\(llmspell kernel stop ${k.id}\\)`));
      assertEquals(await ok(run(["state", "get", "a"])), "2\n");
    } finally {
      await k.stop();
    }
    await ok(run(["backup", "restore", file, "--yes"]));
    assertEquals(await ok(run(["state", "get", "a"])), "1\n");
  } finally {
    await killKernels(home);
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("backup restore asks on a terminal (no: nothing restored, exit 1; yes: restored) and needs --yes without one", async () => {
  await withHome(async (run, home) => {
    await ok(run(["state", "set", "a", "1"]));
    const file = await create(run);
    await ok(run(["state", "set", "a", "2"]));

    const piped = await run(["backup", "restore", file]);
    assertEquals(piped.code, 2);
    assertMatch(piped.stderr, /refusing to restore without --yes \(stdin is not a terminal\)/);
    assertMatch(piped.stderr, /hint: pass --yes/);
    assertEquals(await ok(run(["state", "get", "a"])), "2\n");

    for (const [answer, code, value] of [["n", 1, "2\n"], ["y", 0, "1\n"]] as const) {
      // The shell prints the exit status: tmux does not always record it.
      const t = await Tmux.start(
        `${Deno.execPath()} run -A --quiet ${MAIN} backup restore ${file}; echo "exit=$?"`,
        { cwd: home, env: { LLMSPELL_HOME: home, NO_COLOR: "1" }, width: 200 },
      );
      try {
        await t.waitFor(/replace the current database and artifacts with the backup of .*\[y\/N\]/);
        await t.type(answer);
        await t.send("Enter");
        const screen = await t.waitFor(/exit=\d+/);
        assertMatch(screen, new RegExp(`exit=${code}\n`));
        assertMatch(screen, answer === "n" ? /nothing restored/ : /restored .*: 1 state value/);
      } finally {
        await t.kill();
      }
      assertEquals(await ok(run(["state", "get", "a"])), value);
    }
  });
});

Deno.test("backup list shows each backup's time, size and counts; --output json", async () => {
  await withHome(async (run, home) => {
    assertEquals(await ok(run(["backup", "list"])), "");
    await ok(run(["exec", `State.set("a", 1) State.set("b", 2)`]));
    const first = await create(run);
    await ok(run(["state", "set", "c", "3"]));
    const second = await create(run);
    await Deno.writeTextFile(`${home}/data/backups/junk.tar`, "not a backup");
    const list = JSON.parse(await ok(run(["backup", "list", "--output", "json"])));
    assertEquals(list.map((b: { file: string }) => b.file), [
      second,
      first,
      `${home}/data/backups/junk.tar`,
    ]);
    assertEquals(list[0].counts, { state_values: 3, sessions: 1, artifacts: 0 });
    assertEquals(list[1].counts, { state_values: 2, sessions: 1, artifacts: 0 });
    assertEquals(list[0].bytes, (await Deno.stat(second)).size);
    assertMatch(list[2].error, /first member is not manifest\.json/);
    const text = await ok(run(["backup", "list"]));
    assertMatch(
      text,
      /llmspell-.*\.tar {2}\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +\d+\.\d KiB {2}3 state values, 1 session, 0 artifacts\n/,
    );
  });
});

Deno.test("a restore whose swap fails midway puts the previous database and artifacts back", async () => {
  await withHome(async (run, home) => {
    await ok(run(["exec", `State.set("a", 1) Artifact.store("r.txt", "kept")`]));
    const data = `${home}/data`;
    const listing = async (dir: string, sub = ""): Promise<string[]> => {
      const names = [];
      for await (const e of Deno.readDir(dir + sub)) {
        names.push(`${sub}/${e.name}`);
        if (e.isDirectory) names.push(...await listing(dir, `${sub}/${e.name}`));
      }
      return names.sort();
    };
    const before = await listing(data);
    // A staging folder with the database but no artifacts folder: the last rename fails.
    const staging = `${data}/.restore-test`;
    await Deno.mkdir(staging);
    await Deno.writeFile(`${staging}/llmspell.db`, new Uint8Array(0));
    let failed = false;
    try {
      swapIn(`${data}/llmspell.db`, staging, `${data}/before-restore-test`, "test.tar");
    } catch (e) {
      failed = e instanceof Deno.errors.NotFound;
    }
    assert(failed, "the swap should fail on the missing artifacts folder");
    await Deno.remove(staging, { recursive: true });
    assertEquals(await listing(data), before);
    assertEquals(await ok(run(["state", "get", "a"])), "1\n");
    const s = JSON.parse(await ok(run(["session", "list", "--output", "json"])))[0].id;
    const art = JSON.parse(await ok(run(["session", "artifacts", s, "--output", "json"])))[0].id;
    assertEquals(await ok(run(["session", "artifact", s, art])), "kept");
  });
});
