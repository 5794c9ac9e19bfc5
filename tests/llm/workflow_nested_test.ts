/**
 * Parallel workflows nested in a parallel workflow's branches, through the real CLI against
 * a local OpenAI-wire server that holds some requests until another comes: the calls of
 * every level are in flight at once and each answer resumes the branch that made its call
 * (a nested workflow's wait never holds up the enclosing branches); a failing branch
 * cancels the nested ones' requests; and a replay gives each branch the answer it was
 * recorded with when two branches made the very same call and got different answers.
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import { cli, tempDir } from "../helpers/cli.ts";
import { openaiText } from "./servers.ts";

const KEY = "sk-test-workflow-nested";

/**
 * Answers each chat by `reply(prompt, n)` (n: its arrival, from 1). The requests `hold`
 * picks are held until a chat whose prompt is "release" has come, or for the safety time
 * (then answered "timed out"). `GET /arrived/<n>` answers once n chats came, `/aborted/<n>`
 * once the client abandoned n held requests (each "timeout" after the safety time).
 */
class HoldServer {
  arrivals = 0;
  aborted = 0;
  readonly prompts: string[] = [];
  readonly #server: Deno.HttpServer<Deno.NetAddr>;
  readonly #released: Promise<boolean>;
  #release!: (v: boolean) => void;
  readonly #watchers: (() => void)[] = [];
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();

  constructor(
    readonly hold: (prompt: string, n: number) => boolean,
    readonly reply: (prompt: string, n: number) => string,
    readonly holdMs = 10_000,
  ) {
    this.#released = new Promise((r) => this.#release = r);
    this.#server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      (req) => this.#handle(req),
    );
  }

  get url(): string {
    return `http://127.0.0.1:${this.#server.addr.port}`;
  }

  /** True once `ok()` holds, false after the safety time. */
  #until(ok: () => boolean): Promise<boolean> {
    if (ok()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        resolve(false);
      }, this.holdMs);
      this.#timers.add(timer);
      const watch = () => {
        if (!ok()) return;
        this.#watchers.splice(this.#watchers.indexOf(watch), 1);
        clearTimeout(timer);
        this.#timers.delete(timer);
        resolve(true);
      };
      this.#watchers.push(watch);
    });
  }

  #changed(): void {
    for (const w of [...this.#watchers]) w();
  }

  async #handle(req: Request): Promise<Response> {
    const [, what, count] = new URL(req.url).pathname.split("/");
    if (what === "arrived" || what === "aborted") {
      const n = Number(count);
      const field = what === "arrived" ? () => this.arrivals : () => this.aborted;
      return new Response(await this.#until(() => field() >= n) ? "ok" : "timeout");
    }
    const body = await req.json();
    const n = ++this.arrivals;
    const messages = body.messages as { role: string; content: string }[];
    const prompt = messages.filter((m) => m.role === "user").at(-1)?.content ?? "";
    this.prompts.push(prompt);
    this.#changed();
    if (prompt === "release") this.#release(true);
    const answer = (text: string) =>
      new TextEncoder().encode(JSON.stringify((openaiText(text) as { json: unknown }).json));
    if (!this.hold(prompt, n)) {
      return new Response(answer(this.reply(prompt, n)), {
        headers: { "content-type": "application/json" },
      });
    }
    // The headers go now, the body once released: a client that goes away meanwhile cancels
    // the body (how an abandoned request shows here).
    let done = false;
    const released = Promise.race([
      this.#released,
      new Promise<boolean>((r) => {
        const timer = setTimeout(() => {
          this.#timers.delete(timer);
          r(false);
        }, this.holdMs);
        this.#timers.add(timer);
      }),
    ]);
    const stream = new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        const ok = await released;
        if (done) return;
        done = true;
        controller.enqueue(answer(ok ? this.reply(prompt, n) : "timed out"));
        controller.close();
      },
      cancel: () => {
        if (done) return;
        done = true;
        this.aborted++;
        this.#changed();
      },
    });
    return new Response(stream, { headers: { "content-type": "application/json" } });
  }

  async close(): Promise<void> {
    for (const t of this.#timers) clearTimeout(t);
    this.#release(false);
    await this.#server.shutdown();
  }
}

function llmEnv(url: string, home: string): Record<string, string> {
  return {
    OPENAI_API_KEY: KEY,
    LLMSPELL_PROVIDERS_OPENAI_BASE_URL: url + "/v1",
    LLMSPELL_HOME: home,
  };
}

/** Runs `script` with `llmspell run` in `home`. */
async function runIn(home: string, script: string, url: string) {
  await Deno.writeTextFile(`${home}/wf.lua`, script);
  return await cli(["run", "wf.lua"], { cwd: home, env: llmEnv(url, home) });
}

/** Replays the home's one session: its summary (divergences compared with the record). */
async function replay(home: string) {
  const env = { LLMSPELL_HOME: home, OPENAI_API_KEY: KEY };
  const listed = await cli(["session", "list", "--output", "json"], { cwd: home, env });
  const id = JSON.parse(listed.stdout)[0].id;
  const r = await cli(["session", "replay", id, "--output", "json"], { cwd: home, env });
  assertEquals(r.code, 0, r.stderr);
  return { id, report: JSON.parse(r.stdout) };
}

const ASK = `
local function ask(p) return Agent.builder():model("openai/gpt-4o-mini"):build():execute(p).text end
`;

Deno.test("workflow: nested parallel workflows' calls are all in flight and each answer resumes its own branch, at any level", async () => {
  // The three "hold" requests (two and three levels down) are answered only once the outer
  // branch "a" has sent "release", which it does after its first answer: a nested
  // workflow whose wait held up the enclosing branches would leave them held ("timed out").
  const s = new HoldServer((p) => p.startsWith("hold"), (p) => `echo: ${p}`);
  const home = await tempDir();
  try {
    const started = performance.now();
    const r = await runIn(
      home,
      ASK + `
local deepest = Workflow.parallel{name = "deepest", steps = {
  {name = "c1", fn = function() return ask("hold c1") .. " > " .. ask("after c1") end},
  {name = "c2", fn = function() return ask("hold c2") end},
}}
local inner = Workflow.parallel{name = "inner", steps = {
  {name = "b1", fn = function() return ask("hold b1") end},
  {name = "b2", workflow = deepest},
}}
local outer = Workflow.parallel{name = "outer", steps = {
  {name = "a", fn = function() return ask("first") .. " > " .. ask("release") end},
  {name = "b", workflow = inner},
}}
local r = outer:execute()
print(r.success, r.output.a)
print(r.output.b.b1)
print(r.output.b.b2.c1)
print(r.output.b.b2.c2)
`,
      s.url,
    );
    assertEquals([r.code, r.stderr], [0, ""]);
    assertEquals(
      r.stdout,
      "true\techo: first > echo: release\n" +
        "echo: hold b1\n" +
        "echo: hold c1 > echo: after c1\n" +
        "echo: hold c2\n",
    );
    assert(performance.now() - started < s.holdMs, "a held request waited out the safety time");
    // Every level's first call was sent before any answer was taken.
    assertEquals(
      s.prompts.slice(0, 4).toSorted(),
      ["first", "hold b1", "hold c1", "hold c2"],
    );
    // The recorded run replays with the same output.
    assertEquals((await replay(home)).report.divergences, []);
  } finally {
    await s.close();
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("workflow: a failing branch cancels a nested parallel workflow's branches and aborts their requests", async () => {
  const s = new HoldServer((p) => p.startsWith("hold"), (p) => `echo: ${p}`);
  const home = await tempDir();
  try {
    const r = await runIn(
      home,
      ASK + `
local inner = Workflow.parallel{name = "inner", steps = {
  {name = "b1", fn = function() return ask("hold b1") end},
  {name = "b2", fn = function() return ask("hold b2") end},
}}
local outer = Workflow.parallel{name = "outer", steps = {
  {name = "nested", workflow = inner},
  -- Fails once both nested requests are held by the server.
  {name = "broken", fn = function()
    assert(Tool.http_request{url = "${s.url}/arrived/2"}.body == "ok")
    error("kaput", 0)
  end},
}}
print(pcall(outer.execute, outer))
-- Both nested requests are abandoned while the script runs on.
print(Tool.http_request{url = "${s.url}/aborted/2"}.body)
`,
      s.url,
    );
    assertEquals([r.code, r.stderr], [0, ""]);
    assertEquals(r.stdout, "false\tworkflow 'outer': step 'broken' failed: kaput\nok\n");
    assertEquals([s.arrivals, s.aborted], [2, 2]);
  } finally {
    await s.close();
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("workflow: two branches making the very same call get back their own recorded answers in a replay", async () => {
  // Both branches ask "same"; the first to arrive is held until "release" comes, so the
  // second's answer ("same #2") is recorded first. Branch 1's request arrives first (branch
  // 2 waits for it), so at replay branch 1 asks first, and all answers come at once.
  const s = new HoldServer((p, n) => p === "same" && n === 1, (p, n) => `${p} #${n}`);
  const home = await tempDir();
  try {
    const r = await runIn(
      home,
      ASK + `
local r = Workflow.parallel{name = "twins", steps = {
  {name = "one", fn = function() return ask("same") end},
  {name = "two", fn = function()
    assert(Tool.http_request{url = "${s.url}/arrived/1"}.body == "ok")
    local mine = ask("same")
    ask("release")
    return mine
  end},
}}:execute()
print(r.output.one, r.output.two)
`,
      s.url,
    );
    assertEquals([r.code, r.stderr], [0, ""]);
    assertEquals(r.stdout, "same #1\tsame #2\n");
    assertEquals(s.prompts, ["same", "same", "release"]);
    await s.close();
    // The record has branch two's answer first; the replay's output is compared with the
    // record's (an answer given to the other branch is an output divergence).
    const env = { LLMSPELL_HOME: home, OPENAI_API_KEY: KEY };
    const { id, report } = await replay(home);
    assertEquals(report, { session: id, executions: 1, divergences: [] });
    const shown = await cli(["session", "show", id, "--output", "json"], { cwd: home, env });
    const chats = (JSON.parse(shown.stdout).records as Record<string, unknown>[])
      .filter((c) => c.method === "llm.chat")
      .map((c) => `${c.branch}: ${JSON.stringify(c.results).match(/same #\d|release/)?.[0]}`);
    assertEquals(chats[0], "2: same #2");
    assertEquals(chats.toSorted(), ["1: same #1", "2: release", "2: same #2"]);
  } finally {
    await s.close();
    await Deno.remove(home, { recursive: true });
  }
});
