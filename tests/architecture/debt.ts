/**
 * Known debt: imports that break the rules of docs/architecture.md ("Boundaries") today, each
 * with the reason issue 14 gives. The boundary test allows exactly these; it fails on any other
 * violation, and on an entry here that no longer occurs (remove it when you fix it).
 */
import type { Debt } from "./boundaries.ts";

const ENGINE_DEBUG = "engine ↔ debug: the engine should reach the debugger through an interface";

export const KNOWN_DEBT: Debt = {
  edges: [
    { from: "src/engine/handle.ts", to: "src/debug/link.ts", why: ENGINE_DEBUG },
    { from: "src/engine/runtime.ts", to: "src/debug/worker_debugger.ts", why: ENGINE_DEBUG },
  ],
  cycles: [],
};
