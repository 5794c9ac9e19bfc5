/**
 * `[telemetry] enabled`: Deno's OpenTelemetry reads its variables only when the process
 * starts, so a configuration that turns it on restarts this process (same pid and command
 * line, src/exec_self.ts) with them set. The OTEL_* variables the user set win over the
 * configuration. Loaded only when the configuration asks for telemetry.
 */
import { execSelf } from "../exec_self.ts";

/** `[telemetry]` of the configuration (config/schema.ts TelemetryConfig). */
export interface TelemetrySettings {
  endpoint: string;
  protocol: string;
  service_name: string;
}

/** The variables that turn Deno's exporter on as `config` says. */
export function otelEnv(config: TelemetrySettings, env: Record<string, string | undefined>) {
  const out: Record<string, string> = { OTEL_DENO: "true" };
  const put = (name: string, value: string) => {
    if (value !== "" && env[name] === undefined) out[name] = value;
  };
  put("OTEL_EXPORTER_OTLP_ENDPOINT", config.endpoint);
  put("OTEL_EXPORTER_OTLP_PROTOCOL", config.protocol);
  put("OTEL_SERVICE_NAME", config.service_name);
  return out;
}

/** Restarts this process with Deno's OpenTelemetry on. */
export function restartWithTelemetry(config: TelemetrySettings): never {
  return execSelf(otelEnv(config, Deno.env.toObject()));
}
