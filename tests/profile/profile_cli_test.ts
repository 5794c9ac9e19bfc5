/**
 * `llmspell profile`, `run --profile` through the real CLI: a script whose time splits
 * known ways (a hot Lua function, then an HTTP tool call to a local server that answers
 * late; tests/fixtures/profile_split.lua measures both itself) gets a profile whose shares
 * are within 10 points of what it measured, with the host call under the Lua function
 * that made it; the three files and the table; the flags' errors.
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../helpers/assert.ts";
import { cli, FIXTURES, tempDir } from "../helpers/cli.ts";
import { DEFAULT_PROFILE_HZ } from "../../src/engine/shared/protocol.ts";
import { openaiText, ScriptedServer } from "../llm/servers.ts";

const SPLIT = `${FIXTURES}profile_split.lua`;

/** A local server that answers every request after `delayMs`. */
function lateServer(delayMs: number): { url: string; close: () => Promise<void> } {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async () => {
    await new Promise((r) => setTimeout(r, delayMs));
    return new Response("late");
  });
  return { url: `http://127.0.0.1:${server.addr.port}/`, close: () => server.shutdown() };
}

interface Row {
  frame: string;
  self_pct: number;
  total_pct: number;
  self_ms: number;
  total_ms: number;
}

interface Doc {
  status: string;
  stdout: string;
  profile: {
    total_ms: number;
    samples: number;
    rows: Row[];
    files: { folded: string; svg: string; speedscope: string };
  };
}

function row(doc: Doc, prefix: string): Row {
  const r = doc.profile.rows.find((x) => x.frame.startsWith(prefix));
  assert(r, `no row ${prefix} in ${JSON.stringify(doc.profile.rows)}`);
  return r;
}

Deno.test("profile: a hot Lua function and a slow HTTP tool call get their shares within 10 points", async () => {
  const dir = await tempDir();
  const server = lateServer(600);
  try {
    const r = await cli(
      ["profile", "--output", "json", "--out", `${dir}/split`, SPLIT, "--", server.url],
      { cwd: dir },
    );
    assertEquals(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as Doc;
    const m = /hot_ms=([\d.]+) fetch_ms=([\d.]+) status=200/.exec(doc.stdout);
    assert(m, doc.stdout);
    const total = doc.profile.total_ms;
    const truth = { hot: (100 * Number(m[1])) / total, fetch: (100 * Number(m[2])) / total };
    const hot = row(doc, "hot (profile_split.lua:6)");
    const fetch = row(doc, "fetch (profile_split.lua:12)");
    const wait = row(doc, "[host] tool.invoke http_request");
    const msg = `truth hot ${truth.hot.toFixed(1)}% fetch ${truth.fetch.toFixed(1)}%; ` +
      `profile hot ${hot.total_pct}% fetch ${fetch.total_pct}% (wait ${wait.total_pct}%)`;
    console.log(msg);
    assert(Math.abs(hot.total_pct - truth.hot) <= 10, msg);
    assert(Math.abs(fetch.total_pct - truth.fetch) <= 10, msg);
    // The server's delay is the wait's: at least 600 ms of it.
    assert(wait.total_ms >= 600, msg);
    // The wait is under fetch, the frame that made the call.
    const folded = await Deno.readTextFile(`${dir}/split.folded`);
    assertMatch(
      folded,
      /^main chunk \(profile_split\.lua\);fetch \(profile_split\.lua:12\);\[host\] tool\.invoke http_request \d+$/m,
    );
    for (const line of folded.trimEnd().split("\n")) assertMatch(line, /^[^;\n]+(;[^;\n]+)* \d+$/);
    assertEquals(doc.profile.files, {
      folded: `${dir}/split.folded`,
      svg: `${dir}/split.svg`,
      speedscope: `${dir}/split.speedscope.json`,
    });
    assert(doc.profile.samples > 10, `${doc.profile.samples} samples`);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("profile: an agent's model call shows as [host] llm.chat under the Lua function that asked", async () => {
  const dir = await tempDir();
  const server = new ScriptedServer().script(openaiText("hello"));
  try {
    await Deno.writeTextFile(
      `${dir}/agent.lua`,
      `local agent = Agent.builder():name("a"):model("openai/gpt-4o-mini"):build()
local function ask(q)
  local r = agent:execute(q)
  return r.text
end
print(ask("hi"))
`,
    );
    const r = await cli(["profile", "agent.lua"], {
      cwd: dir,
      env: {
        OPENAI_API_KEY: "sk-test-0123456789",
        LLMSPELL_PROVIDERS_OPENAI_BASE_URL: `${server.url}/v1`,
      },
    });
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stdout, "hello\n");
    assertMatch(
      await Deno.readTextFile(`${dir}/profile.folded`),
      /^main chunk \(agent\.lua\);ask \(agent\.lua:2\);\[host\] llm\.chat \d+$/m,
    );
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("profile: a coroutine's stack is under the frames that resume it", async () => {
  const dir = await tempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/co.lua`,
      `local function work(n) local s = 0 for i = 1, n do s = s + i % 5 end return s end
local gen = coroutine.wrap(function()
  for i = 1, 5 do coroutine.yield(work(4e5)) end
end)
local function drive() local t = 0 for i = 1, 5 do t = t + gen() end return t end
print(drive())
local co = coroutine.create(function() local s = work(1e6) return s end)
print(coroutine.resume(co))
`,
    );
    const r = await cli(["profile", "co.lua"], { cwd: dir });
    assertEquals(r.code, 0, r.stderr);
    const folded = await Deno.readTextFile(`${dir}/profile.folded`);
    assertMatch(
      folded,
      /^main chunk \(co\.lua\);drive \(co\.lua:5\);gen;\(anonymous\) \(co\.lua:2\);work \(co\.lua:1\) \d+$/m,
    );
    assertMatch(
      folded,
      /^main chunk \(co\.lua\);coroutine\.resume;\(anonymous\) \(co\.lua:7\);work \(co\.lua:1\) \d+$/m,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("run --profile: the same files (default prefix `profile`) and the table on stderr", async () => {
  const dir = await tempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/busy.lua`,
      "local function spin() local s = 0 for i = 1, 2e6 do s = s + i end return s end\n" +
        "print(spin())\n",
    );
    const r = await cli(["run", "--profile", "busy.lua"], { cwd: dir });
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stdout, "2000001000000\n");
    assertMatch(
      r.stderr,
      /^profile: [\d.]+ ms in \d+ samples; wrote profile\.folded, profile\.svg, profile\.speedscope\.json\n/,
    );
    assertMatch(r.stderr, /\n +self % +total % +self ms +total ms +frame\n/);
    assertMatch(r.stderr, /\n +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+ +spin \(busy\.lua:1\)\n/);
    for (const f of ["profile.folded", "profile.svg", "profile.speedscope.json"]) {
      assert((await Deno.stat(`${dir}/${f}`)).size > 0, f);
    }
    assertStringIncludes(await Deno.readTextFile(`${dir}/profile.folded`), "spin (busy.lua:1)");
    // --profile-out names the files.
    const o = await cli(["run", "--profile-out", "out/p", "busy.lua"], { cwd: dir });
    assertEquals(o.code, 1); // out/ does not exist: one error line, the run's output kept
    assertEquals(o.stdout, "2000001000000\n");
    assertMatch(o.stderr, /^error: cannot write the profile: .*\nhint: /);
    await Deno.mkdir(`${dir}/out`);
    const p = await cli(["run", "--profile-out", "out/p", "busy.lua"], { cwd: dir });
    assertEquals(p.code, 0, p.stderr);
    assertStringIncludes(p.stderr, "wrote out/p.folded, out/p.svg, out/p.speedscope.json");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("profile: a script that fails still writes its profile, and exits 1", async () => {
  const dir = await tempDir();
  try {
    await Deno.writeTextFile(`${dir}/fail.lua`, "local function f() error('boom') end\nf()\n");
    const r = await cli(["profile", "--top", "3", "fail.lua"], { cwd: dir });
    assertEquals(r.code, 1);
    assertStringIncludes(r.stderr, "boom");
    assertStringIncludes(r.stderr, "wrote profile.folded");
    assert((await Deno.stat(`${dir}/profile.svg`)).size > 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("profile: --rate and --top are checked; --help shows an example", async () => {
  for (const [flag, value] of [["--rate", "0"], ["--rate", "5000"], ["--top", "x"]]) {
    const r = await cli(["profile", flag, value, "x.lua"]);
    assertEquals(r.code, 2, `${flag} ${value}: ${r.stderr}`);
    assertMatch(r.stderr, new RegExp(`^error: ${flag} must be a whole number from`));
  }
  const h = await cli(["profile", "--help"]);
  assertEquals(h.code, 0);
  assertStringIncludes(h.stdout, "--out <prefix>");
  // The help's default rate is the engine's (profile_cmd.ts names the number itself).
  assertStringIncludes(h.stdout, `(default: "${DEFAULT_PROFILE_HZ}")`);
  assertStringIncludes(h.stdout, "$ llmspell profile agent.lua -- --topic rust");
});
