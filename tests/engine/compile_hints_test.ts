/**
 * glue.wasm's compile hints (src/engine/wasm/compile_hints.ts): the committed list of start-up
 * functions is current, and V8 compiles those functions before their first call when given
 * the flag (tests/engine/v8_flags_test.ts checks that every way of running llmspell does).
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import { render, traceStartupFunctions } from "../../scripts/gen_compile_hints.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

Deno.test("src/engine/wasm/startup_functions.ts lists what exec 'print(1)' runs (deno task hints)", async () => {
  const committed = await Deno.readTextFile(`${ROOT}src/engine/wasm/startup_functions.ts`);
  assert(committed === render(await traceStartupFunctions()), "run: deno task hints");
});

async function compiledExports(kind: string, flags: string): Promise<Record<string, number>> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      `--v8-flags=--allow-natives-syntax${flags}`,
      `${ROOT}tests/engine/fixtures/compiled_exports.ts`,
      kind,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

for (const kind of ["batch", "interruptible"]) {
  Deno.test(`with the flag, V8 compiles the ${kind} engine's start-up functions with the module, the others at first call`, async () => {
    const hinted = await compiledExports(kind, ",--experimental-wasm-compilation-hints");
    assert(hinted.hinted > 20, `too few exported start-up functions: ${hinted.hinted}`);
    assertEquals(hinted, {
      hinted: hinted.hinted,
      hintedCompiled: hinted.hinted,
      otherCompiled: 0,
    });
    // The probe itself: without the flag nothing is compiled before its first call.
    const lazy = await compiledExports(kind, "");
    assertEquals(lazy, { hinted: hinted.hinted, hintedCompiled: 0, otherCompiled: 0 });
  });
}
