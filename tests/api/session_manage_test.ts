/**
 * Managing sessions through the real CLI: the Session calls (create, get, list, suspend,
 * resume, complete, set/value), a run's session ending completed or failed, `session list`
 * filters, `session export`, `session delete` (by id and by age) and retention
 * (`[sessions] max_sessions`).
 */
import { assertEquals, assertMatch } from "../helpers/assert.ts";
import { cli, withHome } from "../helpers/cli.ts";

interface Listed {
  id: string;
  name: string | null;
  status: string;
  tags: string[];
  parent: string | null;
  executions: number;
}

async function list(run: typeof cli, ...args: string[]): Promise<Listed[]> {
  const r = await run(["session", "list", "--output", "json", ...args]);
  assertEquals(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

Deno.test("session: Session.create/get/list/suspend/resume/complete and Session.set/value from Lua", async () => {
  await withHome(async (run, home) => {
    await Deno.writeTextFile(
      `${home}/s.lua`,
      `local me = Session.current().id
local id = Session.create{name = "child", description = "d", tags = {"a", "b"}, parent = me}
Session.set("x", {1, "two"})
local x = Session.value("x")
print(x[1], x[2], State.get("x", "session:" .. me)[2])
local s = Session.get(id)
print(s.name, s.description, s.parent == me, s.status, table.concat(s.tags, ","))
print(#Session.list{tags = {"a"}}, #Session.list{tags = {"a", "zz"}}, Session.list{limit = 1}[1].id == id)
Session.suspend(id)
print(Session.get(id).status, #Session.list{status = "suspended"})
Session.resume(id)
Session.complete(id)
print(Session.get(id).status, Session.get("nope"))
print(pcall(Session.resume, id))
print(pcall(Session.create, {parent = "nope"}))
print(pcall(Session.list, {status = "odd"}))`,
    );
    const r = await run(["run", "s.lua"]);
    assertEquals(r.code, 0, r.stderr);
    const lines = r.stdout.split("\n");
    assertEquals(lines[0], "1\ttwo\ttwo");
    assertEquals(lines[1], "child\td\ttrue\tactive\ta,b");
    assertEquals(lines[2], "1\t0\ttrue");
    assertEquals(lines[3], "suspended\t1");
    assertEquals(lines[4], "completed\tnil");
    assertMatch(lines[5], /^false\tSession\.resume: session '[-0-9a-f]+' is completed$/);
    assertMatch(lines[6], /^false\t.*no parent session 'nope'/);
    assertMatch(lines[7], /^false\t.*status is one of active, suspended, completed, failed/);

    const listed = await list(run);
    assertEquals(listed.length, 2);
    const [child, parent] = listed;
    assertEquals([child.name, child.tags, child.parent, child.status], [
      "child",
      ["a", "b"],
      parent.id,
      "completed",
    ]);
    // The run ended normally: its session is completed, not left active.
    assertEquals([parent.status, parent.executions], ["completed", 1]);
  });
});

Deno.test("session: a failed run's session is failed; list --status and --tag filter, newest first", async () => {
  await withHome(async (run) => {
    assertEquals((await run(["exec", 'State.set("a", 1)'])).code, 0);
    assertEquals((await run(["exec", 'State.set("a", 2) error("boom")'])).code, 1);
    const t = await run(["exec", 'Session.create{name = "tagged", tags = {"nightly"}}']);
    assertEquals(t.code, 0, t.stderr);
    const all = await list(run);
    assertEquals(all.map((s) => s.status), ["active", "completed", "failed", "completed"]);
    assertEquals((await list(run, "--status", "failed")).length, 1);
    assertEquals((await list(run, "--status", "failed"))[0].id, all[2].id);
    assertEquals((await list(run, "--tag", "nightly")).map((s) => s.name), ["tagged"]);
    assertEquals((await list(run, "--tag", "nightly", "--tag", "other")).length, 0);
    assertEquals((await run(["session", "list", "--status", "odd"])).code, 2);
  });
});

Deno.test("session: export writes the session and its records as JSON; delete by id and --older-than", async () => {
  await withHome(async (run, home) => {
    const r = await run(["exec", 'Session.set("k", "v") print(Session.current().id)']);
    assertEquals(r.code, 0, r.stderr);
    const id = r.stdout.trim();
    const out = await run(["session", "export", id.slice(0, 8), "--format", "json"]);
    assertEquals(out.code, 0, out.stderr);
    const data = JSON.parse(out.stdout);
    assertEquals(data.session.id, id);
    assertEquals(data.records.map((x: { method?: string; kind: string }) => x.method ?? x.kind), [
      "state.set",
      "execution",
    ]);
    assertEquals(data.records[0].args, ["session", "k", "v"]);
    assertEquals((await run(["session", "export", id, "-o", "out.json"])).code, 0);
    assertEquals(JSON.parse(await Deno.readTextFile(`${home}/out.json`)), data);

    // --older-than spares what ended more recently.
    const none = await run(["session", "delete", "--older-than", "1d"]);
    assertEquals([none.code, none.stdout], [0, ""]);
    assertEquals((await run(["session", "delete"])).code, 2);
    assertEquals((await run(["session", "delete", "--older-than", "soon"])).code, 2);
    const del = await run(["session", "delete", id]);
    assertEquals([del.code, del.stdout], [0, `deleted ${id}\n`]);
    assertEquals((await list(run)).length, 0);
    // Its session-scope state went with it.
    const st = await run(["state", "list", "--scope", `session:${id}`, "--output", "json"]);
    assertEquals(st.code, 0, st.stderr);
    assertEquals(JSON.parse(st.stdout), []);
    assertEquals((await run(["session", "delete", id])).code, 1);

    assertEquals((await run(["exec", 'State.set("a", 1)'])).code, 0);
    const old = await run(["session", "delete", "--older-than", "0m", "--output", "json"]);
    assertEquals(JSON.parse(old.stdout).deleted.length, 1);
  });
});

Deno.test("session: [sessions] max_sessions keeps the newest sessions", async () => {
  await withHome(async (run, home) => {
    await Deno.writeTextFile(`${home}/llmspell.toml`, "[sessions]\nmax_sessions = 2\n");
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await run(["exec", "print(Session.current().id)"]);
      assertEquals(r.code, 0, r.stderr);
      ids.push(r.stdout.trim());
    }
    assertEquals((await list(run)).map((s) => s.id), [ids[3], ids[2]]);
  });
});
