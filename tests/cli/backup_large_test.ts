/**
 * `llmspell backup` streams: a home with an artifact larger than the memory it may use is
 * backed up, verified and restored by CLI processes whose peak RSS stays under MAX_RSS (read
 * when each has exited, by the kernel's rusage of a wrapper's child), and the restored file is
 * the same bytes. And the archive is a tar GNU tar reads, and reads back GNU tar's.
 */
import { createHash } from "node:crypto";
import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import { MAIN, withHome } from "../helpers/cli.ts";
import { seededBytes } from "../helpers/seeded_bytes.ts";
import { V8_FLAGS_ARG } from "../../src/engine/host/v8_flags.ts";

const MiB = 1 << 20;
/** What a backup command may use at its peak, whatever the archive's size (measured: ~130 MiB). */
const MAX_RSS = 200 * MiB;
const BIG = 300 * MiB;

/** Runs `python3` around the CLI: it prints its child's peak RSS (ru_maxrss, KiB) last on stderr. */
const PEAK_RSS_PY = `import resource, subprocess, sys
r = subprocess.run(sys.argv[1:])
print("peak_rss_kib", resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)
sys.exit(r.returncode)`;

async function measured(home: string, args: string[]) {
  const out = await new Deno.Command("/usr/bin/python3", {
    args: ["-c", PEAK_RSS_PY, Deno.execPath(), "run", "-A", "--quiet", V8_FLAGS_ARG, MAIN, ...args],
    cwd: home,
    env: { LLMSPELL_HOME: home, NO_COLOR: "1" },
    stdin: "null",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  const m = /peak_rss_kib (\d+)\n$/.exec(stderr);
  assert(m, stderr);
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr,
    rss: Number(m[1]) * 1024,
  };
}

async function sha256File(file: string): Promise<string> {
  const h = createHash("sha256");
  using f = await Deno.open(file);
  for await (const c of f.readable) h.update(c);
  return h.digest("hex");
}

/** Writes `size` bytes of 1 MiB blocks of seeded bytes, each stamped with its index. */
async function writeBig(file: string, size: number): Promise<string> {
  const block = seededBytes(7)(MiB);
  const h = createHash("sha256");
  using f = await Deno.open(file, { write: true, createNew: true });
  for (let i = 0; i < size / MiB; i++) {
    new DataView(block.buffer).setUint32(0, i);
    h.update(block);
    for (let at = 0; at < block.length;) at += await f.write(block.subarray(at));
  }
  return h.digest("hex");
}

Deno.test("backup create, verify and restore of a home with a 300 MiB artifact each peak under 200 MiB RSS; the restored file's SHA-256 matches", async () => {
  await withHome(async (run, home) => {
    await Deno.writeTextFile(`${home}/config.toml`, "[sessions]\nmax_artifact_bytes = 400000000\n");
    const sha = await writeBig(`${home}/big.bin`, BIG);
    const stored = await run(["exec", `Artifact.store_file("big.bin") State.set("a", 1)`]);
    assertEquals(stored.code, 0, stored.stderr);
    await Deno.remove(`${home}/big.bin`);
    const live = `${home}/data/artifacts/${sha.slice(0, 2)}/${sha}`;

    const created = await measured(home, ["backup", "create", "b.tar"]);
    assertEquals(created.code, 0, created.stderr);
    assert((await Deno.stat(`${home}/b.tar`)).size > BIG);
    const verified = await measured(home, ["backup", "verify", "b.tar"]);
    assertEquals(verified.code, 0, verified.stderr);

    // The data changes: the artifact is gone with its session, the state value changed.
    const sessions = JSON.parse((await run(["session", "list", "--output", "json"])).stdout);
    assertEquals((await run(["session", "delete", sessions[0].id])).code, 0);
    assertEquals((await run(["state", "set", "a", "2"])).code, 0);
    let gone = false;
    await Deno.stat(live).catch(() => gone = true);
    assert(gone, "the artifact's content file went with its session");

    const restored = await measured(home, ["backup", "restore", "b.tar", "--yes"]);
    assertEquals(restored.code, 0, restored.stderr);
    assertEquals(await sha256File(live), sha);
    assertEquals((await run(["state", "get", "a"])).stdout, "1\n");

    const rss = { create: created.rss, verify: verified.rss, restore: restored.rss };
    console.log(
      `peak RSS (MiB): ${
        JSON.stringify(rss, (_k, v) => typeof v === "number" ? Math.round(v / MiB) : v)
      }`,
    );
    for (const [cmd, bytes] of Object.entries(rss)) {
      assert(bytes < MAX_RSS, `backup ${cmd} peaked at ${bytes / MiB} MiB`);
    }
  });
});

async function tar(cwd: string, ...args: string[]): Promise<string> {
  const out = await new Deno.Command("tar", { args, cwd }).output();
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout);
}

Deno.test("a backup is a tar that GNU tar lists and extracts to its members; archives GNU tar makes of that layout (gnu and posix formats) restore", async () => {
  await withHome(async (run, home) => {
    const made = await run([
      "exec",
      `State.set("a", 1) Artifact.store("r.txt", "first") Artifact.store("s.bin", string.rep("\\0\\1", 5000))`,
    ]);
    assertEquals(made.code, 0, made.stderr);
    assertEquals((await run(["backup", "create", "b.tar"])).code, 0);
    const manifest = JSON.parse(
      new TextDecoder().decode(
        (await new Deno.Command("tar", { args: ["-xOf", "b.tar", "manifest.json"], cwd: home })
          .output()).stdout,
      ),
    );
    const names = ["manifest.json", ...manifest.members.map((m: { name: string }) => m.name)];
    assertEquals((await tar(home, "-tf", "b.tar")).trim().split("\n"), names);
    await Deno.mkdir(`${home}/x`);
    await tar(home, "-xf", "b.tar", "-C", "x");
    for (const m of manifest.members as { name: string; size: number; sha256: string }[]) {
      assertEquals((await Deno.stat(`${home}/x/${m.name}`)).size, m.size);
      assertEquals(await sha256File(`${home}/x/${m.name}`), m.sha256);
    }
    // GNU tar's own archives of the same layout, directory entries and pax headers included.
    await tar(
      `${home}/x`,
      "--format=gnu",
      "-cf",
      "../g.tar",
      "manifest.json",
      "llmspell.db",
      "artifacts",
    );
    await tar(
      `${home}/x`,
      "--format=posix",
      "-cf",
      "../p.tar",
      "manifest.json",
      "llmspell.db",
      "artifacts",
    );
    for (const file of ["g.tar", "p.tar"]) {
      assertEquals((await run(["state", "set", "a", "2"])).code, 0);
      const r = await run(["backup", "restore", file, "--yes"]);
      assertEquals(r.code, 0, r.stderr);
      assertMatch(r.stdout, /restored .*: 1 state value, 1 session, 2 artifacts\n/);
      assertEquals((await run(["state", "get", "a"])).stdout, "1\n");
    }
  });
});
