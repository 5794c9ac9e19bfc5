/**
 * The parts of the worker's debugger, one per topic, each reaching the others through this
 * record (worker_debugger.ts makes them): a part calls another's plain verbs and owns its
 * own state.
 */
import type { BreakpointHits } from "./breakpoint_hits.ts";
import type { Breakpoints } from "./breakpoints.ts";
import type { WorkerContext } from "./context.ts";
import type { ErrorStops } from "./errors.ts";
import type { Evaluator } from "./evaluate.ts";
import type { FrameEnv } from "./frame_env.ts";
import type { Frames } from "./frames.ts";
import type { HookFilter } from "./hook_filter.ts";
import type { HookModes } from "./hook_modes.ts";
import type { Prototypes } from "./prototypes.ts";
import type { Requests } from "./requests.ts";
import type { Sources } from "./sources.ts";
import type { Stops } from "./stops.ts";
import type { Values } from "./values.ts";

export interface DebuggerParts {
  ctx: WorkerContext;
  /** The wasm hook in front of the JavaScript one (hook_filter.ts). */
  filter: HookFilter;
  sources: Sources;
  /** Per-prototype facts and the marks the patched VM reads. */
  prototypes: Prototypes;
  /** Which hook events each thread needs: stepping, pausing, function breakpoints. */
  modes: HookModes;
  /** Line, function and exception breakpoints as set. */
  breakpoints: Breakpoints;
  /** What happens when a breakpoint's line or function is reached. */
  hits: BreakpointHits;
  /** Stops on errors. */
  errors: ErrorStops;
  /** A stop and the requests served while stopped. */
  stops: Stops;
  frames: Frames;
  /** Variables, their references and their one-line display. */
  values: Values;
  /** The environment of a stopped frame: its locals, upvalues, then _ENV. */
  env: FrameEnv;
  evaluator: Evaluator;
  /** The request table. */
  requests: Requests;
}
