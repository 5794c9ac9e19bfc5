/**
 * The V8 flags that every way of running llmspell passes to Deno: install.sh's launcher and
 * its `deno compile`, `deno task compile` and `deno task start`, the kernelspec, the tests'
 * CLI helper and the benches (tests/engine/v8_flags_test.ts checks them). Without them
 * llmspell works the same, only slower to start.
 *
 * - `--experimental-wasm-compilation-hints`: V8 reads glue.wasm's compile hints section
 *   (compile_hints.ts) and compiles the functions start-up runs with the module.
 * - `--wasm-tiering-budget`: how much code (roughly, bytes run) a wasm function runs before V8
 *   recompiles it with its optimizing compiler. Each Lua instruction spends a large share of
 *   Lua's VM loop (luaV_execute, 22 KB of wasm), so at V8's default (13 000 000) the engine's
 *   own start-up (the prelude and the sandbox, ~1 000 Lua instructions) already sends the
 *   VM loop to the optimizing compiler, on V8's threads, while the worker and the main thread
 *   run `exec`'s critical path (docs/decisions/0009-v8-tiering-budget.md). Start-up alone
 *   reaches 30-35 M; at 50 M a script that computes still reaches it within well under a
 *   millisecond of Lua.
 */
export const V8_FLAGS: readonly string[] = [
  "--experimental-wasm-compilation-hints",
  "--wasm-tiering-budget=50000000",
];

/** The Deno argument that carries them. */
export const V8_FLAGS_ARG = `--v8-flags=${V8_FLAGS.join(",")}`;
