/**
 * What the vendored commander (src/cli/vendor/commander.js, scripts/vendor_commander.ts)
 * imported from Node.js, written over Deno's own APIs: loading any Node.js module starts
 * Deno's Node.js compatibility layer on the main thread, which costs more than the whole
 * rest of `llmspell --version`.
 *
 * Only commander's in-process subcommands are supported. Executable subcommands (a command
 * run as another program, the only users of fs, child_process and path in commander) are
 * not: llmspell declares none, and their stand-ins throw.
 */
import { writeErr, writeOut } from "../frontend/output.ts";
import { stripAnsi } from "../repl/width.ts";

type Listener = (...args: unknown[]) => void;

/** The part of node:events' EventEmitter that commander uses: on, emit, listenerCount. */
export class EventEmitter {
  readonly #listeners = new Map<string | symbol, Listener[]>();

  on(event: string | symbol, listener: Listener): this {
    const list = this.#listeners.get(event);
    if (list) list.push(listener);
    else this.#listeners.set(event, [listener]);
    return this;
  }

  emit(event: string | symbol, ...args: unknown[]): boolean {
    const list = this.#listeners.get(event);
    if (!list) return false;
    // A listener may add listeners; like Node.js, call those registered before the emit.
    for (const listener of [...list]) listener.apply(this, args);
    return true;
  }

  listenerCount(event: string | symbol): number {
    return this.#listeners.get(event)?.length ?? 0;
  }
}

/** A standard stream as commander sees it: help output goes through our writers. */
function stream(
  write: (s: string) => void,
  file: { isTerminal(): boolean },
) {
  return {
    write(s: string): boolean {
      write(s);
      return true;
    },
    get isTTY(): boolean {
      return file.isTerminal();
    },
    get columns(): number | undefined {
      return file.isTerminal() ? Deno.consoleSize().columns : undefined;
    },
    /** Node.js answers from the colour depth the environment allows; "dumb" has none. */
    hasColors(): boolean {
      return Deno.env.get("TERM") !== "dumb";
    },
  };
}

export const process = {
  stdout: stream(writeOut, Deno.stdout),
  stderr: stream(writeErr, Deno.stderr),
  get env(): Record<string, string> {
    return Deno.env.toObject();
  },
  get argv(): string[] {
    return [Deno.execPath(), Deno.mainModule, ...Deno.args];
  },
  execArgv: [] as string[],
  versions: {} as Record<string, string>,
  platform: Deno.build.os === "windows" ? "win32" : Deno.build.os,
  exitCode: undefined as number | undefined,
  exit(code?: number): never {
    Deno.exit(code);
  },
  get execPath(): string {
    return Deno.execPath();
  },
  on: unsupported("process.on"),
};

/** Node.js util's name for it; used to measure help text. */
export const stripVTControlCharacters = stripAnsi;

function unsupported(what: string): () => never {
  return () => {
    throw new Error(`${what}: commander's executable subcommands are not supported`);
  };
}

export const childProcess = { spawn: unsupported("child_process.spawn") };
export const fs = {
  existsSync: unsupported("fs.existsSync"),
  realpathSync: unsupported("fs.realpathSync"),
};
export const path = {
  basename: unsupported("path.basename"),
  dirname: unsupported("path.dirname"),
  extname: unsupported("path.extname"),
  resolve: unsupported("path.resolve"),
};
