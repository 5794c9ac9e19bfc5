/**
 * Runs the real CLI as a process (deno run main.ts), each test in its own LLMSPELL_HOME.
 */
import { V8_FLAGS_ARG } from "../../src/engine/host/v8_flags.ts";

export const MAIN = new URL("../../main.ts", import.meta.url).pathname;
export const FIXTURES = new URL("../fixtures/", import.meta.url).pathname;

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd?: string;
  env?: Record<string, string>;
  stdin?: string;
  /** Deno's own flags, before main.ts (e.g. `--no-lock`). */
  denoArgs?: string[];
}

/** A fresh temporary directory; removed by the returned disposer. */
export async function tempDir(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "llmspell_test_" });
}

export function cliCommand(
  args: string[],
  opts: CliOptions & { piped?: boolean } = {},
): Deno.Command {
  const home = opts.env?.LLMSPELL_HOME ?? opts.cwd ?? Deno.cwd();
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", ...opts.denoArgs ?? [], V8_FLAGS_ARG, MAIN, ...args],
    cwd: opts.cwd,
    env: {
      NO_COLOR: "1",
      LLMSPELL_HOME: home,
      ...opts.env,
    },
    clearEnv: false,
    stdin: opts.stdin !== undefined || opts.piped ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  });
}

export async function cli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  const child = cliCommand(args, opts).spawn();
  if (opts.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(opts.stdin));
    await w.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** `cli` in a home of its own: `cwd` and LLMSPELL_HOME are the home (options add to them). */
export type HomeCli = (args: string[], opts?: CliOptions) => Promise<CliResult>;

/** Runs `fn` with a fresh temporary llmspell home, removed afterwards. */
export async function withHome(fn: (run: HomeCli, home: string) => Promise<void>): Promise<void> {
  const home = await tempDir();
  const run: HomeCli = (args, opts = {}) =>
    cli(args, { cwd: home, ...opts, env: { LLMSPELL_HOME: home, ...opts.env } });
  try {
    await fn(run, home);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
}

/**
 * `llmspell tool invoke NAME PARAMS`, with its output parsed when it succeeds (a tool's own
 * JSON: each test reads the fields it knows, hence loose).
 */
export async function invokeTool(
  name: string,
  params: unknown,
  opts: CliOptions = {},
  // deno-lint-ignore no-explicit-any
): Promise<CliResult & { json: any }> {
  const r = await cli(["tool", "invoke", name, JSON.stringify(params)], opts);
  return { ...r, json: r.code === 0 ? JSON.parse(r.stdout) : undefined };
}

/** Reads a process's stdout until `text` has appeared; returns what was read. */
export async function readUntil(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  text: string,
): Promise<string> {
  const dec = new TextDecoder();
  let acc = "";
  while (!acc.includes(text)) {
    const { value, done } = await reader.read();
    if (done) {
      throw new Error(`stream ended before ${JSON.stringify(text)}; got ${JSON.stringify(acc)}`);
    }
    acc += dec.decode(value, { stream: true });
  }
  return acc;
}
