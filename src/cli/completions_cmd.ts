/**
 * `llmspell completions bash|zsh|fish`.
 */
import { Argument, Command } from "commander";
import { example, withGlobalOptions } from "./command.ts";
import { writeOut } from "../frontend/output.ts";
import { generate, type Shell, SHELLS } from "./completions.ts";

export function registerCompletionsCommand(program: Command): void {
  const cmd = withGlobalOptions(
    new Command("completions")
      .description("print a shell completion script")
      .addArgument(new Argument("<shell>", "the shell").choices(SHELLS)),
  );
  example(
    cmd,
    "llmspell completions bash > ~/.local/share/bash-completion/completions/llmspell",
    "llmspell completions fish > ~/.config/fish/completions/llmspell.fish",
  );
  cmd.action((shell: Shell) => {
    writeOut(generate(program, shell));
  });
  program.addCommand(cmd);
}
