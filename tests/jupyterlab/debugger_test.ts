/**
 * Acceptance: JupyterLab's own debugger client debugs a notebook cell on the llmspell kernel.
 * Debian's jupyter_server serves the kernelspec that `llmspell kernel install` writes; npm
 * @jupyterlab/services (SessionManager, the kernel's WebSocket) and @jupyterlab/debugger
 * (DebuggerSession, DebuggerConfig.getCodeId), bundled once by scripts/ensure_jupyterlab.sh,
 * send the requests JupyterLab's DebuggerService sends, in its order, over HTTP and WebSocket:
 * debugInfo, initialize and attach, dumpCell, setBreakpoints, configurationDone; the cell stops
 * at the breakpoint; stackTrace, scopes, variables, evaluate; continue; then inspectVariables
 * and richInspectVariables (the variable explorer) once the cell is done: a variable's rich
 * view is the mime bundle display() shows for it.
 */
import type { DebugProtocol as DP } from "@vscode/debugprotocol";
import { assert, assertEquals } from "../helpers/assert.ts";
import { cli, tempDir } from "../helpers/cli.ts";
import { jupyterEnv, JUPYTERLAB_CELL as CELL, killKernels } from "../kernel/helpers.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const SERVER = new URL("./server.py", import.meta.url).pathname;
/** A safety net for each wait on a loaded 2-core machine, not an expectation. */
const WAIT_MS = 60_000;

// ---- the parts of @jupyterlab/services and @jupyterlab/debugger this test uses ----

interface Signal<T> {
  connect(fn: (sender: unknown, args: T) => void): void;
}
interface KernelMessage {
  header: { msg_type: string };
  content: Record<string, unknown>;
}
interface Future {
  done: Promise<KernelMessage>;
  onIOPub: (msg: KernelMessage) => void;
}
interface KernelConnection {
  name: string;
  info: Promise<{ debugger?: boolean }>;
  requestExecute(content: { code: string }): Future;
}
interface SessionConnection {
  kernel: KernelConnection;
  shutdown(): Promise<void>;
}
interface Disposable {
  dispose(): void;
}
interface SessionManager extends Disposable {
  ready: Promise<void>;
  startNew(options: {
    path: string;
    type: string;
    name: string;
    kernel: { name: string };
  }): Promise<SessionConnection>;
}
/** debugInfo's body, as JupyterLab reads it. */
interface DebugInfo {
  isStarted: boolean;
  hashMethod: string;
  hashSeed: number;
  tmpFilePrefix: string;
  tmpFileSuffix: string;
  breakpoints: { source: string; breakpoints: { line: number }[] }[];
  stoppedThreads: number[];
  richRendering: boolean;
}
interface DebuggerSession extends Disposable {
  isStarted: boolean;
  eventMessage: Signal<DP.Event>;
  restoreState(): Promise<{ body: DebugInfo }>;
  start(): Promise<void>;
  stop(): Promise<void>;
  sendRequest(command: string, args: unknown): Promise<DP.Response>;
}
interface DebuggerConfig {
  getCodeId(code: string, kernel: string): string;
  setHashParams(p: { kernel: string; method: string; seed: number }): void;
  setTmpFileParams(p: { kernel: string; prefix: string; suffix: string }): void;
}
interface JupyterLab {
  ServerConnection: { makeSettings(options: Record<string, unknown>): unknown };
  KernelManager: new (options: { serverSettings: unknown }) => Disposable;
  SessionManager: new (
    options: { kernelManager: Disposable; serverSettings: unknown },
  ) => SessionManager;
  DebuggerSession: new (
    options: { connection: SessionConnection; config: DebuggerConfig },
  ) => DebuggerSession;
  DebuggerConfig: new () => DebuggerConfig;
}

/** The bundle of JupyterLab's client parts (installed and bundled once, then cached). */
async function jupyterLab(): Promise<JupyterLab> {
  const out = await new Deno.Command("bash", {
    args: [`${ROOT}scripts/ensure_jupyterlab.sh`],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  assert(out.success, "scripts/ensure_jupyterlab.sh failed (see stderr)");
  return await import(new TextDecoder().decode(out.stdout).trim()) as JupyterLab;
}

interface JupyterServer {
  url: string;
  token: string;
  log(): string;
  stop(): Promise<void>;
}

/** Debian's jupyter_server on 127.0.0.1, a free port; resolves once it said where it listens. */
async function startServer(dir: string, env: Record<string, string>): Promise<JupyterServer> {
  const token = crypto.randomUUID();
  await Deno.mkdir(`${dir}/notebooks`, { recursive: true });
  const child = new Deno.Command("/usr/bin/python3", {
    args: [
      SERVER,
      "--ip=127.0.0.1",
      "--port=0",
      "--no-browser",
      "--allow-root",
      `--ServerApp.token=${token}`,
      `--ServerApp.root_dir=${dir}/notebooks`,
    ],
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let log = "";
  let found: ((url: string) => void) | undefined;
  const url = new Promise<string>((resolve) => found = resolve);
  // Both streams are read to their end, so the server never blocks on a full pipe.
  const drain = async (s: ReadableStream<Uint8Array>) => {
    for await (const chunk of s.pipeThrough(new TextDecoderStream())) {
      log += chunk;
      const m = log.match(/is running at:[^]*?(http:\/\/127\.0\.0\.1:\d+\/)/);
      if (m) found?.(m[1]);
    }
  };
  const drained = Promise.all([drain(child.stdout), drain(child.stderr)]);
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch { /* gone */ }
    await child.status;
    await drained;
  };
  const exited = child.status.then((s) => {
    throw new Error(`jupyter_server exited (${s.code}):\n${log}`);
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) =>
    timer = setTimeout(() => reject(new Error(`jupyter_server did not start:\n${log}`)), WAIT_MS)
  );
  try {
    return { url: await Promise.race([url, exited, late]), token, log: () => log, stop };
  } catch (e) {
    await stop();
    throw e;
  } finally {
    clearTimeout(timer);
    exited.catch(() => {});
  }
}

/** The first event named `name` the session sends from now on. */
function nextEvent(session: DebuggerSession, name: string): Promise<DP.Event> {
  return new Promise((resolve) => {
    let seen = false;
    session.eventMessage.connect((_, ev) => {
      if (!seen && ev.event === name) {
        seen = true;
        resolve(ev);
      }
    });
  });
}

/** `p`, or an error naming `what` if it takes longer than WAIT_MS. */
async function within<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) =>
        timer = setTimeout(() => reject(new Error(`no ${what} within ${WAIT_MS} ms`)), WAIT_MS)
      ),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** A request's body, failing the test on an error response. */
async function request<B>(session: DebuggerSession, command: string, args: unknown): Promise<B> {
  const r = await within(session.sendRequest(command, args), `${command} response`);
  assert(r.success, `${command} failed: ${r.message}`);
  return (r as DP.Response & { body: B }).body;
}

Deno.test("JupyterLab's debugger client (@jupyterlab/debugger) debugs a notebook cell through jupyter_server", async () => {
  const jl = await jupyterLab();
  const dir = await tempDir();
  const env = jupyterEnv(dir);
  const install = await cli(["kernel", "install", "--user", "--output", "json"], { env });
  assertEquals(install.code, 0, install.stderr);

  const server = await startServer(dir, env);
  const settings = jl.ServerConnection.makeSettings({
    baseUrl: server.url,
    wsUrl: server.url.replace(/^http/, "ws"),
    token: server.token,
    appendToken: true,
    WebSocket: globalThis.WebSocket,
    fetch: globalThis.fetch.bind(globalThis),
  });
  const kernels = new jl.KernelManager({ serverSettings: settings });
  const sessions = new jl.SessionManager({ kernelManager: kernels, serverSettings: settings });
  let conn: SessionConnection | undefined;
  let debug: DebuggerSession | undefined;
  try {
    await within(sessions.ready, "session manager");
    conn = await within(
      sessions.startNew({
        path: "debug.ipynb",
        type: "notebook",
        name: "debug.ipynb",
        kernel: { name: "llmspell" },
      }),
      "notebook session",
    );
    const kernel = conn.kernel;
    assertEquals(kernel.name, "llmspell");
    assertEquals((await within(kernel.info, "kernel_info")).debugger, true);

    // The debugger panel opens: DebuggerService.restoreState, then start.
    const config = new jl.DebuggerConfig();
    debug = new jl.DebuggerSession({ connection: conn, config });
    const info = (await within(debug.restoreState(), "debugInfo")).body;
    assertEquals(info.hashMethod, "Murmur2");
    assertEquals(info.richRendering, true);
    config.setHashParams({ kernel: kernel.name, method: info.hashMethod, seed: info.hashSeed });
    config.setTmpFileParams({
      kernel: kernel.name,
      prefix: info.tmpFilePrefix,
      suffix: info.tmpFileSuffix,
    });
    // DebuggerSession.start reads the page's language (document.documentElement.lang): the
    // browser's document, which Deno has not, for that one call.
    const g = globalThis as { document?: unknown };
    g.document = { documentElement: { lang: "en" } };
    try {
      await within(debug.start(), "initialize and attach");
    } finally {
      delete g.document;
    }
    assert(debug.isStarted, "the debug session did not start");

    // A breakpoint in the cell's gutter: dumpCell, then setBreakpoints on its path.
    const dumped = await request<{ sourcePath: string }>(debug, "dumpCell", { code: CELL });
    assertEquals(dumped.sourcePath, config.getCodeId(CELL, kernel.name));
    assertEquals(await Deno.readTextFile(dumped.sourcePath), CELL);
    const set = await request<DP.SetBreakpointsResponse["body"]>(debug, "setBreakpoints", {
      breakpoints: [{ line: 2 }],
      source: { path: dumped.sourcePath },
      sourceModified: false,
    });
    assertEquals(set.breakpoints.map((b) => [b.verified, b.line]), [[true, 2]]);
    await request(debug, "configurationDone", {});
    const listed = await request<DebugInfo>(debug, "debugInfo", {});
    assertEquals(listed.breakpoints, [{ source: dumped.sourcePath, breakpoints: [{ line: 2 }] }]);

    // Run the cell: it stops at the breakpoint.
    const stoppedEvent = nextEvent(debug, "stopped");
    const results: string[] = [];
    const exec = kernel.requestExecute({ code: CELL });
    exec.onIOPub = (msg) => {
      if (msg.header.msg_type === "execute_result") {
        results.push(String((msg.content.data as Record<string, unknown>)["text/plain"]));
      }
    };
    const stopped = (await within(stoppedEvent, "stopped event")) as DP.StoppedEvent;
    assertEquals(stopped.body.reason, "breakpoint");
    const threadId = stopped.body.threadId!;

    const trace = await request<DP.StackTraceResponse["body"]>(debug, "stackTrace", { threadId });
    const top = trace.stackFrames[0];
    assertEquals(top.line, 2);
    assertEquals(top.source?.path, dumped.sourcePath);
    const scopes = await request<DP.ScopesResponse["body"]>(debug, "scopes", { frameId: top.id });
    assertEquals(scopes.scopes.map((s) => s.name), ["Locals", "Upvalues", "Globals"]);
    const locals = await request<DP.VariablesResponse["body"]>(debug, "variables", {
      variablesReference: scopes.scopes[0].variablesReference,
    });
    assertEquals(locals.variables.find((v) => v.name === "x")?.value, "20");
    const evaluated = await request<DP.EvaluateResponse["body"]>(debug, "evaluate", {
      context: "repl",
      expression: "x * 2",
      frameId: top.id,
    });
    assertEquals(evaluated.result, "40");
    const richLocal = await request<{ data: Record<string, unknown> }>(
      debug,
      "richInspectVariables",
      { variableName: "x", frameId: top.id },
    );
    assertEquals(richLocal.data, { "text/plain": "20" });

    // Continue: the cell runs to its end.
    await request(debug, "continue", { threadId });
    const reply = await within(exec.done, "execute_reply");
    assertEquals(reply.content.status, "ok");
    assertEquals(results, ["21"]);

    // The variable explorer: the user's globals, and a variable's rich view.
    const vars = await request<{ variables: DP.Variable[] }>(debug, "inspectVariables", {});
    assertEquals(vars.variables.find((v) => v.name === "result")?.value, "21");
    assert(!vars.variables.some((v) => v.name === "string"), "the standard library is listed");
    const rich = await request<{ data: Record<string, unknown> }>(
      debug,
      "richInspectVariables",
      { variableName: "result" },
    );
    assertEquals(rich.data, { "text/plain": "21" });
    // A table's rich view is the bundle display() shows for it: its text and its JSON.
    const shown: Record<string, unknown>[] = [];
    const table = kernel.requestExecute({
      code: 'person = {name = "Ada", langs = {"Lua", "C"}}\ndisplay(person)',
    });
    table.onIOPub = (msg) => {
      if (msg.header.msg_type === "display_data") {
        shown.push(msg.content.data as Record<string, unknown>);
      }
    };
    assertEquals((await within(table.done, "execute_reply")).content.status, "ok");
    const richTable = await request<{ data: Record<string, unknown> }>(
      debug,
      "richInspectVariables",
      { variableName: "person" },
    );
    assertEquals(richTable.data, {
      "text/plain": '{langs = {"Lua", "C"}, name = "Ada"}',
      "application/json": { name: "Ada", langs: ["Lua", "C"] },
    });
    assertEquals(shown, [richTable.data]);

    await within(debug.stop(), "disconnect");
  } catch (e) {
    throw new Error(`${e instanceof Error ? e.stack : e}\njupyter_server's log:\n${server.log()}`);
  } finally {
    debug?.dispose();
    await conn?.shutdown().catch(() => {});
    sessions.dispose();
    kernels.dispose();
    await server.stop();
    await killKernels(env.LLMSPELL_HOME);
  }
});
