/**
 * Artifacts through the real CLI and a kernel: Artifact.store/store_file/get/list/delete,
 * content kept once per SHA-256 under the data directory, the sandbox's allowed paths,
 * `[sessions] max_artifact_bytes`, and `session artifacts` / `session artifact -o`; a
 * content file goes with the last artifact that uses it (Artifact.delete, `session delete`,
 * retention).
 */
import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import { cli, tempDir } from "../helpers/cli.ts";
import { driver, KERNEL_DIR, startKernel } from "../kernel/helpers.ts";

async function contentFiles(home: string): Promise<number> {
  let n = 0;
  const walk = async (dir: string) => {
    for await (const e of Deno.readDir(dir)) {
      if (e.isDirectory) await walk(`${dir}/${e.name}`);
      else n++;
    }
  };
  await walk(`${home}/data/artifacts`);
  return n;
}

Deno.test("artifact: store, store_file, get, list, delete from a run; content deduplicated; session artifacts and artifact -o", async () => {
  const home = await tempDir();
  const run: typeof cli = (args, opts) =>
    cli(args, { cwd: home, env: { LLMSPELL_HOME: home }, ...opts });
  try {
    const bytes = new Uint8Array(256).map((_, i) => i);
    await Deno.writeFile(`${home}/all.bin`, bytes);
    await Deno.writeTextFile(
      `${home}/s.lua`,
      `local a = Artifact.store("r.md", "# hi\\0\\255", {mime_type = "text/markdown", tags = {"x"}, kind = "report"})
local b = Artifact.store("again.md", "# hi\\0\\255")
local c = Artifact.store_file("all.bin", {tags = {"x", "y"}})
local g = Artifact.get(a)
print(g.content == "# hi\\0\\255", g.metadata.name, g.metadata.mime_type, g.metadata.kind, g.metadata.size)
print(g.metadata.sha256 == Artifact.get(b).metadata.sha256, g.metadata.session == Session.current().id)
print(#Artifact.list{}, #Artifact.list{tags = {"x"}}, #Artifact.list{tags = {"x", "y"}}, #Artifact.list{kind = "report"},
  Artifact.list{name = "all.bin"}[1].id == c, Artifact.list{limit = 1}[1].id == c)
print(#Artifact.list{session = Session.current().id}, #Artifact.list{session = "other"})
print(Artifact.delete(b), Artifact.delete(b), Artifact.get(b))
print(pcall(Artifact.store_file, "/etc/hostname"))
print(pcall(Artifact.store, "big", string.rep("x", 2000)))
print(pcall(Artifact.store, "", "x"))
print(Session.current().id)`,
    );
    await Deno.writeTextFile(`${home}/llmspell.toml`, "[sessions]\nmax_artifact_bytes = 1000\n");
    const r = await run(["run", "s.lua"]);
    assertEquals(r.code, 0, r.stderr);
    const lines = r.stdout.split("\n");
    assertEquals(lines[0], "true\tr.md\ttext/markdown\treport\t6");
    assertEquals(lines[1], "true\ttrue");
    assertEquals(lines[2], "3\t2\t1\t1\ttrue\ttrue");
    assertEquals(lines[3], "3\t0");
    assertEquals(lines[4], "true\tfalse\tnil");
    assertMatch(lines[5], /^false\tArtifact\.store_file: .*outside the allowed paths/);
    assertMatch(
      lines[6],
      /^false\tArtifact\.store: the content is 2000 bytes, more than the limit of 1000 \(\[sessions\] max_artifact_bytes\)/,
    );
    assertMatch(lines[7], /^false\tArtifact\.store: name must be a non-empty string/);
    const id = lines[8];
    // r.md and again.md share their content: two files for three stored artifacts, and
    // deleting again.md kept the file r.md still uses.
    assertEquals(await contentFiles(home), 2);

    const listed = await run(["session", "artifacts", id.slice(0, 8), "--output", "json"]);
    assertEquals(listed.code, 0, listed.stderr);
    const arts = JSON.parse(listed.stdout) as { id: string; name: string; size: number }[];
    assertEquals(arts.map((a) => [a.name, a.size]), [["all.bin", 256], ["r.md", 6]]);
    const text = await run(["session", "artifacts", id]);
    assertMatch(text.stdout, /r\.md {2}text\/markdown {2}\(report\) {2}\[x\]/);

    const out = await run(["session", "artifact", id, arts[0].id.slice(0, 8), "-o", "out.bin"]);
    assertEquals(out.code, 0, out.stderr);
    assertEquals(await Deno.readFile(`${home}/out.bin`), bytes);
    const stdout = await run(["session", "artifact", id, arts[1].id]);
    assertEquals(stdout.stdout, "# hi\0\ufffd");
    assertEquals((await run(["session", "artifact", id, "nope"])).code, 1);

    // Deleting the last artifact that uses a content removes its file.
    const d = await run(["exec", `print(Artifact.delete("${arts[0].id}"))`]);
    assertEquals(d.stdout, "true\n", d.stderr);
    assertEquals(await contentFiles(home), 1);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("artifact: session delete and retention remove the content files no artifact uses any more", async () => {
  const home = await tempDir();
  const run: typeof cli = (args, opts) =>
    cli(args, { cwd: home, env: { LLMSPELL_HOME: home }, ...opts });
  const store = async (...contents: string[]) => {
    const r = await run([
      "exec",
      contents.map((c, i) => `Artifact.store("a${i}", "${c}")`).join(" ") +
      " print(Session.current().id)",
    ]);
    assertEquals(r.code, 0, r.stderr);
    return r.stdout.trim();
  };
  try {
    const a = await store("only in a", "shared");
    const b = await store("shared");
    assertEquals(await contentFiles(home), 2);

    // b still uses "shared": only a's own content goes.
    const del = await run(["session", "delete", a]);
    assertEquals(del.code, 0, del.stderr);
    assertEquals(await contentFiles(home), 1);
    const kept = await run(["session", "artifacts", b, "--output", "json"]);
    const art = JSON.parse(kept.stdout)[0].id;
    assertEquals((await run(["session", "artifact", b, art])).stdout, "shared");

    // Retention: the next session to open keeps only itself, and b's artifacts go with b.
    await Deno.writeTextFile(`${home}/llmspell.toml`, "[sessions]\nmax_sessions = 1\n");
    const c = await run(["exec", 'State.set("x", 1)']);
    assertEquals(c.code, 0, c.stderr);
    assertEquals((await run(["session", "artifacts", b])).code, 1);
    assertEquals(await contentFiles(home), 0);

    // --older-than too.
    await Deno.remove(`${home}/llmspell.toml`);
    await store("old");
    assertEquals(await contentFiles(home), 1);
    const old = await run(["session", "delete", "--older-than", "0d"]);
    assertEquals(old.code, 0, old.stderr);
    assertEquals(await contentFiles(home), 0);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("artifact: a kernel cell stores an artifact linked to the kernel's session", async () => {
  const k = await startKernel();
  let id = "";
  try {
    const r = await driver(
      [
        k.connectionFile,
        "a = Artifact.store('cell.txt', 'from a kernel')",
        "print(Artifact.get(a).content, Artifact.get(a).metadata.session == Session.current().id)",
        "print(Session.current().id)",
      ],
      {},
      `${KERNEL_DIR}state_driver.py`,
    );
    const cells = r.json as { stdout: string }[];
    assert(Array.isArray(cells), r.stderr);
    assertEquals(cells[1].stdout, "from a kernel\ttrue\n");
    id = cells[2].stdout.trim();
  } finally {
    await k.stop();
  }
  const listed = await cli(["session", "artifacts", id, "--output", "json"], {
    cwd: k.home,
    env: { LLMSPELL_HOME: k.home },
  });
  assertEquals(JSON.parse(listed.stdout).map((a: { name: string }) => a.name), ["cell.txt"]);
  await Deno.remove(k.home, { recursive: true });
});
