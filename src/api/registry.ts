/**
 * The Lua globals made of host calls, each one module (api.ts `ApiModule`). The engine
 * registers every one of them (src/engine/api_globals.ts), the main thread serves their
 * host functions (host_functions.ts).
 *
 * @module
 */
import type { ApiModule } from "./api.ts";
import { STATE_API } from "./state.ts";
import { SESSION_API } from "./session.ts";

export const API_MODULES: readonly ApiModule[] = [STATE_API, SESSION_API];
