/**
 * `llmspell backup` killed (SIGKILL) midway: a backup (its artifact file a FIFO, so it waits
 * for bytes the test holds back) and a restore (its archive a FIFO fed short), each killed
 * while it waits, leave the home as it was; the next command removes what they left and says
 * so, and succeeds. A restore killed inside its swap (the state its journal and renames leave)
 * is finished by the next process that opens the database. And restore refuses while a REPL or
 * a `run` has the database open, naming it.
 */
import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import { cliCommand, type HomeCli, readUntil, withHome } from "../helpers/cli.ts";

async function ok(r: ReturnType<HomeCli>): Promise<string> {
  const res = await r;
  assertEquals(res.code, 0, res.stderr);
  return res.stdout;
}

/**
 * Resolves with the first entry of `dir` (itself, not below it: inotify misses what is made in a
 * new folder before it watches that folder) that `match` accepts, once one is there.
 */
async function appears(dir: string, match: (name: string) => boolean): Promise<string> {
  using watcher = Deno.watchFs(dir, { recursive: false });
  // Watched first, then listed: an entry made in between is seen by one or the other.
  for (const name of await entries(dir)) if (match(name)) return `${dir}/${name}`;
  // A safety net only: the event comes at once.
  const timer = setTimeout(() => watcher.close(), 120_000);
  try {
    for await (const ev of watcher) {
      const p = ev.paths.find((p) => p.startsWith(`${dir}/`) && match(p.slice(dir.length + 1)));
      if (p) return p;
    }
  } finally {
    clearTimeout(timer);
  }
  throw new Error(`nothing that ${match} accepts appeared in ${dir}`);
}

async function mkfifo(path: string): Promise<void> {
  const out = await new Deno.Command("mkfifo", { args: [path] }).output();
  assertEquals(out.code, 0);
}

async function entries(dir: string): Promise<string[]> {
  const names = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  return names.sort();
}

async function killed(child: Deno.ChildProcess): Promise<void> {
  child.kill("SIGKILL");
  await child.stdout.cancel().catch(() => {});
  await child.stderr.cancel().catch(() => {});
  assertEquals((await child.status).signal, "SIGKILL");
}

async function firstArtifact(
  run: HomeCli,
): Promise<{ session: string; id: string; sha256: string }> {
  const session = JSON.parse(await ok(run(["session", "list", "--output", "json"])))[0].id;
  const [a] = JSON.parse(await ok(run(["session", "artifacts", session, "--output", "json"])));
  return { session, id: a.id, sha256: a.sha256 };
}

Deno.test("a backup killed while it writes leaves the data as it was; the next backup removes its work folder and partial file, says so, and succeeds", async () => {
  await withHome(async (run, home) => {
    await ok(run(["exec", `State.set("a", 1) Artifact.store("r.txt", "precious")`]));
    const art = await firstArtifact(run);
    const file = `${home}/data/artifacts/${art.sha256.slice(0, 2)}/${art.sha256}`;
    // The artifact's content file becomes a FIFO: the backup reads it twice (its hash, then
    // its copy into the archive) and waits at each open for the bytes the test gives once.
    await Deno.remove(file);
    await mkfifo(file);
    const child = cliCommand(["backup", "create"], { cwd: home, env: { LLMSPELL_HOME: home } })
      .spawn();
    try {
      {
        using fifo = await Deno.open(file, { write: true });
        await fifo.write(new TextEncoder().encode("precious"));
      }
      // Writing the archive: it waits at the artifact's second open.
      await Deno.mkdir(`${home}/data/backups`, { recursive: true });
      await appears(`${home}/data/backups`, (n) => n.endsWith(".partial"));
    } finally {
      await killed(child);
    }
    const work = (await entries(`${home}/data`)).filter((n) => n.startsWith(".backup-"));
    assertEquals(work.length, 1);
    const left = await entries(`${home}/data/backups`);
    assertEquals(left.length, 1);
    assertMatch(left[0], /^\.llmspell-.*\.tar\..*\.partial$/);

    // The home is as it was.
    await Deno.remove(file);
    await Deno.writeTextFile(file, "precious", { mode: 0o600 });
    assertEquals(await ok(run(["state", "get", "a"])), "1\n");
    assertEquals(await ok(run(["session", "artifact", art.session, art.id])), "precious");

    const r = await run(["backup", "create"]);
    assertEquals(r.code, 0, r.stderr);
    assertMatch(
      r.stderr,
      new RegExp(
        `removed the work folder ${home}/data/${
          work[0]
        } of an interrupted backup \\(left by \`llmspell backup create\`, pid \\d+, which is gone\\)\n`,
      ),
    );
    assertMatch(
      r.stderr,
      new RegExp(
        `removed the partial backup ${home}/data/backups/${left[0]} of an interrupted backup\n`,
      ),
    );
    assertEquals((await entries(`${home}/data`)).filter((n) => n.startsWith(".backup-")), []);
    const backups = await entries(`${home}/data/backups`);
    assertEquals(backups.length, 1);
    assert(!backups[0].startsWith("."));
    await ok(run(["backup", "verify", `${home}/data/backups/${backups[0]}`]));
    // Nothing left to clean: nothing said.
    assertEquals((await run(["backup", "list"])).stderr, "");
  });
});

Deno.test("a restore killed while it stages leaves the data as it was; the next restore removes its work folder, says so, and succeeds", async () => {
  await withHome(async (run, home) => {
    await ok(run(["exec", `State.set("a", 1) Artifact.store("r.txt", "restored")`]));
    await ok(run(["backup", "create", "good.tar"]));
    await ok(run(["state", "set", "a", "2"]));
    const art = await firstArtifact(run);
    const archive = await Deno.readFile(`${home}/good.tar`);
    await mkfifo(`${home}/pipe.tar`);
    const child = cliCommand(["backup", "restore", "pipe.tar", "--yes"], {
      cwd: home,
      env: { LLMSPELL_HOME: home },
    }).spawn();
    try {
      using fifo = await Deno.open(`${home}/pipe.tar`, { write: true });
      // All but the artifact's data and the end: the restore stages the rest and waits.
      const part = archive.subarray(0, archive.length - 1536);
      const fed = (async () => {
        for (let at = 0; at < part.length;) at += await fifo.write(part.subarray(at));
      })();
      // Staging: it cannot end before the test ends the FIFO.
      await appears(`${home}/data`, (n) => n.startsWith(".restore-"));
      await fed;
      // Killed while the FIFO is still open: it is waiting for the rest.
      await killed(child);
    } catch (e) {
      await killed(child).catch(() => {});
      throw e;
    }
    const work = (await entries(`${home}/data`)).filter((n) => n.startsWith(".restore-"));
    assertEquals(work.length, 1);
    assert(!(await entries(`${home}/data`)).some((n) => n.startsWith("before-restore-")));
    assertEquals(await ok(run(["state", "get", "a"])), "2\n");

    const r = await run(["backup", "restore", "good.tar", "--yes"]);
    assertEquals(r.code, 0, r.stderr);
    assertMatch(
      r.stderr,
      new RegExp(
        `removed the work folder ${home}/data/${
          work[0]
        } of an interrupted restore \\(left by \`llmspell backup restore pipe.tar --yes\`, pid \\d+, which is gone\\)\n`,
      ),
    );
    assertEquals((await entries(`${home}/data`)).filter((n) => n.startsWith(".restore-")), []);
    assertEquals(await ok(run(["state", "get", "a"])), "1\n");
    assertEquals(await ok(run(["session", "artifact", art.session, art.id])), "restored");
  });
});

Deno.test("a restore killed inside its swap (the database moved aside, the restored one not yet in place) is finished by the next process that opens the database, which says so", async () => {
  await withHome(async (run, home) => {
    await ok(run(["exec", `State.set("a", 1) Artifact.store("r.txt", "restored")`]));
    await ok(run(["backup", "create", "good.tar"]));
    await ok(run(["state", "set", "a", "2"]));
    const art = await firstArtifact(run);
    const data = `${home}/data`;
    // What a restore killed after its journal and first rename leaves: its staging folder
    // (the backup's database and artifacts), the journal, the database already moved aside.
    const staging = `${data}/.restore-killed`;
    const aside = `${data}/before-restore-killed`;
    await Deno.mkdir(staging);
    const x = await new Deno.Command("tar", { args: ["-xf", `${home}/good.tar`, "-C", staging] })
      .output();
    assertEquals(x.code, 0);
    await Deno.remove(`${staging}/manifest.json`);
    const moves = [
      [`${data}/llmspell.db`, `${aside}/llmspell.db`],
      [`${data}/artifacts`, `${aside}/artifacts`],
      [`${staging}/llmspell.db`, `${data}/llmspell.db`],
      [`${staging}/artifacts`, `${data}/artifacts`],
    ];
    assert(!(await entries(data)).includes("llmspell.db-wal"), "no WAL left by closed processes");
    await Deno.writeTextFile(
      `${data}/llmspell.db-restore.json`,
      JSON.stringify({ pid: 99999999, source: `${home}/good.tar`, staging, aside, moves }),
    );
    await Deno.mkdir(aside);
    await Deno.rename(moves[0][0], moves[0][1]);

    const r = await run(["state", "get", "a"]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stdout, "1\n");
    assertMatch(
      r.stderr,
      new RegExp(
        `finished the restore of ${home}/good.tar that was interrupted \\(pid 99999999\\): the previous database and artifacts are kept in ${aside}\n`,
      ),
    );
    assertEquals(
      (await entries(data)).filter((n) => n.startsWith(".restore-") || n.endsWith("restore.json")),
      [],
    );
    assertEquals(await ok(run(["session", "artifact", art.session, art.id])), "restored");
    // The previous data is whole, aside.
    await Deno.mkdir(`${home}/old`);
    await Deno.rename(aside, `${home}/old/data`);
    assertEquals(
      await ok(run(["state", "get", "a"], { env: { LLMSPELL_HOME: `${home}/old` } })),
      "2\n",
    );
    // And a restore works again.
    await ok(run(["backup", "restore", "good.tar", "--yes"]));
  });
});

/** Starts `args` in the home, with piped stdin; resolves once it printed `ready`. */
async function startReady(home: string, args: string[], input: string) {
  const child = cliCommand(args, { cwd: home, env: { LLMSPELL_HOME: home }, piped: true }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(input));
  const reader = child.stdout.getReader();
  await readUntil(reader, "ready");
  return {
    pid: child.pid,
    /** Ends its input: the REPL or the script ends. */
    async end() {
      await writer.close();
      reader.releaseLock();
      await child.stdout.cancel().catch(() => {});
      await child.stderr.cancel().catch(() => {});
      return (await child.status).code;
    },
    kill: () => killed(child).catch(() => {}),
  };
}

Deno.test("backup restore refuses (exit 1) while a REPL or a `run` script has the database open, naming it, and restores once it ended", async () => {
  await withHome(async (run, home) => {
    await ok(run(["state", "set", "a", "1"]));
    await ok(run(["backup", "create", "good.tar"]));
    await ok(run(["state", "set", "a", "2"]));
    await Deno.writeTextFile(
      `${home}/wait.lua`,
      `State.set("w", 1) print("ready") io.stdout:flush() io.read()`,
    );
    const users = [
      { args: ["repl"], input: `print("ready")\n`, shown: "llmspell repl" },
      { args: ["run", "wait.lua"], input: "", shown: "llmspell run wait.lua" },
    ];
    for (const u of users) {
      const p = await startReady(home, u.args, u.input);
      try {
        const r = await run(["backup", "restore", "good.tar", "--yes"]);
        assertEquals(r.code, 1, r.stderr);
        assertMatch(
          r.stderr,
          new RegExp(
            `^error: \`${u.shown}\` \\(pid ${p.pid}\\) uses the database; nothing restored\nhint: stop it first \\(quit the REPL, let the script end`,
          ),
        );
        assertEquals(await ok(run(["state", "get", "a"])), "2\n");
        assertEquals(await p.end(), 0);
      } finally {
        await p.kill();
      }
    }
    await ok(run(["backup", "restore", "good.tar", "--yes"]));
    assertEquals(await ok(run(["state", "get", "a"])), "1\n");
  });
});
