/**
 * Lua 5.4 as wasmoon builds it (its glue.wasm), instantiated without emscripten's JS runtime:
 * the imports come from libc_env.ts and the C API is called through the module's exports.
 * `LuaWasm` has the calls the engine makes, with wasmoon's conventions: `const char*`
 * arguments are JS strings (put on the C stack for the call), `const char*` results come
 * back as strings, lua_Integer is a BigInt.
 */
import { cString, libcImports } from "./libc_env.ts";

/** The compiled glue.wasm, and the shared memory it imports when it was rewritten for one. */
export interface EngineWasm {
  module: WebAssembly.Module;
  /** The shared memory the module imports (a batch engine's module defines its own). */
  memory?: WebAssembly.Memory;
}

type Fn = (...args: never[]) => unknown;

/** The raw exports (numbers in, numbers out) and the memory, as the engine reads them. */
export interface LuaModule {
  readonly HEAPU8: Uint8Array;
  readonly HEAP32: Int32Array;
  readonly HEAPU32: Uint32Array;
  readonly HEAPF64: Float64Array;
  _malloc(n: number): number;
  _free(p: number): void;
  _lua_tolstring(L: number, idx: number, lenPtr: number): number;
  _lua_pushlstring(L: number, p: number, len: number): number;
  _lua_getinfo(L: number, what: number, ar: number): number;
  _lua_getstack(L: number, level: number, ar: number): number;
  _lua_getlocal(L: number, ar: number, n: number): number;
  _lua_setlocal(L: number, ar: number, n: number): number;
  _lua_getupvalue(L: number, idx: number, n: number): number;
  _lua_setupvalue(L: number, idx: number, n: number): number;
  _lua_gethookmask(L: number): number;
  _lua_sethook(L: number, f: number, mask: number, count: number): void;
  _lua_status(L: number): number;
  _lua_gettop(L: number): number;
  _lua_settop(L: number, idx: number): void;
  _lua_pcallk(L: number, nargs: number, nres: number, errf: number, ctx: number, k: number): number;
  _lua_toboolean(L: number, idx: number): number;
  _lua_pushvalue(L: number, idx: number): void;
  _lua_type(L: number, idx: number): number;
  /** Puts a wasm function (an export of some instance) into the table; its index. */
  addFunction(fn: Fn): number;
}

type CStr = string | null;

/** The C API calls the engine makes (lua.h, lauxlib.h, lualib.h). */
interface LuaCalls {
  luaL_newstate(): number;
  luaL_openlibs(L: number): void;
  luaL_loadbufferx(L: number, buf: number, size: number, name: CStr, mode: CStr): number;
  luaL_ref(L: number, t: number): number;
  luaL_unref(L: number, t: number, ref: number): void;
  luaL_traceback(L: number, L1: number, msg: CStr, level: number): void;
  lua_callk(L: number, nargs: number, nres: number, ctx: number, k: number | null): void;
  lua_checkstack(L: number, n: number): number;
  lua_pcallk(
    L: number,
    nargs: number,
    nres: number,
    errf: number,
    ctx: number,
    k: number | null,
  ): number;
  lua_createtable(L: number, narr: number, nrec: number): void;
  lua_error(L: number): number;
  lua_getfield(L: number, idx: number, k: CStr): number;
  lua_getglobal(L: number, name: CStr): number;
  lua_gethookmask(L: number): number;
  lua_getmetatable(L: number, idx: number): number;
  lua_gettable(L: number, idx: number): number;
  lua_gettop(L: number): number;
  lua_isinteger(L: number, idx: number): number;
  lua_isyieldable(L: number): number;
  lua_newthread(L: number): number;
  lua_next(L: number, idx: number): number;
  lua_pushboolean(L: number, b: number): void;
  lua_pushcclosure(L: number, fn: number, n: number): void;
  lua_pushinteger(L: number, n: bigint): void;
  lua_pushnil(L: number): void;
  lua_pushnumber(L: number, n: number): void;
  lua_pushthread(L: number): number;
  lua_pushvalue(L: number, idx: number): void;
  lua_rawequal(L: number, a: number, b: number): number;
  lua_rawget(L: number, idx: number): number;
  lua_rawgeti(L: number, idx: number, n: bigint): number;
  lua_rawlen(L: number, idx: number): number;
  lua_rawset(L: number, idx: number): void;
  lua_rawseti(L: number, idx: number, n: bigint): void;
  lua_resume(L: number, from: number, nargs: number, nres: number): number;
  lua_rotate(L: number, idx: number, n: number): void;
  lua_setfield(L: number, idx: number, k: CStr): void;
  lua_sethook(L: number, f: number, mask: number, count: number): void;
  lua_setmetatable(L: number, idx: number): number;
  lua_settable(L: number, idx: number): void;
  lua_settop(L: number, idx: number): void;
  lua_setupvalue(L: number, fidx: number, n: number): string | null;
  lua_toboolean(L: number, idx: number): number;
  lua_tocfunction(L: number, idx: number): number;
  lua_tointegerx(L: number, idx: number, isnum: number | null): bigint;
  lua_tonumberx(L: number, idx: number, isnum: number | null): number;
  lua_topointer(L: number, idx: number): number;
  lua_tothread(L: number, idx: number): number;
  lua_type(L: number, idx: number): number;
  lua_typename(L: number, t: number): string;
  lua_yieldk(L: number, nresults: number, ctx: number, k: number): number;
}

/**
 * Argument kinds of each call: "s" a C string (a JS string, or null for NULL), "n" passed
 * as it is; a result "s" is a C string read back, "n" as it is.
 */
const CALLS: Record<keyof LuaCalls, [result: "n" | "s", args: string]> = {
  luaL_newstate: ["n", ""],
  luaL_openlibs: ["n", "n"],
  luaL_loadbufferx: ["n", "nnnss"],
  luaL_ref: ["n", "nn"],
  luaL_unref: ["n", "nnn"],
  luaL_traceback: ["n", "nnsn"],
  lua_callk: ["n", "nnnnn"],
  lua_checkstack: ["n", "nn"],
  lua_pcallk: ["n", "nnnnnn"],
  lua_createtable: ["n", "nnn"],
  lua_error: ["n", "n"],
  lua_getfield: ["n", "nns"],
  lua_getglobal: ["n", "ns"],
  lua_gethookmask: ["n", "n"],
  lua_getmetatable: ["n", "nn"],
  lua_gettable: ["n", "nn"],
  lua_gettop: ["n", "n"],
  lua_isinteger: ["n", "nn"],
  lua_isyieldable: ["n", "n"],
  lua_newthread: ["n", "n"],
  lua_next: ["n", "nn"],
  lua_pushboolean: ["n", "nn"],
  lua_pushcclosure: ["n", "nnn"],
  lua_pushinteger: ["n", "nn"],
  lua_pushnil: ["n", "n"],
  lua_pushnumber: ["n", "nn"],
  lua_pushthread: ["n", "n"],
  lua_pushvalue: ["n", "nn"],
  lua_rawequal: ["n", "nnn"],
  lua_rawget: ["n", "nn"],
  lua_rawgeti: ["n", "nnn"],
  lua_rawlen: ["n", "nn"],
  lua_rawset: ["n", "nn"],
  lua_rawseti: ["n", "nnn"],
  lua_resume: ["n", "nnnn"],
  lua_rotate: ["n", "nnn"],
  lua_setfield: ["n", "nns"],
  lua_sethook: ["n", "nnnn"],
  lua_setmetatable: ["n", "nn"],
  lua_settable: ["n", "nn"],
  lua_settop: ["n", "nn"],
  lua_setupvalue: ["s", "nnn"],
  lua_toboolean: ["n", "nn"],
  lua_tocfunction: ["n", "nn"],
  lua_tointegerx: ["n", "nnn"],
  lua_tonumberx: ["n", "nnn"],
  lua_topointer: ["n", "nn"],
  lua_tothread: ["n", "nn"],
  lua_type: ["n", "nn"],
  lua_typename: ["s", "nn"],
  lua_yieldk: ["n", "nnnn"],
};

export interface LuaWasm extends LuaCalls {
  readonly module: LuaModule;
}

interface Exports {
  memory?: WebAssembly.Memory;
  __indirect_function_table: WebAssembly.Table;
  __wasm_call_ctors(): void;
  emscripten_stack_init(): void;
  malloc(n: number): number;
  free(p: number): void;
  setThrew(threw: number, value: number): void;
  stackSave(): number;
  stackRestore(sp: number): void;
  stackAlloc(n: number): number;
  [name: string]: unknown;
}

const encoder = new TextEncoder();

/**
 * Instantiates glue.wasm and runs its C constructors. `heapCap` is read at each growth: the
 * memory limit (0 = none), so that Lua's allocator fails past it.
 */
export function instantiateLua(wasm: EngineWasm, heapCap: () => number): LuaWasm {
  // Set once the instance exists; the imports below only run after that.
  const inst = {} as { ex: Exports; memory: WebAssembly.Memory; table: WebAssembly.Table };
  let u8: Uint8Array = new Uint8Array(0);
  let i32: Int32Array = new Int32Array(0);
  let u32: Uint32Array = new Uint32Array(0);
  let f64: Float64Array = new Float64Array(0);
  const views = () => {
    const buf = inst.memory.buffer;
    if (u8.buffer === buf && u8.byteLength === buf.byteLength) return;
    u8 = new Uint8Array(buf);
    i32 = new Int32Array(buf);
    u32 = new Uint32Array(buf);
    f64 = new Float64Array(buf);
  };
  // The memory views, for the imports and (as LuaModule) for the engine.
  const heap = {
    get HEAPU8() {
      views();
      return u8;
    },
    get HEAP32() {
      views();
      return i32;
    },
    get HEAPU32() {
      views();
      return u32;
    },
    get HEAPF64() {
      views();
      return f64;
    },
  };
  const imports = libcImports({
    memory: heap,
    malloc: (n) => inst.ex.malloc(n),
    callTable: (index, a, b) => (inst.table.get(index) as (a: number, b: number) => void)(a, b),
    stackSave: () => inst.ex.stackSave(),
    stackRestore: (sp) => inst.ex.stackRestore(sp),
    setThrew: (t, v) => inst.ex.setThrew(t, v),
    grow: (bytes) => {
      const cap = heapCap();
      if (cap > 0 && bytes > cap) return false;
      const have = inst.memory.buffer.byteLength;
      // Grow by a fifth at least (as emscripten does), so that a growing heap is not
      // copied at every allocation; never past the cap.
      let want = Math.max(bytes, Math.min(have * 1.2, bytes + 96 * 2 ** 20));
      if (cap > 0) want = Math.min(want, Math.max(cap, bytes));
      want = Math.min(2 ** 31, Math.ceil(want / 65536) * 65536);
      try {
        inst.memory.grow((want - have) / 65536);
      } catch {
        return false;
      }
      views();
      return true;
    },
  });
  if (wasm.memory) (imports.env as Record<string, unknown>).memory = wasm.memory;
  // Synchronous: the module is compiled, and an await here would wait for a turn of the
  // event loop.
  const instance = new WebAssembly.Instance(wasm.module, imports);
  const ex = inst.ex = instance.exports as unknown as Exports;
  inst.memory = wasm.memory ?? ex.memory!;
  inst.table = ex.__indirect_function_table;
  views();
  ex.emscripten_stack_init();
  ex.__wasm_call_ctors();

  const module = Object.assign(heap, {
    _malloc: ex.malloc,
    _free: ex.free,
    addFunction(fn: Fn): number {
      const index = inst.table.grow(1);
      inst.table.set(index, fn);
      return index;
    },
  }) as Record<string, unknown>;
  for (const [name, value] of Object.entries(ex)) {
    if (name.startsWith("lua")) module[`_${name}`] = value;
  }

  const lua: Record<string, unknown> = { module };
  for (const [name, [result, args]] of Object.entries(CALLS)) {
    const f = ex[name] as ((...a: unknown[]) => unknown) | undefined;
    if (typeof f !== "function") throw new Error(`glue.wasm does not export ${name}`);
    lua[name] = wrap(f, result, args);
  }
  return lua as unknown as LuaWasm;

  /**
   * Calls without C strings are the exports themselves: a null pointer argument converts
   * to 0 on the way into wasm (ToInt32), and numbers come back as they are.
   */
  function wrap(f: (...a: unknown[]) => unknown, result: string, args: string): Fn {
    const stringArgs = [...args].flatMap((k, i) => (k === "s" ? [i] : []));
    if (stringArgs.length === 0 && result === "n") return f as Fn;
    const out = result === "s"
      ? (p: unknown) => (p === 0 ? null : cString(heap.HEAPU8, p as number))
      : (v: unknown) => v;
    if (stringArgs.length === 0) return ((...a: unknown[]) => out(f(...a))) as Fn;
    return ((...a: unknown[]) => {
      const sp = ex.stackSave();
      try {
        for (const i of stringArgs) {
          const v = a[i];
          if (typeof v === "string") a[i] = onStack(v);
        }
        return out(f(...a));
      } finally {
        ex.stackRestore(sp);
      }
    }) as Fn;
  }

  function onStack(s: string): number {
    const max = s.length * 3 + 1;
    const p = ex.stackAlloc(max);
    views();
    const { written } = encoder.encodeInto(s, u8.subarray(p, p + max - 1));
    u8[p + written] = 0;
    return p;
  }
}

/** A new Lua state with the standard libraries open (lua_newstate's default allocator). */
export function openState(lua: LuaWasm): number {
  const L = lua.luaL_newstate();
  if (!L) throw new Error("lua_newstate failed: out of memory");
  lua.luaL_openlibs(L);
  return L;
}
