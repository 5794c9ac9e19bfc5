/**
 * The `Workflow` global: agents, tools, Lua functions and other workflows as steps, run in
 * sequence, in parallel (branches really overlap: their host calls are in flight together),
 * on a condition or in a loop, each run and step a span. All of it is Lua (workflow_lua.ts)
 * over the host calls every global has; it has no host functions of its own.
 *
 * @module
 */
import type { ApiModule } from "./api.ts";
import { WORKFLOW_LUA } from "./workflow_lua.ts";

export const WORKFLOW_API: ApiModule = {
  global: "Workflow",
  lua: WORKFLOW_LUA,
  host: {},
};
