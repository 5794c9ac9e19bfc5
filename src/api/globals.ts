/**
 * Hands the Lua globals of src/api/ to the engine (src/engine/host/host_link.ts): their names
 * now, their Lua sides and host functions (registry.ts, the store) only when a script
 * first uses one. Kept small: `exec 'print(1)'` imports it and nothing else of src/api/.
 *
 * @module
 */
import { provideHost } from "../engine/host/host_link.ts";

/** The globals of registry.ts's modules (a test keeps the two in step). */
export const API_GLOBALS: readonly string[] = [
  "State",
  "Session",
  "Agent",
  "Provider",
  "JSON",
  "Tool",
  "Artifact",
  "Hook",
  "Workflow",
];

/**
 * Spans are made in this process (src/telemetry/tracing.ts was loaded: main.ts says so), so
 * the engines send the Lua side's spans. Not read from tracing.ts here: this module is on
 * every `exec`'s start-up path, and that one only when tracing is on.
 */
let tracing = false;

/** The engines started from now on send the Lua side's spans (EngineOptions.tracing). */
export function traceApi(): void {
  tracing = true;
}

/** Makes every engine of this process define the globals and serve their host calls. */
export function provideApi(): void {
  provideHost({
    globals: API_GLOBALS,
    get tracing() {
      return tracing;
    },
    start: async (options) => {
      const { HostFunctions } = await import("./host_functions.ts");
      return new HostFunctions(options);
    },
  });
}
