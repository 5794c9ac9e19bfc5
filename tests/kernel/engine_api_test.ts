/**
 * The engine additions the kernel builds on: display/clear_output/input, last-line echo,
 * completion, inspection and the is-complete check.
 */
import type { Engine, EngineEvent } from "../../src/engine/host/handle.ts";
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { startEngine } from "../engine/helpers.ts";

function engine(stdin: "kernel" | "process" = "kernel"): Promise<Engine> {
  return startEngine({ stdin });
}

async function run(
  e: Engine,
  code: string,
  answer: (ev: EngineEvent & { type: "input" }) => void = () => e.provideInput(null),
): Promise<EngineEvent[]> {
  const out: EngineEvent[] = [];
  for await (const ev of e.execute({ code, chunkName: "=cell", echo: true, echoLast: true })) {
    out.push(ev);
    if (ev.type === "input") answer(ev);
  }
  return out;
}

Deno.test("echoLast shows the value of a cell's last line", async () => {
  const e = await engine();
  try {
    assertEquals(await run(e, "x = 5\nx * 2\n"), [{
      type: "result",
      values: ["10"],
      types: ["number"],
    }]);
    assertEquals(await run(e, "y = 1\nprint(y)"), [
      { type: "stream", name: "stdout", data: new TextEncoder().encode("1\n") },
      { type: "result", values: [], types: [] },
    ]);
  } finally {
    e.close();
  }
});

Deno.test("display and clear_output arrive in order with print output", async () => {
  const e = await engine();
  try {
    const evs = await run(
      e,
      "print('a') display({1, 'b'}) display('<i>x</i>', 'text/html') " +
        "display({k = {1, 2}}, 'application/json') display('\\137PNG', 'image/png') " +
        "display('<svg/>', 'image/svg+xml') display('# T', 'text/markdown') clear_output(true) print('z')",
    );
    const kinds = evs.map((ev) => ev.type);
    assertEquals(kinds, [
      "stream",
      "display",
      "display",
      "display",
      "display",
      "display",
      "display",
      "clear_output",
      "stream",
      "result",
    ]);
    const data = evs.filter((ev) => ev.type === "display").map((ev) =>
      (ev as { data: Record<string, unknown> }).data
    );
    // Without a mimetype, a table JSON can hold shows as its text and its JSON.
    assertEquals(data[0], { "text/plain": '{1, "b"}', "application/json": [1, "b"] });
    assertEquals(data[1]["text/html"], "<i>x</i>");
    assertEquals(data[2]["application/json"], { k: [1, 2] });
    assertEquals(data[3]["image/png"], btoa("\x89PNG"));
    assertEquals(data[4]["image/svg+xml"], "<svg/>");
    assertEquals(data[5]["text/markdown"], "# T");
    assertEquals(evs[7], { type: "clear_output", wait: true });
    const bad = await run(e, "display(function() end, 'application/json')");
    assertEquals(bad[0].type, "error");
  } finally {
    e.close();
  }
});

Deno.test("display of a table JSON cannot hold: its text alone; errors point at the caller", async () => {
  const e = await engine();
  try {
    const evs = await run(e, "display({f = print, [true] = 1})");
    const d = evs.find((ev) => ev.type === "display") as { data: Record<string, unknown> };
    assertEquals(Object.keys(d.data), ["text/plain"]);
    const bad = await run(e, "\ndisplay(42, 'text/html')");
    const err = bad.find((ev) => ev.type === "error") as { error: { message: string } };
    assertStringIncludes(err.error.message, ":2: bad argument #1 to 'display'");
  } finally {
    e.close();
  }
});

Deno.test("a large display payload crosses the ring in parts", async () => {
  const e = await engine();
  try {
    const evs = await run(e, "display(string.rep('x', 3000000), 'text/html')");
    const d = evs.find((ev) => ev.type === "display") as { data: Record<string, string> };
    assertEquals(d.data["text/html"].length, 3000000);
  } finally {
    e.close();
  }
});

Deno.test("input() and io.read ask the kernel; nil at end of input; interrupt ends a wait", async () => {
  const e = await engine();
  try {
    const prompts: string[] = [];
    const evs = await run(
      e,
      "local a = input('name? ') local b = io.read() return a, b, io.read()",
      (ev) => {
        prompts.push(ev.prompt);
        e.provideInput(prompts.length < 3 ? `v${prompts.length}` : null);
      },
    );
    assertEquals(prompts, ["name? ", "", ""]);
    assertEquals(evs[evs.length - 1], {
      type: "result",
      values: ["v1", "v2", "nil"],
      types: ["string", "string", "nil"],
    });
    const refused = await run(e, "return input()", () => e.provideInput(null, "no stdin here"));
    assertEquals(refused[refused.length - 1].type, "error");
    const interrupted = await run(e, "kept = 1 return input('x')", () => e.interrupt());
    const last = interrupted[interrupted.length - 1] as { type: string; error: { kind: string } };
    assertEquals(last.error.kind, "interrupted");
    assertEquals((await run(e, "kept"))[0], { type: "result", values: ["1"], types: ["number"] });
  } finally {
    e.close();
  }
});

Deno.test("completion: globals and keywords, fields, methods through __index, string methods", async () => {
  const e = await engine();
  try {
    await run(
      e,
      "obj = setmetatable({own = 1}, {__index = {greet = function() end, n = 1}}) s = 'x' t = {a = {bb = 1}}",
    );
    const c = async (path: string[], sep: "" | "." | ":", prefix: string) =>
      ((await e.query({ kind: "complete", path, sep, prefix })) as { matches: string[] }).matches;
    assertEquals(await c([], "", "pri"), ["print"]);
    assertEquals(await c([], "", "whi"), ["while"]);
    assertEquals(await c(["string"], ".", "for"), ["format"]);
    assertEquals(await c(["obj"], ".", ""), ["greet", "n", "own"]);
    assertEquals(await c(["obj"], ":", ""), ["greet"]);
    assertEquals(await c(["s"], ":", "up"), ["upper"]);
    assertEquals(await c(["t", "a"], ".", ""), ["bb"]);
    assertEquals(await c(["nope"], ".", ""), []);
  } finally {
    e.close();
  }
});

Deno.test("inspection names standard functions and describes values; is_complete by Lua's parser", async () => {
  const e = await engine();
  try {
    await run(e, "tbl = {1, 2, x = 3}");
    const f = await e.query({ kind: "inspect", path: ["string", "format"] });
    assert(f.kind === "inspect" && f.found);
    assertEquals([f.type, f.stdlib], ["function", "string.format"]);
    const t = await e.query({ kind: "inspect", path: ["tbl"] });
    assert(t.kind === "inspect" && t.found);
    assertEquals([t.type, t.length, t.fields, t.repr], ["table", 2, ["x"], "{1, 2, x = 3}"]);
    assertEquals(await e.query({ kind: "inspect", path: ["missing"] }), {
      kind: "inspect",
      found: false,
    });
    const status = async (code: string) =>
      ((await e.query({ kind: "is_complete", code })) as { status: string }).status;
    for (const c of ["1+2", "x = 1", "print('a')", "for i = 1, 2 do end"]) {
      assertEquals(await status(c), "complete", c);
    }
    for (const c of ["for i = 1, 2 do", "function f()", "t = {", "print('a',", "x = [[long"]) {
      assertEquals(await status(c), "incomplete", c);
    }
    for (const c of ["x = = 1", "end", "x = 'abc"]) assertEquals(await status(c), "invalid", c);
  } finally {
    e.close();
  }
});
