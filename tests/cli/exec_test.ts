import { assert, assertEquals, assertMatch, assertStringIncludes } from "../helpers/assert.ts";
import { cli, cliCommand, MAIN, readUntil, tempDir } from "../helpers/cli.ts";

Deno.test("exec echoes an expression like the lua REPL", async () => {
  const r = await cli(["exec", "1+2"]);
  assertEquals(r, { code: 0, stdout: "3\n", stderr: "" });
});

Deno.test("exec: a statement prints nothing extra; nil prints nothing", async () => {
  assertEquals((await cli(["exec", "x = 1"])).stdout, "");
  assertEquals((await cli(["exec", "nil"])).stdout, "");
});

Deno.test("exec: several values print tab-separated; strings raw at top, quoted in tables", async () => {
  const r = await cli(["exec", "return 1, 'two', 3.5, {'a', b = {c = true}}"]);
  assertEquals(r.stdout, '1\ttwo\t3.5\t{"a", b = {c = true}}\n');
});

Deno.test("exec: a result longer than one ring record (1.2 MB) arrives whole", async () => {
  const r = await cli(["exec", "string.rep('ab', 600000) .. '|end'"]);
  assertEquals(r.code, 0);
  assertEquals(r.stdout.length, 1_200_005);
  assert(r.stdout.startsWith("abab") && r.stdout.endsWith("|end\n"));
});

Deno.test("value display: sorted keys, cycles marked, long arrays elided, nesting limited", async () => {
  const r = await cli([
    "exec",
    "local t = {z = 1, a = 2, [1] = 'x'} t.self = t return t",
  ]);
  assertEquals(r.stdout, '{"x", a = 2, self = <cycle>, z = 1}\n');
  const long = await cli(["exec", "local t = {} for i = 1, 150 do t[i] = i end return t"]);
  assertMatch(long.stdout, /^\{\n {2}1,\n {2}2,\n[\s\S]* {2}100,\n {2}\.\.\. \(50 more\)\n\}\n$/);
  const deep = await cli(["exec", "return {a = {b = {c = {d = {e = 1}}}}}"]);
  assertEquals(deep.stdout, "{a = {b = {c = {d = {...}}}}}\n");
});

Deno.test("print and io.write stream in order, stdout and stderr separated", async () => {
  const r = await cli([
    "exec",
    "print('a', 1) io.write('b', 2, '\\n') io.stderr:write('err\\n') print('c')",
  ]);
  assertEquals(r.stdout, "a\t1\nb2\nc\n");
  assertEquals(r.stderr, "err\n");
});

Deno.test("output streams while the script is still running", async () => {
  const dir = await tempDir();
  const child = cliCommand(
    ["exec", "print('started') while not io.open('go') do end print('finished')"],
    { cwd: dir },
  ).spawn();
  const reader = child.stdout.getReader();
  // The script cannot finish before the file exists, so seeing "started" proves streaming.
  const first = await readUntil(reader, "started");
  assert(!first.includes("finished"));
  await Deno.writeTextFile(`${dir}/go`, "");
  const rest = await readUntil(reader, "finished");
  assert(rest.includes("finished"));
  reader.releaseLock();
  await child.stdout.cancel();
  await child.stderr.cancel();
  assertEquals((await child.status).code, 0);
});

Deno.test("runtime error: message with chunk and line, traceback, exit 1", async () => {
  const r = await cli(["exec", "local x = 1\nerror('boom')"]);
  assertEquals(r.code, 1);
  assertEquals(r.stdout, "");
  assertMatch(
    r.stderr,
    /^error: exec:2: boom\nstack traceback:\n\t\[C\]: in function 'error'\n\texec:2: in main chunk\n$/,
  );
});

Deno.test("syntax error: message with line, exit 1", async () => {
  const r = await cli(["exec", "x = = 1"]);
  assertEquals(r.code, 1);
  assertEquals(r.stderr, "error: exec:1: unexpected symbol near '='\n");
});

Deno.test("an error object that is a table is shown as a table", async () => {
  const r = await cli(["exec", "error({code = 42, msg = 'bad'})"]);
  assertEquals(r.code, 1);
  assertMatch(r.stderr, /^error: \{code = 42, msg = "bad"\}\n/);
});

Deno.test("--output json reports status, result, stdout, stderr, error, duration", async () => {
  const ok = JSON.parse((await cli(["exec", "--output", "json", "print('hi') return 7"])).stdout);
  assertEquals(ok.status, "ok");
  assertEquals(ok.result, [7]);
  assertEquals(ok.display, "7");
  assertEquals(ok.stdout, "hi\n");
  assertEquals(ok.stderr, "");
  assertEquals(ok.error, null);
  assert(typeof ok.duration_ms === "number");
  const bad = await cli(["exec", "error('x')", "--output", "json"]);
  assertEquals(bad.code, 1);
  const doc = JSON.parse(bad.stdout);
  assertEquals(doc.status, "error");
  assertEquals(doc.error.message, "exec:1: x");
  assertEquals(doc.error.kind, "runtime");
});

Deno.test("--output yaml prints the same document as YAML", async () => {
  const r = await cli(["exec", "--output", "yaml", "return 1"]);
  assertMatch(r.stdout, /^status: ok\nexit_code: 0\nresult:\n {2}- 1\ndisplay: "1"\n/);
});

Deno.test("SIGINT ends a batch run with exit code 130 promptly", async () => {
  const child = cliCommand(["exec", "print('spinning') while true do end"]).spawn();
  const reader = child.stdout.getReader();
  await readUntil(reader, "spinning");
  const sent = performance.now();
  child.kill("SIGINT");
  const status = await child.status;
  const elapsed = performance.now() - sent;
  reader.releaseLock();
  await child.stdout.cancel();
  await child.stderr.cancel();
  assertEquals(status.code, 130);
  // A bound against hanging, not a latency figure: the suite runs on two loaded cores.
  assert(elapsed < 5000, `exit took ${elapsed} ms`);
});

Deno.test("--trace debug writes diagnostics to stderr only", async () => {
  const r = await cli(["exec", "--trace", "debug", "1"]);
  assertEquals(r.stdout, "1\n");
  assertMatch(r.stderr, /^\[debug\] config: defaults/m);
  assertMatch(r.stderr, /^\[debug\] engine ready after [\d.]+ ms \(safe/m);
  const quiet = await cli(["exec", "1"]);
  assertEquals(quiet.stderr, "");
});

Deno.test("on a terminal, results are coloured by type; never with NO_COLOR or in a pipe", async () => {
  // util-linux `script` gives the command a real pseudo-terminal.
  const run = async (env: Record<string, string>) => {
    const cmd = `${Deno.execPath()} run -A --quiet ${MAIN} exec 'return 42, "s", true, {1}'`;
    const out = await new Deno.Command("script", {
      args: ["-qc", cmd, "/dev/null"],
      env: { LLMSPELL_HOME: await tempDir(), ...env },
      stdout: "piped",
    }).output();
    return new TextDecoder().decode(out.stdout).replace(/\r/g, "");
  };
  const colored = await run({ NO_COLOR: "" });
  assertStringIncludes(colored, "\x1b[36m42\x1b[0m\t\x1b[32ms\x1b[0m\t\x1b[35mtrue\x1b[0m\t{1}\n");
  assertEquals(await run({ NO_COLOR: "1" }), "42\ts\ttrue\t{1}\n");
  assertEquals(
    (await cli(["exec", "return 42, 's'"], { env: { NO_COLOR: "" } })).stdout,
    "42\ts\n",
  );
});

Deno.test("a closed output pipe ends the command quietly with 141, like `yes | head`", async () => {
  const child = cliCommand(["exec", "for i = 1, 1e6 do print(i) end"]).spawn();
  const reader = child.stdout.getReader();
  await readUntil(reader, "1\n");
  await reader.cancel();
  const [status, stderr] = await Promise.all([child.status, new Response(child.stderr).text()]);
  assertEquals(status.code, 141);
  assertEquals(stderr, "");
});

Deno.test("math.random draws different numbers in each run (seeded at start, not from the clock's second)", async () => {
  const code = "print(math.random(1e9), math.random(1e9), math.random(1e9))";
  const [a, b] = await Promise.all([cli(["exec", code]), cli(["exec", code])]);
  assertEquals(a.code + b.code, 0);
  assert(a.stdout !== b.stdout, `same numbers twice: ${a.stdout}`);
});
