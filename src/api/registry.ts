/**
 * The Lua globals made of host calls, each one module (api.ts `ApiModule`). The engine
 * registers every one of them (src/engine/worker/api_globals.ts), the main thread serves their
 * host functions (host_functions.ts).
 *
 * @module
 */
import type { ApiModule } from "./api.ts";
import { STATE_API } from "./state.ts";
import { SESSION_API } from "./session.ts";
import { ARTIFACT_API } from "./artifact.ts";
import { AGENT_API } from "./agent.ts";
import { PROVIDER_API } from "./provider.ts";
import { JSON_API } from "./json.ts";
import { TOOL_API } from "./tool.ts";
import { HOOK_API } from "./hook.ts";
import { WORKFLOW_API } from "./workflow.ts";

export const API_MODULES: readonly ApiModule[] = [
  STATE_API,
  SESSION_API,
  AGENT_API,
  PROVIDER_API,
  JSON_API,
  TOOL_API,
  ARTIFACT_API,
  HOOK_API,
  WORKFLOW_API,
];
