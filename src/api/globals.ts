/**
 * Hands the Lua globals of src/api/ to the engine (src/engine/host/host_link.ts): their names
 * now, their Lua sides and host functions (registry.ts, the store) only when a script
 * first uses one. Kept small: `exec 'print(1)'` imports it and nothing else of src/api/.
 *
 * @module
 */
import { provideHost } from "../engine/host/host_link.ts";
import { otelActive } from "../telemetry/tracing.ts";

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

/** Makes every engine of this process define the globals and serve their host calls. */
export function provideApi(): void {
  provideHost({
    globals: API_GLOBALS,
    tracing: otelActive(),
    start: async (options) => {
      const { HostFunctions } = await import("./host_functions.ts");
      return new HostFunctions(options);
    },
  });
}
