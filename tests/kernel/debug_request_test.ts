/**
 * debug_request on the control channel (kernel/kernel_debugger.ts): the kernel serves DAP to
 * an attached debugger (`llmspell dap` attach; tests/dap/ drives that). JupyterLab's own
 * protocol (debugInfo, dumpCell) is not served, so the kernelspec and kernel_info still say
 * `debugger: false`. A command the session does not know, and any command when the config
 * turns debugging off (debug.enabled = false), get an error debug_reply at once.
 */
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { cli, tempDir } from "../helpers/cli.ts";
import { driver, KERNEL_DIR, startKernel } from "./helpers.ts";

const CONTROL = `${KERNEL_DIR}driver_control.py`;

interface DebugFindings {
  kernel_info_debugger: boolean;
  msg_type: string;
  content: Record<string, unknown>;
  elapsed: number;
  after: string;
}

async function debugRequest(args: string[], opts: { home?: string } = {}) {
  const k = await startKernel([], opts);
  try {
    const r = await driver(["debug", k.connectionFile, ...args], {}, CONTROL);
    assertEquals(r.code, 0, r.stderr);
    return r.json as DebugFindings;
  } finally {
    await k.stop();
  }
}

Deno.test("kernelspec and kernel_info agree: debugger false", async () => {
  const dir = await tempDir();
  const install = await cli(
    ["kernel", "install", "--prefix", `${dir}/prefix`, "--output", "json"],
    { env: { LLMSPELL_HOME: `${dir}/home` } },
  );
  assertEquals(install.code, 0, install.stderr);
  const spec = JSON.parse(await Deno.readTextFile(JSON.parse(install.stdout).path));
  assertEquals(spec.metadata.debugger, false);
  const j = await debugRequest([]);
  assertEquals(j.kernel_info_debugger, false);
});

Deno.test("debug_request initialize: the session's capabilities, at once", async () => {
  const j = await debugRequest(["initialize"]);
  assertEquals(j.msg_type, "debug_reply");
  assertEquals(j.content.success, true, JSON.stringify(j.content));
  assertEquals(j.content.type, "response");
  assertEquals(j.content.command, "initialize");
  assertEquals(j.content.request_seq, 7);
  const body = j.content.body as Record<string, unknown>;
  assertEquals(body.supportsConditionalBreakpoints, true);
  assertEquals(body.supportsConfigurationDoneRequest, true);
  assert(j.elapsed < 5, `debug_reply took ${j.elapsed}s`);
  assertEquals(j.after, "2");
});

Deno.test("debug_request with an unknown command: an error reply naming it", async () => {
  const j = await debugRequest(["frobnicate"]);
  assertEquals(j.content.success, false);
  assertEquals(j.content.command, "frobnicate");
  assertStringIncludes(String(j.content.message), "unknown request 'frobnicate'");
  assertEquals(j.after, "2");
});

Deno.test("debug.enabled = false: every debug_request gets an error reply", async () => {
  const home = await tempDir();
  await Deno.writeTextFile(`${home}/llmspell.toml`, "[debug]\nenabled = false\n");
  const j = await debugRequest(["initialize"], { home });
  assertEquals(j.content.status, "error");
  assertEquals(j.content.success, false);
  assertStringIncludes(String(j.content.message), "debug.enabled = false");
  assertEquals(j.after, "2");
});
