/**
 * Acceptance: jupyter_kernel_test (Debian's python3-jupyter-kernel-test) against the
 * kernelspec that `llmspell kernel install --prefix` writes.
 */
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { cli, tempDir } from "../helpers/cli.ts";
import { KERNEL_DIR } from "./helpers.ts";

Deno.test("kernel install writes a kernelspec; jupyter_kernel_test passes every Lua-fitting test", async () => {
  const dir = await tempDir();
  const home = `${dir}/home`;
  const install = await cli([
    "kernel",
    "install",
    "--prefix",
    `${dir}/prefix`,
    "--name",
    "llmspell_jkt",
    "--output",
    "json",
  ], {
    env: { LLMSPELL_HOME: home },
  });
  assertEquals(install.code, 0, install.stderr);
  const specFile = JSON.parse(install.stdout).path;
  const spec = JSON.parse(await Deno.readTextFile(specFile));
  assertEquals(spec.language, "lua");
  assertEquals(spec.interrupt_mode, "message");
  assertEquals(spec.metadata, { debugger: true });
  assertEquals(spec.argv.slice(-4), ["kernel", "start", "--connection-file", "{connection_file}"]);

  const out = await new Deno.Command("/usr/bin/python3", {
    args: ["-m", "unittest", "-v", "jkt_llmspell"],
    cwd: KERNEL_DIR,
    env: {
      JUPYTER_PATH: `${dir}/prefix/share/jupyter`,
      JUPYTER_RUNTIME_DIR: `${dir}/jupyter_runtime`,
      JKT_KERNEL_NAME: "llmspell_jkt",
      LLMSPELL_HOME: home,
    },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const report = new TextDecoder().decode(out.stderr);
  assertEquals(out.code, 0, report);
  for (
    const t of [
      "test_kernel_info",
      "test_execute_stdout",
      "test_execute_stderr",
      "test_completion",
      "test_is_complete",
      "test_error",
      "test_execute_result",
      "test_display_data",
      "test_history",
      "test_inspect",
      "test_clear_output",
    ]
  ) {
    assertStringIncludes(report, `${t} (jkt_llmspell.LlmspellKernelTests.${t}) ... ok`);
  }
  assert(/Ran 12 tests/.test(report), report);

  const un = await cli([
    "kernel",
    "uninstall",
    "--prefix",
    `${dir}/prefix`,
    "--name",
    "llmspell_jkt",
  ], {
    env: { LLMSPELL_HOME: home },
  });
  assertEquals(un.code, 0);
  assertEquals(await Deno.stat(specFile).then(() => true, () => false), false);
});
