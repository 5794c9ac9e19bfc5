/**
 * The JavaScript bundle that install.sh's launcher runs (scripts/build.ts): built into a
 * temporary directory, then run as a process like the launcher runs it, through each path
 * that finds a file by its place in dist/ (engine/host/assets.ts): the batch engine, the
 * interruptible one (the REPL), the debugger's chunk, and the kernelspec's command; and
 * what Deno loads before the first line.
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../helpers/assert.ts";
import { cli, tempDir } from "../helpers/cli.ts";
import { build } from "../../scripts/build.ts";
import { V8_FLAGS_ARG } from "../../src/engine/host/v8_flags.ts";

const dist = await (async () => {
  const dir = `${await tempDir()}/dist`;
  await build(dir);
  return dir;
})();

async function bundled(args: string[], stdin = "", cwd?: string) {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--quiet",
      "--no-config",
      V8_FLAGS_ARG,
      `${dist}/cli/main.js`,
      ...args,
    ],
    cwd: cwd ?? dist,
    env: { NO_COLOR: "1", LLMSPELL_HOME: `${dist}/../home` },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(stdin));
  await w.close();
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("bundle: exec and run (with a sibling module) work from dist/", async () => {
  assertEquals(await bundled(["exec", "1+2"]), { code: 0, stdout: "3\n", stderr: "" });
  const dir = await tempDir();
  await Deno.writeTextFile(`${dir}/main.lua`, "print(require('mod').v, ARGS.name)\n");
  await Deno.writeTextFile(`${dir}/mod.lua`, "return { v = 'sibling' }\n");
  const r = await bundled(["run", `${dir}/main.lua`, "--", "--name", "Ada"]);
  assertEquals(r, { code: 0, stdout: "sibling\tAda\n", stderr: "" });
});

Deno.test("bundle: each command group answers from dist/ as from the sources (its chunks merged: decision 0032)", async () => {
  const home = `${dist}/../home`;
  const lines = [
    ["exec", "State.set('bundle', 41)"],
    ["state", "get", "bundle"],
    ["exec", "print(State.get('bundle') + 1)"],
    ["state", "list", "--output", "json"],
    ["session", "list", "--output", "json"],
    ["config", "show"],
    ["tool", "list", "--output", "json"],
    ["keys", "list", "--output", "json"],
    ["backup", "list", "--output", "json"],
    ["completions", "bash"],
    ["kernel", "--help"],
    ["dap", "--help"],
    ["profile", "--help"],
    ["debug", "--help"],
  ];
  for (const args of lines) {
    const fromSources = await cli(args, { cwd: dist, env: { LLMSPELL_HOME: home } });
    assertEquals(fromSources.code, 0, `${args.join(" ")}: ${fromSources.stderr}`);
    const fromBundle = await bundled(args);
    assertEquals(
      { code: fromBundle.code, stdout: fromBundle.stdout },
      { code: 0, stdout: fromSources.stdout },
      args.join(" "),
    );
  }
});

Deno.test("bundle: the REPL's interruptible engine and the debugger load from dist/", async () => {
  const repl = await bundled(["repl"], "x = 41\nprint(x + 1)\n");
  assertEquals(repl.code, 0, repl.stderr);
  assertStringIncludes(repl.stdout, "42");
  const dir = await tempDir();
  await Deno.writeTextFile(`${dir}/d.lua`, "local a = 1\nlocal b = a + 1\nprint(b)\n");
  const dbg = await bundled(["debug", "d.lua"], "break 2\ncontinue\nlocals\ncontinue\n", dir);
  assertEquals(dbg.code, 0, dbg.stderr);
  assertStringIncludes(dbg.stdout, "Stopped (breakpoint 1) at d.lua:2");
  assertStringIncludes(dbg.stdout, "a = 1");
});

Deno.test("bundle: validate loads its Lua parser (an npm package) from dist/", async () => {
  const dir = await tempDir();
  await Deno.writeTextFile(`${dir}/v.lua`, "local x <const> = 1\nif x != 2 then pritn(x) end\n");
  const r = await bundled(["validate", "v.lua"], "", dir);
  assertEquals(r.stdout.split("\n").filter((l) => l !== "").map((l) => l.split(" (hint")[0]), [
    "v.lua:2:6: error: '!=' is not a Lua operator",
    "v.lua:2:16: error: undefined global 'pritn' (calling it fails)",
  ]);
  assertEquals(r.code, 1);
});

Deno.test("bundle: the kernelspec runs the bundle without a configuration file", async () => {
  const prefix = await tempDir();
  const r = await bundled(["kernel", "install", "--prefix", prefix]);
  assertEquals(r.code, 0, r.stderr);
  const spec = JSON.parse(
    await Deno.readTextFile(`${prefix}/share/jupyter/kernels/llmspell/kernel.json`),
  );
  assertEquals(spec.argv.slice(1, 7), [
    "run",
    "-A",
    "--quiet",
    V8_FLAGS_ARG,
    "--no-config",
    `${dist}/cli/main.js`,
  ]);
});

Deno.test("bundle: an engine that cannot start (glue.wasm missing) fails the cell with one clear error", async () => {
  const broken = `${await tempDir()}/dist`;
  await build(broken);
  await Deno.remove(`${broken}/glue.wasm`);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", "--no-config", `${broken}/cli/main.js`, "exec", "print(1)"],
    env: { NO_COLOR: "1", LLMSPELL_HOME: `${broken}/../home` },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assertEquals(out.code, 1);
  assertEquals(new TextDecoder().decode(out.stdout), "");
  assertMatch(
    stderr,
    /^error: engine failed: the Lua engine could not start: .*glue\.wasm.* \(reinstall llmspell: bash install\.sh\)\n$/,
  );
});

Deno.test("bundle: Deno's start-up graph holds the static imports only; a command's chunks load when it runs", async () => {
  for (const entry of ["cli/main.js", "engine/worker.js"]) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", "--no-config", `${dist}/${entry}`],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
    const graph = JSON.parse(new TextDecoder().decode(out.stdout)) as {
      modules: { specifier: string; dependencies?: { specifier: string; isDynamic?: boolean }[] }[];
    };
    const dynamic = graph.modules.flatMap((m) =>
      (m.dependencies ?? []).filter((d) => d.isDynamic).map((d) =>
        `${m.specifier} -> ${d.specifier}`
      )
    );
    assertEquals(dynamic, [], entry);
    assert(graph.modules.length < 10, `${entry}: ${graph.modules.length} modules at start-up`);
  }
  // The program still reaches every command's chunk.
  const help = await bundled(["kernel", "--help"]);
  assertEquals(help.code, 0, help.stderr);
});
