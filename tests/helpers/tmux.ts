/**
 * Drives an interactive program in a real terminal: a tmux server of its own (private
 * socket, no user config) running one command in one pane.
 *
 *   const t = await Tmux.start(["jupyter", "console"], { env, cwd });
 *   try {
 *     await t.waitFor("In [1]:");
 *     await t.send("x = 6*7", "Enter");
 *     await t.waitFor(/Out\[\d+\]: 42/);
 *   } finally {
 *     await t.kill();
 *   }
 *
 * The pane stays after the command exits (remain-on-exit), so its last screen can still
 * be read and `exitStatus()` tells how it ended. Waiting polls the screen for the expected
 * text with a deadline; on timeout the error shows the screen.
 */

export interface TmuxOptions {
  /** Extra environment of the command (added to this process's environment). */
  env?: Record<string, string>;
  cwd?: string;
  /** Terminal size (default 120×40). */
  width?: number;
  height?: number;
}

export interface WaitOptions {
  /** Match against the scrollback too, not only the visible screen. */
  history?: boolean;
  /** Poll interval in ms (default 50). */
  intervalMs?: number;
}

const TMUX = "/usr/bin/tmux";

function quote(s: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}

export class Tmux {
  readonly #dir: string;
  readonly #socket: string;
  readonly target = "main";
  #killed = false;

  private constructor(dir: string) {
    this.#dir = dir;
    this.#socket = `${dir}/tmux.sock`;
  }

  /**
   * Starts `cmd` (an argv, or a shell command line) in a new detached session.
   */
  static async start(cmd: string[] | string, opts: TmuxOptions = {}): Promise<Tmux> {
    const dir = await Deno.makeTempDir({ prefix: "llmspell_tmux_" });
    const t = new Tmux(dir);
    const conf = `${dir}/tmux.conf`;
    await Deno.writeTextFile(
      conf,
      [
        "set -g remain-on-exit on",
        "set -g history-limit 10000",
        "set -g status off",
        "set -g escape-time 0",
        "",
      ].join("\n"),
    );
    const line = typeof cmd === "string" ? cmd : cmd.map(quote).join(" ");
    const env = opts.env ?? {};
    const args = [
      "new-session",
      "-d",
      "-s",
      t.target,
      "-x",
      String(opts.width ?? 120),
      "-y",
      String(opts.height ?? 40),
    ];
    if (opts.cwd) args.push("-c", opts.cwd);
    // -e sets the variables in the session even if tmux's environment filtering differs.
    for (const [k, v] of Object.entries(env)) args.push("-e", `${k}=${v}`);
    args.push(line);
    const r = await t.#tmux(["-f", conf, ...args], env);
    if (r.code !== 0) {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      throw new Error(`tmux new-session failed (${r.code}): ${r.stderr}`);
    }
    return t;
  }

  async #tmux(
    args: string[],
    env: Record<string, string> = {},
  ): Promise<{ code: number; stdout: string; stderr: string }> {
    const out = await new Deno.Command(TMUX, {
      args: ["-S", this.#socket, ...args],
      env: { ...env, TMUX: "" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  }

  #tmuxSync(args: string[]): string {
    const out = new Deno.Command(TMUX, {
      args: ["-S", this.#socket, ...args],
      env: { TMUX: "" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).outputSync();
    return new TextDecoder().decode(out.stdout);
  }

  /**
   * Sends keys: each argument is a tmux key name ("Enter", "C-c", "C-d", "Up", "Tab") or
   * text. An argument that happens to be a key name is sent as that key; use `type` for
   * text that must go literally.
   */
  async send(...keys: string[]): Promise<void> {
    const r = await this.#tmux(["send-keys", "-t", this.target, ...keys]);
    if (r.code !== 0) throw new Error(`tmux send-keys failed: ${r.stderr}`);
  }

  /** Types text literally (no key-name lookup). */
  async type(text: string): Promise<void> {
    const r = await this.#tmux(["send-keys", "-t", this.target, "-l", "--", text]);
    if (r.code !== 0) throw new Error(`tmux send-keys failed: ${r.stderr}`);
  }

  /** The visible screen now, trailing blank lines removed. */
  screen(): string {
    return this.#tmuxSync(["capture-pane", "-p", "-t", this.target]).replace(/\s+$/, "") + "\n";
  }

  /** Scrollback and screen, wrapped lines joined. */
  history(): string {
    return this.#tmuxSync(["capture-pane", "-p", "-J", "-S", "-", "-t", this.target])
      .replace(/\s+$/, "") + "\n";
  }

  /** Whether the command has ended (the pane is dead). */
  exited(): boolean {
    return this.#tmuxSync(["display-message", "-p", "-t", this.target, "#{pane_dead}"])
      .trim() === "1";
  }

  /**
   * The command's exit status (a signal gives 128 + its number) once it has ended and tmux
   * has recorded it, else null. tmux 3.3 marks the pane dead when its terminal closes and
   * fills in the status when it reaps the process; it sometimes never does (the pane is
   * dead, the status empty), so a null after `exited()` means "ended, status unknown".
   */
  exitStatus(): number | null {
    const out = this.#tmuxSync([
      "display-message",
      "-p",
      "-t",
      this.target,
      "#{pane_dead} #{pane_dead_status} #{pane_dead_signal}",
    ]).trim();
    const [dead, status, signal] = out.split(" ");
    if (dead !== "1") return null;
    if (status) return Number(status);
    return signal ? 128 + Number(signal) : null;
  }

  /** The pid of the command running in the pane. */
  pid(): number {
    return Number(this.#tmuxSync(["display-message", "-p", "-t", this.target, "#{pane_pid}"]));
  }

  /**
   * Waits until the screen matches `expect` (a regex, or text to contain); returns the
   * screen. Throws with the screen after `timeoutMs` (generous: a bound for a loaded
   * 2-core machine running the suite in parallel, not an expected time).
   */
  async waitFor(
    expect: RegExp | string,
    timeoutMs = 20_000,
    opts: WaitOptions = {},
  ): Promise<string> {
    const match = (s: string) => typeof expect === "string" ? s.includes(expect) : expect.test(s);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = opts.history ? this.history() : this.screen();
      if (match(s)) return s;
      if (Date.now() >= deadline) {
        throw new Error(
          `timed out after ${timeoutMs} ms waiting for ${String(expect)}; the screen:\n${s}`,
        );
      }
      await new Promise((r) => setTimeout(r, opts.intervalMs ?? 50));
    }
  }

  /**
   * Waits (bounded) until the command has ended; returns its exit status, or null when
   * tmux did not record one (see `exitStatus`).
   */
  async waitExit(timeoutMs = 20_000): Promise<number | null> {
    const deadline = Date.now() + timeoutMs;
    while (!this.exited()) {
      if (Date.now() >= deadline) {
        throw new Error(
          `the command did not exit within ${timeoutMs} ms; the screen:\n${this.screen()}`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    // The status follows the dead pane shortly, if at all.
    const statusBy = Date.now() + 500;
    for (;;) {
      const s = this.exitStatus();
      if (s !== null || Date.now() >= statusBy) return s;
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Kills the tmux server (and so the command, with SIGHUP) and removes its files. */
  async kill(): Promise<void> {
    if (this.#killed) return;
    this.#killed = true;
    await this.#tmux(["kill-server"]).catch(() => {});
    await Deno.remove(this.#dir, { recursive: true }).catch(() => {});
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.kill();
  }
}
