/**
 * Thin, binary-safe access to the Lua C API inside glue.wasm (lua_wasm.ts): raw bytes (print
 * of any string, file contents) and Lua values left where they are. Strings cross as JS
 * strings that keep every byte (src/byte_string.ts), never as U+FFFD.
 */
import type { LuaModule, LuaWasm } from "./lua_wasm.ts";
import { decodeBytes, encodeText } from "../../byte_string.ts";
import { type Hook, Trampolines } from "./trampolines.ts";
import { LuaTypeId } from "./lua_h.ts";

/** Emscripten implements longjmp (Lua errors) as a thrown Infinity. */
export function isLuaUnwind(e: unknown): boolean {
  return e === Infinity;
}

export class CApi {
  readonly lua: LuaWasm;
  readonly #m: LuaModule;
  readonly #lenPtr: number;
  readonly #trampolines: Trampolines;

  constructor(lua: LuaWasm) {
    this.lua = lua;
    this.#m = lua.module;
    this.#lenPtr = this.#m._malloc(4);
    this.#trampolines = new Trampolines((fn) => this.#m.addFunction(fn));
  }

  /** The bytes of the string (or number) at `idx`, copied out; undefined for other types. */
  bytes(L: number, idx: number): Uint8Array | undefined {
    const p = this.#m._lua_tolstring(L, idx, this.#lenPtr);
    if (p === 0) return undefined;
    const len = this.#m.HEAP32[this.#lenPtr >> 2];
    return this.#m.HEAPU8.slice(p, p + len);
  }

  /** A view of the bytes in wasm memory: valid only until Lua runs again. */
  bytesView(L: number, idx: number): Uint8Array | undefined {
    const p = this.#m._lua_tolstring(L, idx, this.#lenPtr);
    if (p === 0) return undefined;
    const len = this.#m.HEAP32[this.#lenPtr >> 2];
    return this.#m.HEAPU8.subarray(p, p + len);
  }

  /** The string at `idx` as decodeBytes gives it: its bytes survive encodeText. */
  str(L: number, idx: number): string | undefined {
    const v = this.bytesView(L, idx);
    return v === undefined ? undefined : decodeBytes(v);
  }

  pushBytes(L: number, bytes: Uint8Array): void {
    const p = this.#m._malloc(bytes.length + 1);
    try {
      this.#m.HEAPU8.set(bytes, p);
      this.#m._lua_pushlstring(L, p, bytes.length);
    } finally {
      this.#m._free(p);
    }
  }

  /** Pushes the bytes of a string from decodeBytes (of any other: its UTF-8). */
  pushString(L: number, s: string): void {
    this.pushBytes(L, encodeText(s));
  }

  /** Loads a chunk from bytes; leaves the function (or the error message) on the stack. */
  load(L: number, code: string | Uint8Array, chunkName: string, mode = "t"): number {
    const bytes = typeof code === "string" ? encodeText(code) : code;
    const p = this.#m._malloc(bytes.length + 1);
    try {
      this.#m.HEAPU8.set(bytes, p);
      return this.lua.luaL_loadbufferx(L, p, bytes.length, chunkName, mode);
    } finally {
      this.#m._free(p);
    }
  }

  /**
   * Registers a JS function as a Lua C function. A JS exception becomes a Lua error with
   * its message, so a bug in a host function fails the script, not the engine.
   */
  cfunction(fn: (L: number) => number): number {
    return this.#trampolines.cfunction((L: number) => {
      let message: string;
      try {
        return fn(L);
      } catch (e) {
        if (isLuaUnwind(e)) throw e;
        message = e instanceof Error ? e.message : String(e);
      }
      this.pushString(L, message);
      return this.lua.lua_error(L);
    });
  }

  /** Registers a JS function as a lua_Hook (L, ar). */
  hook(fn: Hook): number {
    return this.#trampolines.hook(fn);
  }

  /** Puts a wasm function (an export of a module built here) into the table as it is. */
  wasmHook(fn: Hook): number {
    return this.#m.addFunction(fn);
  }

  /** Pushes a C function and stores it under `name` in the table at the top. */
  setFunction(L: number, name: string, fnPtr: number): void {
    this.lua.lua_pushcclosure(L, fnPtr, 0);
    this.lua.lua_setfield(L, -2, name);
  }

  /** Pushes a JS value that maps plainly onto Lua (nil, boolean, number, string). */
  pushPlain(L: number, v: string | number | boolean | undefined | null): void {
    if (v === undefined || v === null) this.lua.lua_pushnil(L);
    else if (typeof v === "boolean") this.lua.lua_pushboolean(L, v ? 1 : 0);
    else if (typeof v === "number") {
      if (Number.isInteger(v)) this.lua.lua_pushinteger(L, BigInt(v));
      else this.lua.lua_pushnumber(L, v);
    } else this.pushString(L, v);
  }

  /** Returns `n` results pushed from `values` (helper for host functions). */
  ret(L: number, ...values: (string | number | boolean | undefined | null)[]): number {
    for (const v of values) this.pushPlain(L, v);
    return values.length;
  }

  optInt(L: number, idx: number, dflt: number): number {
    const t = this.lua.lua_type(L, idx);
    if (t === LuaTypeId.none || t === LuaTypeId.nil) return dflt;
    return this.lua.lua_tonumberx(L, idx, null);
  }
}
