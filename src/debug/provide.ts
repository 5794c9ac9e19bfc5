/**
 * Names the worker's debugger (worker/worker_debugger.ts) to the engine, which imports no
 * debugger (engine/host/debug_port.ts `provideDebugger`): from the sources, or from the bundle,
 * where scripts/build.ts puts it beside the engine worker (dist/engine/).
 */
import { provideDebugger } from "../engine/host/debug_port.ts";

const bundled = !import.meta.url.endsWith(".ts");

/** The module a debugging engine's worker loads as its debugger. */
export const WORKER_DEBUGGER_URL: string =
  (bundled
    ? new URL("../engine/worker_debugger.js", import.meta.url)
    : new URL("./worker/worker_debugger.ts", import.meta.url)).href;

/** Makes every debugging engine of this process load the worker's debugger. */
export function provideWorkerDebugger(): void {
  provideDebugger(WORKER_DEBUGGER_URL);
}
