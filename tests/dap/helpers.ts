/**
 * `llmspell dap` driven by the DAP test client of VS Code (`DebugClient` of
 * @vscode/debugadapter-testsupport): over stdio (it starts the adapter as `runtime executable`,
 * so a tiny launcher script runs the real CLI) or over TCP (`llmspell dap --port 0`).
 */
import { DebugClient } from "@vscode/debugadapter-testsupport";
import type { DebugProtocol as DP } from "@vscode/debugprotocol";
import { V8_FLAGS_ARG } from "../../src/engine/host/v8_flags.ts";
import { FIXTURES, MAIN, tempDir } from "../helpers/cli.ts";

export const DAP_FIXTURES = FIXTURES + "dap/";
export const MAIN_LUA = DAP_FIXTURES + "main.lua";
export const LIB_LUA = DAP_FIXTURES + "dap_lib.lua";

export type Transport = "stdio" | "tcp";

export interface Adapter {
  dc: DebugClient;
  /** Every event received, in order. */
  events: DP.Event[];
  stop(): Promise<void>;
}

function shQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** A shell script that runs `llmspell dap ARGS` (the DebugClient's "executable"). */
async function launcher(home: string, args: string[]): Promise<string> {
  const file = `${home}/llmspell-dap.sh`;
  const cmd = [Deno.execPath(), "run", "-A", "--quiet", V8_FLAGS_ARG, MAIN, "dap", ...args];
  await Deno.writeTextFile(
    file,
    `#!/bin/sh\nexport NO_COLOR=1 LLMSPELL_HOME=${shQuote(home)}\nexec ${
      cmd.map(shQuote).join(" ")
    }\n`,
  );
  return file;
}

function record(dc: DebugClient): DP.Event[] {
  const events: DP.Event[] = [];
  for (
    const name of [
      "initialized",
      "stopped",
      "continued",
      "output",
      "breakpoint",
      "loadedSource",
      "thread",
      "process",
      "exited",
      "terminated",
    ]
  ) {
    dc.on(name, (e: DP.Event) => events.push(e));
  }
  return events;
}

/** Starts `llmspell dap` over `transport` and connects a DebugClient to it. */
export async function startAdapter(transport: Transport, home?: string): Promise<Adapter> {
  home ??= await tempDir();
  if (transport === "stdio") {
    const dc = new DebugClient("/bin/sh", await launcher(home, []), "llmspell", {
      cwd: DAP_FIXTURES,
    }, true);
    dc.defaultTimeout = 30_000;
    const events = record(dc);
    await dc.start();
    const proc = (dc as unknown as {
      _adapterProcess: { exitCode: number | null; once(e: "exit", f: () => void): void };
    })._adapterProcess;
    const exited = new Promise<void>((resolve) => {
      if (proc.exitCode !== null) resolve();
      else proc.once("exit", () => resolve());
    });
    return {
      dc,
      events,
      stop: async () => {
        // A test may have disconnected already: then the adapter is gone.
        await Promise.race([dc.disconnectRequest({}).catch(() => {}), exited]);
        (dc as unknown as { stopAdapter(): void }).stopAdapter();
      },
    };
  }
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", V8_FLAGS_ARG, MAIN, "dap", "--port", "0"],
    cwd: DAP_FIXTURES,
    env: { NO_COLOR: "1", LLMSPELL_HOME: home },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stderr.getReader();
  const dec = new TextDecoder();
  let err = "";
  let port: number | undefined;
  while (port === undefined) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`llmspell dap --port ended: ${err}`);
    err += dec.decode(value, { stream: true });
    const m = /listening on 127\.0\.0\.1:(\d+)/.exec(err);
    if (m) port = Number(m[1]);
  }
  reader.releaseLock();
  const rest = child.stderr.pipeTo(new WritableStream());
  const out = child.stdout.pipeTo(new WritableStream());
  const dc = new DebugClient("unused", "unused", "llmspell");
  const events = record(dc);
  await dc.start(port);
  // The client's socket does not hold Deno's event loop open while a test waits for an
  // event (and its server mode has no timeouts): this timer does, until stop.
  const keepAlive = setInterval(() => {}, 1000);
  return {
    dc,
    events,
    stop: async () => {
      // disconnect; the adapter ends when its one client leaves (the socket then closes).
      const answered = dc.disconnectRequest({}).catch(() => {});
      await Promise.race([answered, child.status]);
      clearInterval(keepAlive);
      (dc as unknown as { stopAdapter(): void }).stopAdapter();
      // The adapter ends when its one client leaves.
      const st = await child.status;
      await Promise.all([rest, out]).catch(() => {});
      if (!st.success) throw new Error(`llmspell dap --port exited with ${st.code}`);
    },
  };
}

export async function withAdapter(
  transport: Transport,
  fn: (a: Adapter) => Promise<void>,
): Promise<void> {
  const a = await startAdapter(transport);
  try {
    await fn(a);
  } finally {
    await a.stop();
  }
}

/**
 * initialize, launch, the breakpoints, configurationDone; resolves once launched, with the
 * first `stopped` event to come (listened to before the program starts).
 */
export async function launchWith(
  dc: DebugClient,
  args: Record<string, unknown>,
  configure: () => Promise<void> = async () => {},
): Promise<{ firstStop: Promise<DP.StoppedEvent> }> {
  await dc.initializeRequest({ adapterID: "llmspell", linesStartAt1: true, columnsStartAt1: true });
  const initialized = dc.waitForEvent("initialized");
  const launched = dc.launchRequest(args as DP.LaunchRequestArguments);
  await initialized;
  await configure();
  const firstStop = dc.waitForEvent("stopped") as Promise<DP.StoppedEvent>;
  firstStop.catch(() => {});
  await dc.configurationDoneRequest();
  await launched;
  return { firstStop };
}

/** Variables of a reference, by name. */
export async function vars(
  dc: DebugClient,
  ref: number,
  extra: Partial<DP.VariablesArguments> = {},
): Promise<Map<string, DP.Variable>> {
  const r = await dc.variablesRequest({ variablesReference: ref, ...extra });
  return new Map(r.body.variables.map((v) => [v.name, v]));
}

/** The scopes of a frame, by name. */
export async function scopes(dc: DebugClient, frameId: number): Promise<Map<string, number>> {
  const r = await dc.scopesRequest({ frameId });
  return new Map(r.body.scopes.map((s) => [s.name, s.variablesReference]));
}
