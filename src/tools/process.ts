/**
 * `process_executor`: runs a program (no shell: the command and its arguments as given) and
 * returns its exit code and output. Only with `security_level = "unrestricted"`; the run is
 * killed at its timeout or when the script is interrupted.
 *
 * @module
 */
import { type JsonObject, type ToolContext, ToolError } from "./types.ts";

/** Output beyond this many bytes per stream is cut (and said). */
const MAX_OUTPUT = 1 << 20;

function text(bytes: Uint8Array): { text: string; truncated: boolean } {
  const cut = bytes.length > MAX_OUTPUT;
  return {
    text: new TextDecoder().decode(cut ? bytes.subarray(0, MAX_OUTPUT) : bytes),
    truncated: cut,
  };
}

export async function run(params: JsonObject, ctx: ToolContext): Promise<JsonObject> {
  if (ctx.securityLevel !== "unrestricted") {
    throw new ToolError(
      'process_executor: running programs needs security_level = "unrestricted"',
      'set security_level = "unrestricted" under [engines.lua] in the config, or LLMSPELL_ENGINES_LUA_SECURITY_LEVEL=unrestricted',
    );
  }
  const command = String(params.command);
  const args = Array.isArray(params.args) ? params.args.map(String) : [];
  const timeoutMs = typeof params.timeout_ms === "number" ? params.timeout_ms : 30_000;
  const env = params.env && typeof params.env === "object" && !Array.isArray(params.env)
    ? Object.fromEntries(Object.entries(params.env).map(([k, v]) => [k, String(v)]))
    : undefined;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = AbortSignal.any([ctx.signal, timeout]);
  const started = performance.now();
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(command, {
      args,
      cwd: typeof params.cwd === "string" ? ctx.checkPath(params.cwd) : undefined,
      env,
      stdin: typeof params.stdin === "string" ? "piped" : "null",
      stdout: "piped",
      stderr: "piped",
      signal,
    }).spawn();
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new ToolError(`process_executor: no program named '${command}' (on PATH or as a path)`);
    }
    throw new ToolError(`process_executor: ${command}: ${(e as Error).message}`);
  }
  if (typeof params.stdin === "string") {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(params.stdin)).catch(() => {});
    await w.close().catch(() => {});
  }
  const out = await child.output();
  ctx.signal.throwIfAborted();
  const stdout = text(out.stdout);
  const stderr = text(out.stderr);
  return {
    command,
    args,
    exit_code: out.code,
    signal: out.signal ?? null,
    timed_out: timeout.aborted,
    stdout: stdout.text,
    stderr: stderr.text,
    output_truncated: stdout.truncated || stderr.truncated,
    duration_ms: Math.round(performance.now() - started),
  };
}
