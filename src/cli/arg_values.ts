/**
 * Commands whose first argument's values another llmspell command lists, one a line (the
 * providers of `keys set`, from `keys providers`): the shell completions run it when Tab is
 * pressed there (completions.ts), so that they offer what the configuration has then.
 */
import type { Command } from "commander";

const sources = new WeakMap<Command, readonly string[]>();

/** `cmd`'s first argument takes the lines `llmspell <words...>` prints. */
export function argumentValuesFrom(cmd: Command, words: readonly string[]): Command {
  sources.set(cmd, words);
  return cmd;
}

/** The words of the command that lists `cmd`'s argument values, if any. */
export function argumentValuesSource(cmd: Command): readonly string[] | undefined {
  return sources.get(cmd);
}
