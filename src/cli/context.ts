/**
 * What every command receives: the global flags resolved (output format, colour, trace
 * level, config file); the writers are src/frontend/output.ts.
 */
import { setTraceLevel } from "../telemetry/log.ts";
import type { OutputContext } from "../frontend/output.ts";
import type { GlobalOptions } from "./argv.ts";

export interface CliContext extends GlobalOptions, OutputContext {
  cwd: string;
  env: Record<string, string>;
}

export function makeContext(opts: GlobalOptions, env: Record<string, string>): CliContext {
  const allowed = opts.color && !("NO_COLOR" in env && env.NO_COLOR !== "");
  return {
    ...opts,
    colorOut: allowed && Deno.stdout.isTerminal(),
    colorErr: allowed && Deno.stderr.isTerminal(),
    cwd: Deno.cwd(),
    env,
  };
}

/** The context of a command run with `globals`; sets the trace level. */
export function contextFrom(globals: GlobalOptions): CliContext {
  setTraceLevel(globals.trace);
  return makeContext(globals, Deno.env.toObject());
}
