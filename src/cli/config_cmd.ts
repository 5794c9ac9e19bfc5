/**
 * `llmspell config init | validate | show`.
 */
import { Command, Option } from "commander";
import * as path from "../path.ts";
import {
  findConfigFile,
  formatDiagnostic,
  initConfigFile,
  renderConfig,
  resolvePaths,
  validateConfigFile,
} from "../config/mod.ts";
import { ExitCode } from "../errors.ts";
import { paint, writeErr, writeOut } from "../frontend/output.ts";
import { contextOf, example, setExit, withGlobalOptions } from "./command.ts";
import { configFor } from "./load_config.ts";
import { printData } from "../frontend/print.ts";

export function registerConfigCommands(program: Command): void {
  const config = withGlobalOptions(
    new Command("config").description("create, check and show the configuration"),
  );
  example(
    config,
    "llmspell config init",
    "llmspell config validate",
    "llmspell config show engines.lua",
  );

  const init = withGlobalOptions(
    new Command("init")
      .description("write a commented configuration file with every setting and its default")
      .option("-o, --out <path>", "where to write it (default: the user config file)")
      .option("--force", "overwrite an existing file"),
  );
  example(init, "llmspell config init", "llmspell config init -o ./llmspell.toml --force");
  init.action(async (opts: { out?: string; force?: boolean }, cmd: Command) => {
    const ctx = contextOf(cmd);
    const target = opts.out
      ? path.resolve(ctx.cwd, opts.out)
      : resolvePaths(ctx.env, ctx.cwd).userConfigFile;
    const written = await initConfigFile(target, { force: opts.force });
    printData(ctx, { path: written }, () => "");
    if (ctx.output === "text") writeErr(`wrote ${written}\n`);
  });
  config.addCommand(init);

  const validate = withGlobalOptions(
    new Command("validate")
      .description("check a configuration file and report every problem with file:line:col")
      .option("--file <path>", "the file to check (default: the one llmspell would load)"),
  );
  example(validate, "llmspell config validate", "llmspell config validate --file ./llmspell.toml");
  validate.action(async (opts: { file?: string }, cmd: Command) => {
    const ctx = contextOf(cmd);
    const file = opts.file
      ? path.resolve(ctx.cwd, opts.file)
      : findConfigFile({ file: ctx.config, cwd: ctx.cwd, env: ctx.env });
    // What every command would load: the file (or the defaults) and the LLMSPELL_* overrides.
    const diagnostics = await validateConfigFile(file, ctx.env);
    const errors = diagnostics.filter((d) => d.severity === "error").length;
    printData(ctx, { file, valid: errors === 0, diagnostics }, () => "");
    if (ctx.output === "text") {
      for (const d of diagnostics) writeErr(formatDiagnostic(d, { color: ctx.colorErr }) + "\n");
      const what = file ?? "no configuration file found, the defaults";
      if (errors === 0) writeOut(`${paint(ctx.colorOut, "green", "valid:")} ${what}\n`);
      else writeErr(`${errors} error${errors === 1 ? "" : "s"} in ${what}\n`);
    }
    setExit(errors === 0 ? ExitCode.ok : ExitCode.failure);
  });
  config.addCommand(validate);

  const show = withGlobalOptions(
    new Command("show")
      .description(
        "print the effective configuration (file + environment + defaults), secrets masked",
      )
      .argument("[section]", "a section such as engines.lua or kernel")
      .addOption(
        new Option("--format <format>", "toml, json or yaml (default: toml, or --output)")
          .choices(["toml", "json", "yaml"]),
      ),
  );
  example(show, "llmspell config show", "llmspell config show engines.lua --format json");
  show.action(
    async (
      section: string | undefined,
      opts: { format?: "toml" | "json" | "yaml" },
      cmd: Command,
    ) => {
      const ctx = contextOf(cmd);
      const { config } = await configFor(ctx);
      const format = opts.format ?? (ctx.output === "text" ? "toml" : ctx.output);
      const text = renderConfig(config, { section, format });
      writeOut(text.endsWith("\n") ? text : text + "\n");
    },
  );
  config.addCommand(show);

  program.addCommand(config);
}
