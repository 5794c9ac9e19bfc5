/** Loading the configuration for a command (src/config), as every command does. */
import { formatDiagnostic, loadConfig, type LoadedConfig } from "../config/mod.ts";
import { log } from "../telemetry/log.ts";
import type { CliContext } from "./context.ts";
import { writeErr } from "../frontend/output.ts";

/** Loads the configuration for a command, printing warnings (unknown keys) to stderr. */
export async function configFor(ctx: CliContext): Promise<LoadedConfig> {
  const loaded = await loadConfig({ file: ctx.config, cwd: ctx.cwd, env: ctx.env });
  log.debug(`config: ${loaded.source ?? "defaults (no config file found)"}`);
  for (const w of loaded.warnings) writeErr(formatDiagnostic(w, { color: ctx.colorErr }) + "\n");
  const telemetry = loaded.config.telemetry;
  if (
    telemetry.enabled && Deno.env.get("OTEL_DENO") !== "true" &&
    Deno.env.get("OTEL_SDK_DISABLED") !== "true"
  ) {
    log.debug("config: [telemetry] enabled: restarting with Deno's OpenTelemetry on");
    (await import("../telemetry/otel_env.ts")).restartWithTelemetry(telemetry);
  }
  return loaded;
}
