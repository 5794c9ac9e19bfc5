/**
 * The Jupyter debugger is not implemented yet: the kernelspec and kernel_info both say so,
 * and a debug_request gets an error debug_reply at once instead of no reply at all.
 */
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { cli, tempDir } from "../helpers/cli.ts";
import { driver, KERNEL_DIR, startKernel } from "./helpers.ts";

const CONTROL = `${KERNEL_DIR}driver_control.py`;

Deno.test("kernelspec and kernel_info agree: debugger false", async () => {
  const dir = await tempDir();
  const install = await cli(
    ["kernel", "install", "--prefix", `${dir}/prefix`, "--output", "json"],
    { env: { LLMSPELL_HOME: `${dir}/home` } },
  );
  assertEquals(install.code, 0, install.stderr);
  const spec = JSON.parse(await Deno.readTextFile(JSON.parse(install.stdout).path));
  assertEquals(spec.metadata.debugger, false);

  const k = await startKernel();
  try {
    const r = await driver(["debug", k.connectionFile], {}, CONTROL);
    assertEquals(r.code, 0, r.stderr);
    const j = r.json as {
      kernel_info_debugger: boolean;
      msg_type: string;
      content: Record<string, unknown>;
      elapsed: number;
      after: string;
    };
    assertEquals(j.kernel_info_debugger, false);
    // An error debug_reply, at once, for the request's command; the kernel goes on.
    assertEquals(j.msg_type, "debug_reply");
    assertEquals(j.content.status, "error");
    assertEquals(j.content.success, false);
    assertEquals(j.content.type, "response");
    assertEquals(j.content.command, "initialize");
    assertEquals(j.content.request_seq, 7);
    assertStringIncludes(String(j.content.message), "debugger protocol is not available yet");
    assert(j.elapsed < 5, `debug_reply took ${j.elapsed}s`);
    assertEquals(j.after, "2");
  } finally {
    await k.stop();
  }
});
