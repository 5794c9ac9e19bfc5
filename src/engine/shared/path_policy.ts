/**
 * The sandbox's file-system check: the paths a safe script may reach (its allowed paths and
 * its own directory, symlinks resolved). The worker's host functions check every file access
 * with it; the main thread's tools and artifacts check the paths a safe script hands them.
 */
import * as path from "../../posix_path.ts";
import type { EngineOptions } from "./protocol.ts";

export class OutsideAllowedPaths extends Error {
  constructor(p: string) {
    super(
      `permission denied: ${p} is outside the allowed paths ([runtime.security] allowed_paths)`,
    );
  }
}

/** Resolves symlinks of the longest existing prefix, so a link cannot lead outside a root. */
function realish(p: string): string {
  let head = p;
  const tail: string[] = [];
  for (;;) {
    try {
      return path.join(Deno.realPathSync(head), ...tail.reverse());
    } catch {
      const parent = path.dirname(head);
      if (parent === head) return p;
      tail.push(path.basename(head));
      head = parent;
    }
  }
}

export class PathPolicy {
  readonly #roots: string[];
  readonly #cwd: string;
  readonly #enforced: boolean;
  readonly #granted = new Set<string>();
  /** The directory of the script a kernel runs now (script_root.ts), allowed while it runs. */
  #scriptRoot: string | undefined;

  constructor(
    options: Pick<EngineOptions, "cwd" | "securityLevel" | "allowedPaths" | "scriptDir">,
  ) {
    this.#cwd = options.cwd;
    this.#enforced = options.securityLevel === "safe";
    // The script's own directory is always allowed: its modules and data files live there.
    const roots = options.scriptDir
      ? [...options.allowedPaths, options.scriptDir]
      : options.allowedPaths;
    this.#roots = roots.map((r) => realish(path.resolve(options.cwd, r)));
  }

  /** The absolute path for `p`, or throws OutsideAllowedPaths. */
  check(p: string): string {
    const abs = path.resolve(this.#cwd, p);
    if (!this.#enforced || this.#granted.has(abs)) return abs;
    const real = realish(abs);
    const roots = this.#scriptRoot ? [...this.#roots, this.#scriptRoot] : this.#roots;
    for (const root of roots) {
      if (real === root || real.startsWith(root.endsWith("/") ? root : root + "/")) return abs;
    }
    throw new OutsideAllowedPaths(p);
  }

  /** Allows one more directory (the script's of one execution), or none (undefined). */
  setScriptRoot(dir: string | undefined): void {
    this.#scriptRoot = dir === undefined ? undefined : realish(path.resolve(this.#cwd, dir));
  }

  /** Lets a safe script use a file the host made for it (os.tmpname). */
  grant(abs: string): void {
    this.#granted.add(abs);
  }
}
