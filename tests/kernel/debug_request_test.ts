/**
 * debug_request on the control channel (kernel/kernel_debugger.ts): the kernel serves DAP to
 * an attached debugger (`llmspell dap` attach; tests/dap/ drives that) and JupyterLab's own
 * protocol (debugInfo, dumpCell, inspectVariables, richInspectVariables, copyToGlobals), so
 * the kernelspec and kernel_info say `debugger: true`; the JupyterLab test drives the flow
 * its debugger does through jupyter_client. A command the session does not know, and any
 * command when the config turns debugging off (debug.enabled = false), get an error
 * debug_reply at once.
 */
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { cli, tempDir } from "../helpers/cli.ts";
import { driver, JUPYTERLAB_CELL as CELL, KERNEL_DIR, startKernel } from "./helpers.ts";

const CONTROL = `${KERNEL_DIR}driver_control.py`;

interface DebugFindings {
  kernel_info_debugger: boolean;
  msg_type: string;
  content: Record<string, unknown>;
  elapsed: number;
  after: string;
}

interface LabFindings {
  kernel_info_debugger: boolean;
  debugInfo: Record<string, unknown>;
  debugInfo_after: { breakpoints: { source: string; breakpoints: { line: number }[] }[] };
  sourcePath: string;
  expected_path: string;
  dumped: string;
  breakpoints: { verified: boolean; line: number }[];
  stopped: { event: string; body: { reason: string; threadId: number } } | null;
  stoppedThreads: number[];
  frames: { name: string; line: number; source: { path?: string } }[];
  scopes: string[];
  locals: Record<string, string>;
  evaluate: string;
  rich_frame: { data: Record<string, string> };
  kernel_info_while_stopped: string;
  hb_beating: boolean;
  kernel_info_elapsed: number;
  status: string;
  inspect: Record<string, string>;
  rich: { data: Record<string, string> };
  copied: string;
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

Deno.test("kernelspec and kernel_info agree: debugger true", async () => {
  const dir = await tempDir();
  const install = await cli(
    ["kernel", "install", "--prefix", `${dir}/prefix`, "--output", "json"],
    { env: { LLMSPELL_HOME: `${dir}/home` } },
  );
  assertEquals(install.code, 0, install.stderr);
  const spec = JSON.parse(await Deno.readTextFile(JSON.parse(install.stdout).path));
  assertEquals(spec.metadata.debugger, true);
  const j = await debugRequest([]);
  assertEquals(j.kernel_info_debugger, true);
});

Deno.test("JupyterLab's debugger flow: dumpCell's path, a breakpoint in it hits, inspection", async () => {
  const k = await startKernel([]);
  let j: LabFindings;
  try {
    const r = await driver(["jupyterlab", k.connectionFile, CELL, "2"], {}, CONTROL);
    assertEquals(r.code, 0, r.stderr);
    j = r.json as LabFindings;
  } finally {
    await k.stop();
  }
  assertEquals(j.kernel_info_debugger, true);
  assertEquals(j.debugInfo.isStarted, true);
  assertEquals(j.debugInfo.hashMethod, "Murmur2");
  assertEquals(j.debugInfo.tmpFileSuffix, ".lua");
  assertEquals(j.debugInfo.richRendering, true);
  assertEquals(j.debugInfo.stoppedThreads, []);
  // The path JupyterLab computes itself (murmur2 ported to Python in the driver).
  assertEquals(j.sourcePath, j.expected_path);
  assertEquals(j.dumped, CELL);
  assertEquals(j.breakpoints.map((b) => [b.verified, b.line]), [[true, 2]]);
  assertEquals(j.debugInfo_after.breakpoints, [{
    source: j.sourcePath,
    breakpoints: [{ line: 2 }],
  }]);
  assert(j.stopped, "no stopped debug_event on IOPub");
  assertEquals(j.stopped.body.reason, "breakpoint");
  assertEquals(j.stoppedThreads, [1]);
  assertEquals(j.frames[0].line, 2);
  assertEquals(j.frames[0].source.path, j.sourcePath);
  assertEquals(j.scopes, ["Locals", "Upvalues", "Globals"]);
  assertEquals(j.locals.x, "20");
  assertEquals(j.evaluate, "40");
  assertEquals(j.rich_frame.data["text/plain"], "20");
  assertEquals(j.kernel_info_while_stopped, "ok");
  assert(j.hb_beating, "no heartbeat while stopped");
  assertEquals(j.status, "ok");
  assertEquals(j.inspect.result, "21");
  assert(!("string" in j.inspect) && !("print" in j.inspect), JSON.stringify(j.inspect));
  assertEquals(j.rich.data["text/plain"], "21");
  assertEquals(j.copied, "20");
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

Deno.test("a cell stopped in JupyterLab's debugger: interrupt ends it", async () => {
  const k = await startKernel([]);
  try {
    const r = await driver(
      ["interrupt_stopped", k.connectionFile, "local a = 1\na = a + 1\nreturn a", "2"],
      {},
      CONTROL,
    );
    assertEquals(r.code, 0, r.stderr);
    const j = r.json as Record<string, unknown>;
    assertEquals(j.stopped, true);
    assertEquals(j.interrupt_status, "ok");
    assertEquals(j.status, "error");
    assert((j.elapsed as number) < 10, `the cell ended ${j.elapsed}s after the interrupt`);
    assertEquals(j.after, "2");
  } finally {
    await k.stop();
  }
});

// The worker's debugger loads after the kernel's first cell (runtime.ts loadDebugger), not at
// start: a pause must still reach a cell that runs later and never ends by itself.
Deno.test("a debugger attached while a later cell runs pauses it there", async () => {
  const k = await startKernel([]);
  try {
    const r = await driver(["pause_running", k.connectionFile, "x = 1"], {}, CONTROL);
    assertEquals(r.code, 0, r.stderr);
    const j = r.json as Record<string, unknown>;
    assertEquals(j.pause_success, true);
    assertEquals(j.stopped_reason, "pause");
    assertEquals(j.status, "error");
    assertEquals(j.ename, "Interrupted");
    assertEquals(j.after, "2");
  } finally {
    await k.stop();
  }
});

Deno.test("a debugger request made while the kernel's first cell runs is answered", async () => {
  const k = await startKernel([]);
  try {
    const r = await driver(["request_during_first_cell", k.connectionFile], {}, CONTROL);
    assertEquals(r.code, 0, r.stderr);
    const j = r.json as Record<string, unknown>;
    assertEquals(j.status, "ok");
    assertEquals(j.result, "typed");
    assertEquals(j.threads_success, true);
    assertEquals(j.threads, [{ id: 1, name: "main" }]);
  } finally {
    await k.stop();
  }
});
