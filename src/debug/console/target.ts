/**
 * What the terminal debugger's console talks to: the debug session (debug/session/), as one
 * of its clients. `llmspell debug` reaches a session of its own process (sessionClient); the
 * REPL reaches its kernel's session through Jupyter's debug_request (repl/debug_client.ts),
 * embedded or over `--connect`.
 */
import type { DebugSession } from "../session/session.ts";

/** The debug session as one client sees it. */
export interface DebugTarget {
  /**
   * A DAP request; resolves with the response's body, rejects with an Error whose message is
   * the error response's.
   */
  request<B = unknown>(command: string, args?: Record<string, unknown>): Promise<B>;
  /** The session's events for this client; returns the unsubscribe function. */
  onEvent(fn: (event: string, body: unknown) => void): () => void;
}

/** Where the console writes (the debugger's text; a program's output is its host's). */
export interface ConsoleIO {
  write(text: string): void;
}

/** A request whose failure the console says on `io` and goes on from (undefined then). */
export async function requestOrSay<B>(
  target: DebugTarget,
  io: ConsoleIO,
  command: string,
  args: Record<string, unknown>,
): Promise<B | undefined> {
  try {
    return await target.request<B>(command, args);
  } catch (e) {
    io.write(`${e instanceof Error ? e.message : e}\n`);
    return undefined;
  }
}

/** What the console needs from the front end that runs the code it debugs. */
export interface ConsoleHost {
  /** The text of a source that is no file (a REPL cell, `=In[3]`), or undefined. */
  sourceText?(key: string): string | undefined;
  /** The source that `break LINE` and `list` mean when no frame is selected. */
  defaultSource(): string | undefined;
  /** A directory where relative file names are also looked up (the script's). */
  baseDir?: string;
  /** Ends the program (or the running cell); resolves once it has ended. */
  terminate(): Promise<void>;
  /** Runs the program again; without it `restart` says `noRestart`. */
  restart?(): Promise<void>;
  /** Why `restart` does nothing here. */
  noRestart?: string;
  /** What `quit` says instead of quitting while nothing runs (the REPL: .exit leaves it). */
  idleQuit?: string;
  /** What a step command says while nothing runs. */
  notRunning: string;
  /** Printed after the command list by `help`. */
  helpFooter?: string;
  /**
   * A stop while nothing of the host runs (its own query hit a breakpoint) is continued at
   * once; only for a host that is the session's one client, else the stop is another's.
   */
  continueStrayStops?: boolean;
}

/** Client `id` of a session in this process. */
export function sessionClient(session: DebugSession, id: string): DebugTarget {
  const listeners = new Set<(event: string, body: unknown) => void>();
  session.addClient(id, {
    event: (event, body) => {
      for (const fn of listeners) fn(event, body);
    },
  });
  return {
    request: async <B>(command: string, args: Record<string, unknown> = {}) =>
      await session.request(id, command, args) as B,
    onEvent(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
  };
}
