/**
 * Where llmspell keeps its files (README.md, Configuration).
 *
 * Without `LLMSPELL_HOME` (XDG base directories; relative XDG values are ignored, as the
 * XDG spec requires):
 *
 * | what    | path |
 * |---------|------|
 * | config  | `$XDG_CONFIG_HOME/llmspell/config.toml` (`~/.config/llmspell/config.toml`) |
 * | data    | `$XDG_DATA_HOME/llmspell` (`~/.local/share/llmspell`) |
 * | db      | `<data>/llmspell.db` |
 * | runtime | `$XDG_RUNTIME_DIR/llmspell`, else `$TMPDIR/llmspell-<uid>` (`/tmp/llmspell-<uid>`) |
 * | logs    | `$XDG_STATE_HOME/llmspell/logs` (`~/.local/state/llmspell/logs`) |
 *
 * With `LLMSPELL_HOME=DIR` everything lives under DIR (relative DIR is resolved against
 * the working directory):
 *
 * | what    | path |
 * |---------|------|
 * | config  | `DIR/config.toml` |
 * | data    | `DIR/data` (db: `DIR/data/llmspell.db`) |
 * | runtime | `DIR/run` |
 * | logs    | `DIR/logs` |
 *
 * A project's `./llmspell.toml` is found first either way (see `configCandidates`).
 *
 * @module
 */

import { isAbsolute, join, resolve } from "../path.ts";
import { LlmspellError } from "../errors.ts";

/** Environment variables, as `Deno.env.toObject()` returns them. */
export type Env = Readonly<Record<string, string | undefined>>;

/** Every directory and file location llmspell uses. */
export interface LlmspellPaths {
  /** `LLMSPELL_HOME` resolved, or null when the XDG layout applies. */
  home: string | null;
  /** Config files to try, in order, when neither `-c` nor `LLMSPELL_CONFIG` is given. */
  configCandidates: string[];
  /** The user's config file (what `config init` writes by default). */
  userConfigFile: string;
  /** Database, artifacts, backups, keys. */
  dataDir: string;
  /** Connection files, pid files, ipc sockets. */
  runtimeDir: string;
  logDir: string;
  /** The SQLite database. */
  dbPath: string;
}

/** File name of a project's config, looked up in the working directory. */
export const PROJECT_CONFIG_NAME = "llmspell.toml";

/** Name of the database file inside the data directory. */
export const DB_FILE_NAME = "llmspell.db";

/**
 * Resolves every location from the environment.
 *
 * @param env the environment (pass `Deno.env.toObject()`; tests pass their own)
 * @param cwd resolves a relative `LLMSPELL_HOME` and the project config
 * @throws LlmspellError `no_home` when neither `LLMSPELL_HOME`, `HOME` nor the XDG
 *   variables say where to put files
 */
export function resolvePaths(env: Env, cwd: string = Deno.cwd()): LlmspellPaths {
  const project = join(cwd, PROJECT_CONFIG_NAME);
  const homeVar = nonEmpty(env.LLMSPELL_HOME);
  if (homeVar !== undefined) {
    const home = resolve(cwd, homeVar);
    const dataDir = join(home, "data");
    const userConfigFile = join(home, "config.toml");
    return {
      home,
      configCandidates: [project, userConfigFile],
      userConfigFile,
      dataDir,
      runtimeDir: join(home, "run"),
      logDir: join(home, "logs"),
      dbPath: join(dataDir, DB_FILE_NAME),
    };
  }
  const userConfigFile = join(xdg(env, "XDG_CONFIG_HOME", ".config"), "llmspell", "config.toml");
  const dataDir = join(xdg(env, "XDG_DATA_HOME", ".local/share"), "llmspell");
  return {
    home: null,
    configCandidates: [project, userConfigFile],
    userConfigFile,
    dataDir,
    runtimeDir: runtimeDir(env),
    logDir: join(xdg(env, "XDG_STATE_HOME", ".local/state"), "llmspell", "logs"),
    dbPath: join(dataDir, DB_FILE_NAME),
  };
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === "" ? undefined : v;
}

/** An XDG base directory: the variable when absolute, else `$HOME/<fallback>`. */
function xdg(env: Env, name: string, fallback: string): string {
  const v = nonEmpty(env[name]);
  if (v !== undefined && isAbsolute(v)) return v;
  return join(homeDir(env), fallback);
}

function homeDir(env: Env): string {
  const home = nonEmpty(env.HOME) ?? nonEmpty(env.USERPROFILE);
  if (home === undefined) {
    throw new LlmspellError({
      code: "no_home",
      message: "cannot tell where to keep llmspell's files: HOME is not set",
      hint: "set HOME, or LLMSPELL_HOME=DIR to keep everything under DIR",
    });
  }
  return home;
}

/**
 * `$XDG_RUNTIME_DIR/llmspell`; without it a directory per user under the temporary
 * directory, so two users on one machine never share connection files.
 */
function runtimeDir(env: Env): string {
  const v = nonEmpty(env.XDG_RUNTIME_DIR);
  if (v !== undefined && isAbsolute(v)) return join(v, "llmspell");
  const tmp = nonEmpty(env.TMPDIR) ?? nonEmpty(env.TEMP) ?? "/tmp";
  let user: string | number | undefined;
  try {
    user = Deno.uid() ?? undefined;
  } catch {
    // No permission to ask: fall back to the user name.
  }
  user ??= nonEmpty(env.USER) ?? nonEmpty(env.USERNAME) ?? "user";
  return join(tmp, `llmspell-${user}`);
}
