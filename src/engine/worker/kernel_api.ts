/**
 * Worker side of display(), clear_output() and input(): C functions that put display
 * events and input requests on the output ring (in order with print output). The Lua side
 * then waits for an input request's answer with the host call `io.input`
 * (host_channel.ts).
 */
import { type CApi } from "../vm/capi.ts";
import { LUA_REGISTRYINDEX, LuaStatus } from "../vm/lua_h.ts";
import { loadChunk } from "./lua/chunks.ts";
import { type RingWriter, writeJson } from "../shared/output_ring.ts";
import { RingRecord } from "../shared/protocol.ts";
import { decodeBytes } from "../../byte_string.ts";

const decoder = new TextDecoder();

function base64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

/**
 * A display bundle's data from the mime, data pairs on the stack at first..last (what the Lua
 * side's `bundle` returns): images as base64, JSON parsed, text as it is; the first of a mime
 * wins.
 */
export function mimeData(
  api: CApi,
  L: number,
  first: number,
  last: number,
): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (let i = first; i + 1 <= last; i += 2) {
    const mime = api.str(L, i) ?? "text/plain";
    const bytes = api.bytes(L, i + 1) ?? new Uint8Array();
    if (mime in data) continue;
    if (mime.startsWith("image/") && mime !== "image/svg+xml") data[mime] = base64(bytes);
    else if (mime === "application/json" || mime.endsWith("+json")) {
      try {
        data[mime] = JSON.parse(decoder.decode(bytes));
      } catch (e) {
        throw new Error(`display: invalid JSON: ${e instanceof Error ? e.message : e}`);
      }
    } else data[mime] = decodeBytes(bytes);
  }
  return data;
}

export interface KernelApiContext {
  api: CApi;
  L: number;
  out: RingWriter;
  /** `call(method, ...)`, the C function of host calls (api_globals.ts). */
  hostCall: number;
  kernelStdin: boolean;
  hostRef: number;
  envRef: number;
  formatRef: number;
}

/** Registry refs of what the Lua part gives back. */
export interface KernelApiRefs {
  /** The JSON encoder, `json(value, lenient)`. */
  json: number;
  /** `bundle(value [, mimetype])`: the mime, data pairs display() shows (mimeData reads them). */
  display: number;
  /** `own(value)`: the mime, text pairs of the value's `__display`, or none. */
  own: number;
}

/** Loads the Lua part over the environment; returns registry refs of what it gives back. */
export function installKernelApi(ctx: KernelApiContext): KernelApiRefs {
  const { api, L, out } = ctx;
  const lua = api.lua;
  const REG = LUA_REGISTRYINDEX;

  if (loadChunk(api, L, "kernel_api") !== LuaStatus.ok) {
    throw new Error(`engine setup failed: ${api.str(L, -1)}`);
  }
  lua.lua_rawgeti(L, REG, BigInt(ctx.hostRef));
  lua.lua_rawgeti(L, REG, BigInt(ctx.envRef));
  lua.lua_rawgeti(L, REG, BigInt(ctx.formatRef));
  lua.lua_createtable(L, 0, 3);
  const fn = (name: string, f: (L: number) => number) => api.setFunction(L, name, api.cfunction(f));

  fn("emit", (L) => {
    const data = mimeData(api, L, 1, lua.lua_gettop(L));
    writeJson(out, RingRecord.event, { type: "display", data, metadata: {} });
    return 0;
  });

  fn("clear", (L) => {
    writeJson(out, RingRecord.event, { type: "clear_output", wait: lua.lua_toboolean(L, 1) !== 0 });
    return 0;
  });

  fn("request_input", (L) => {
    const prompt = api.str(L, 1) ?? "";
    const password = lua.lua_toboolean(L, 2) !== 0;
    writeJson(out, RingRecord.input, { prompt, password });
    return 0;
  });
  api.setFunction(L, "call", ctx.hostCall);

  lua.lua_pushboolean(L, ctx.kernelStdin ? 1 : 0);
  if (lua.lua_pcallk(L, 5, 3, 0, 0, null) !== LuaStatus.ok) {
    throw new Error(`engine setup failed: ${api.str(L, -1)}`);
  }
  const own = lua.luaL_ref(L, REG);
  const display = lua.luaL_ref(L, REG);
  return { json: lua.luaL_ref(L, REG), display, own };
}
