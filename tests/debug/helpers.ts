/** Drives `llmspell debug` as a process: send a command, read up to the next prompt. */
import { cliCommand, FIXTURES } from "../helpers/cli.ts";

export const DEBUG_FIXTURES = FIXTURES + "debug/";
export const PROMPT = "(debug) ";

export class DebugProcess {
  readonly #child: Deno.ChildProcess;
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #dec = new TextDecoder();
  #buf = "";
  /** Everything read so far (for failure messages). */
  transcript = "";

  private constructor(child: Deno.ChildProcess) {
    this.#child = child;
    this.#reader = child.stdout.getReader();
    this.#writer = child.stdin.getWriter();
  }

  static start(
    args: string[],
    env: Record<string, string> = {},
    cwd = DEBUG_FIXTURES,
  ): DebugProcess {
    const cmd = cliCommand(["debug", ...args], {
      cwd,
      env: { LLMSPELL_HOME: Deno.makeTempDirSync({ prefix: "llmspell_dbg_" }), ...env },
      piped: true,
    });
    return new DebugProcess(cmd.spawn());
  }

  /** Reads until `text` appears; returns what came before it and it. */
  async until(text: string): Promise<string> {
    for (;;) {
      const at = this.#buf.indexOf(text);
      if (at >= 0) {
        const out = this.#buf.slice(0, at + text.length);
        this.#buf = this.#buf.slice(at + text.length);
        return out;
      }
      const { value, done } = await this.#reader.read();
      if (done) {
        throw new Error(
          `output ended before ${JSON.stringify(text)}; transcript:\n${this.transcript}`,
        );
      }
      const s = this.#dec.decode(value, { stream: true });
      this.#buf += s;
      this.transcript += s;
    }
  }

  async send(line: string): Promise<void> {
    this.transcript += `<<${line}>>\n`;
    await this.#writer.write(new TextEncoder().encode(line + "\n"));
  }

  /** Sends a command and returns its output up to the next prompt. */
  async cmd(line: string): Promise<string> {
    await this.send(line);
    const out = await this.until(PROMPT);
    return out.slice(0, -PROMPT.length);
  }

  /** Quits and returns the exit code and stderr. */
  async quit(): Promise<{ code: number; stderr: string }> {
    try {
      await this.send("q");
      await this.#writer.close();
    } catch { /* already gone */ }
    while (!(await this.#reader.read()).done) { /* drain */ }
    const st = await this.#child.status;
    const err = await new Response(this.#child.stderr).text();
    return { code: st.code, stderr: err };
  }

  kill(): void {
    try {
      this.#child.kill("SIGKILL");
    } catch { /* ended */ }
  }
}

/** Runs `body` with a debugger process; always ends it. */
export async function withDebug(
  args: string[],
  body: (d: DebugProcess) => Promise<void>,
  env: Record<string, string> = {},
  cwd?: string,
): Promise<void> {
  const d = DebugProcess.start(args, env, cwd);
  try {
    await body(d);
    const { code, stderr } = await d.quit();
    if (code !== 0) throw new Error(`exit ${code}: ${stderr}\n${d.transcript}`);
  } catch (e) {
    d.kill();
    throw e;
  }
}
