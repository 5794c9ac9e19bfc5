/**
 * `llmspell run --watch FILE`: runs the script, then runs it again each time it or a module
 * it required changes. Each run gets a fresh Lua state (like a new `run`), so module caches
 * and globals never go stale; what a script keeps in `State` lives in the database and is
 * there for the next run. Errors are shown and the watch goes on; Ctrl+C ends it (exit 130).
 * A change while the script is still running interrupts that run and starts the next.
 */
import * as path from "../path.ts";
import type { Config } from "../config/mod.ts";
import { takeEngine } from "../engine/host/prestart.ts";
import { ExitCode, LlmspellError } from "../errors.ts";
import { paint, writeErr } from "../frontend/output.ts";
import type { CliContext } from "./context.ts";
import { engineOptions, type ScriptInput } from "./script.ts";
import { readScript } from "./script_file.ts";

/** Editors save in bursts (write, rename, chmod): one run per burst. */
const DEBOUNCE_MS = 80;

/**
 * Watches `files`: `next` resolves with the first one that changes (after the burst
 * settles). The watch is in place when this returns, so a change made after it is seen.
 */
function watchFiles(files: ReadonlySet<string>): { next: Promise<string>; close(): void } {
  // Directories, not the files: an editor that saves by renaming a new file over the old
  // one replaces the inode a file watch would follow.
  const dirs = [...new Set([...files].map((f) => path.dirname(f)))];
  const watcher = Deno.watchFs(dirs, { recursive: false });
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    watcher.close();
  };
  const next = (async () => {
    let first: string | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let settle: (() => void) | undefined;
    const settled = new Promise<void>((r) => settle = r);
    try {
      const events = (async () => {
        for await (const e of watcher) {
          if (e.kind === "access") continue;
          const hit = e.paths.find((p) => files.has(p));
          if (hit === undefined) continue;
          first ??= hit;
          clearTimeout(timer);
          timer = setTimeout(() => settle!(), DEBOUNCE_MS);
        }
      })();
      await Promise.race([settled, events]);
      if (first === undefined) throw new DOMException("watch stopped", "AbortError");
      return first;
    } finally {
      clearTimeout(timer);
      close();
    }
  })();
  next.catch(() => {});
  return { next, close };
}

/** A watched file modified at or after `since` (ms since the epoch), if any. */
async function changedSince(
  files: ReadonlySet<string>,
  since: number,
): Promise<string | undefined> {
  for (const f of files) {
    try {
      const m = (await Deno.stat(f)).mtime?.getTime();
      if (m !== undefined && m >= since) return f;
    } catch {
      return f; // removed: a change too
    }
  }
  return undefined;
}

export async function runWatching(
  ctx: CliContext,
  config: Config,
  input: ScriptInput,
  file: string,
): Promise<number> {
  Deno.addSignalListener("SIGINT", () => {
    writeErr("\n");
    Deno.exit(ExitCode.interrupted);
  });
  const [{ InProcessClient }, { runCell }] = await Promise.all([
    import("../client/in_process.ts"),
    import("./connected.ts"),
  ]);
  const note = (text: string) => writeErr(`${paint(ctx.colorErr, "cyan", "[watch]")} ${text}\n`);
  const show = (f: string) => path.relative(ctx.cwd, f) || f;
  let scriptPath = path.resolve(ctx.cwd, file);
  let watched = new Set<string>([scriptPath]);
  let code = input.code;
  for (;;) {
    const options = engineOptions(config, ctx.cwd, path.dirname(scriptPath));
    const engine = takeEngine({ interruptible: true });
    engine.init(options).catch(() => {}); // a failed start fails the cell, which says so
    const conn = await InProcessClient.start({
      engineOptions: options,
      kernelId: "embedded",
      byteExact: true,
      engine,
    }, false);
    // A change during the run ends it: a script that loops forever can be edited too.
    const duringRun = watchFiles(watched);
    let changedDuringRun: string | undefined;
    duringRun.next.then((f) => {
      changedDuringRun = f;
      engine.interrupt();
    }, () => {});
    const started = performance.now();
    const runStart = Date.now();
    const status = await runCell(conn, ctx, { ...input, code }, started, false);
    duringRun.close();
    engine.endSession(status === 0 ? "completed" : "failed");
    const modules = await engine.query({ kind: "modules" });
    if (modules.kind === "modules") watched = new Set([scriptPath, ...modules.files]);
    await conn.close();
    // Watch before saying so, then look for an edit made while the run went on (a module it
    // loaded was not watched yet): nothing between the run and the watch is missed.
    let watch = watchFiles(watched);
    let changed = changedDuringRun ?? await changedSince(watched, runStart);
    if (changed === undefined) {
      note(
        `${status === 0 ? "done" : `exit ${status}`}; watching ${watched.size} file(s) ` +
          "for changes (Ctrl+C stops)",
      );
    }
    for (;;) {
      changed ??= await watch.next;
      watch.close();
      note(`${show(changed)} changed; running again`);
      try {
        const script = await readScript(file);
        scriptPath = script.path;
        code = script.code;
        break;
      } catch (e) {
        // The script was removed or renamed mid-save: say so and wait for it to come back.
        note(e instanceof LlmspellError ? e.message : String(e));
        watch = watchFiles(watched);
        changed = undefined;
      }
    }
  }
}
