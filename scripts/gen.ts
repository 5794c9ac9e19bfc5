/**
 * Regenerates every generated file, in dependency order (`deno task gen`). Each file has a test
 * that fails when it is out of date (docs/architecture.md, "Generated files").
 *
 *   deno run -A scripts/gen.ts
 */

/** The generators, in the order they must run, with what each writes and why it comes there. */
export const GENERATORS: readonly { script: string; writes: string; after?: string }[] = [
  { script: "scripts/vendor_commander.ts", writes: "src/cli/vendor/commander.{js,d.ts}" },
  { script: "scripts/gen_lua_bytecode.ts", writes: "src/engine/worker/lua/bytecode.ts" },
  { script: "scripts/gen_trampolines.ts", writes: "src/engine/wasm/trampoline_wasm.ts" },
  {
    script: "scripts/gen_compile_hints.ts",
    writes: "src/engine/wasm/startup_functions.ts",
    after: "it traces a real exec, which loads the bytecode and the trampolines",
  },
  {
    script: "scripts/gen_completions.ts",
    writes: "completions/",
    after: "they come from the command tree, built with the vendored commander",
  },
  {
    script: "scripts/gen_argv_table.ts",
    writes: "src/cli/argv_table.ts",
    after: "the fast argv path's rules come from the command tree too",
  },
];

const ROOT = new URL("..", import.meta.url).pathname;

if (import.meta.main) {
  for (const { script, writes } of GENERATORS) {
    console.error(`${script} → ${writes}`);
    const { success } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", `${ROOT}${script}`],
      cwd: ROOT,
      stdout: "inherit",
      stderr: "inherit",
    }).output();
    if (!success) {
      console.error(`${script} failed; the files before it are regenerated, the rest are not`);
      Deno.exit(1);
    }
  }
}
