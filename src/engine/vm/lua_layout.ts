/**
 * Where Lua 5.4.4 keeps what the engine reads and writes in wasm memory directly (wasmoon's
 * glue.wasm, wasm32): the poke (poke.ts), the debugger's hook and its wasm filter, and fast
 * breakpoint conditions. Reading memory instead of calling the C API keeps these paths free
 * of wasm calls. tests/engine/poke_test.ts checks the layout against the C API.
 */

/** lua_State */
export const L_CI = 20;
/** lua_State.base_ci, the C frame every thread starts with. */
export const L_BASE_CI = 52;
export const L_HOOK = 88;
/** The pc (instruction index) of the last line event, for "is this a new line". */
export const L_OLDPC = 100;
export const L_BASEHOOKCOUNT = 104;
export const L_HOOKCOUNT = 108;
/** A volatile sig_atomic_t: HookMask bits. */
export const L_HOOKMASK = 112;

/** CallInfo */
export const CI_FUNC = 0;
export const CI_PREVIOUS = 8;
/** u.l.savedpc of a Lua frame. */
export const CI_SAVEDPC = 16;
/** u.l.trap of a Lua frame: the VM re-reads it at jumps and calls. */
export const CI_TRAP = 20;
export const CI_CALLSTATUS = 34;
/** callstatus bit of a C frame. */
export const CIST_C = 2;

/** StackValue / TValue: 16 bytes, the value at 0, the type tag at 8. */
export const TV_SIZE = 16;
export const TV_TT = 8;
export const LUA_VNUMINT = 0x03;
export const LUA_VNUMFLT = 0x13;
/** Light C function. */
export const LUA_VLCF = 0x16;
export const LUA_VLCL_COLLECTABLE = 0x46;
export const LUA_VCCL_COLLECTABLE = 0x66;
export const LUA_VTHREAD_COLLECTABLE = 0x48;

/**
 * GCObject.marked: the GC's colour and age bits. Bit 7 is used only by Lua's own test build
 * (ltests.c), is 0 in a new object and is kept by every GC step (they mask only the colour
 * and age bits), so a Proto carries llmspell's "no breakpoints here" mark in it
 * (line_trap.ts).
 */
export const GC_MARKED = 5;
/** Proto.linedefined and Proto.source (a TString*): what names a function's frame. */
export const PROTO_LINEDEFINED = 40;
export const PROTO_SOURCE = 76;
/** Proto.code: the first instruction. */
export const PROTO_CODE = 52;
export const PROTO_PLAIN_BIT = 0x80;

/** LClosure: its Proto at 12. CClosure: the C function at 12, the first upvalue at 16. */
export const LCL_PROTO = 12;
export const CCL_F = 12;
export const CCL_UPVALUE = 16;

/** lua_Debug */
export const AR_SIZE = 112;
export const AR_EVENT = 0;
export const AR_NAME = 4;
export const AR_NAMEWHAT = 8;
export const AR_WHAT = 12;
export const AR_SOURCE = 16;
export const AR_CURRENTLINE = 24;
export const AR_LINEDEFINED = 28;
export const AR_ISTAILCALL = 39;
/** The private i_ci: the CallInfo the event is about. */
export const AR_CI = 104;

/** lua_Debug.event (0 is a call) */
export const EV_RET = 1;
export const EV_LINE = 2;
export const EV_COUNT = 3;
export const EV_TAILCALL = 4;
