/**
 * The functions glue.wasm imports from JavaScript (its C library's system calls, time zone
 * and clock), in place of emscripten's generated JS runtime, which took much of every
 * engine start to set up (an in-memory file system, TTYs, run-dependency tracking) for what
 * the engine never uses: Lua's io, os.getenv, os.remove, os.execute and os.exit reach the
 * host through src/engine/worker/lua_host_functions.ts, not through C.
 * See docs/decisions/0002-own-libc-for-glue-wasm.md.
 *
 * What C still does itself, and what it gets here: os.time, os.date, os.clock and
 * os.difftime (the time functions below), the C stdio streams (fd 1 and 2 write to the
 * process; reading stdin gives end of file), and file opens, which fail with ENOENT as they
 * did in emscripten's empty in-memory file system.
 */
import type { LuaModule } from "./lua_wasm.ts";

/** What the imports need of the instance, once it exists. */
export interface LibcHost {
  /** The current views of the wasm memory (they change when it grows). */
  readonly memory: Pick<LuaModule, "HEAPU8" | "HEAP32" | "HEAPU32">;
  malloc(n: number): number;
  /** Calls a function of the wasm table (setjmp/longjmp support, below). */
  callTable(index: number, a: number, b: number): void;
  stackSave(): number;
  stackRestore(sp: number): void;
  setThrew(threw: number, value: number): void;
  /** emscripten_resize_heap: grow the memory to at least `bytes`; false when it cannot. */
  grow(bytes: number): boolean;
}

// errno values of emscripten's libc.
const ENOENT = 44;
const EBADF = 8;
const ENOTTY = 59;
const ENOSYS = 52;
const ESPIPE = 70;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The NUL-terminated UTF-8 string at `p`. */
export function cString(u8: Uint8Array, p: number): string {
  let end = p;
  while (u8[end] !== 0) end++;
  return decoder.decode(u8.subarray(p, end));
}

/** A time_t argument (an i64, so a BigInt) as a Date. */
function dateOf(t: bigint): Date {
  const n = t < -9007199254740992n || t > 9007199254740992n ? NaN : Number(t);
  return new Date(n * 1000);
}

const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];

function isLeap(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

function dayOfYear(d: Date): number {
  return Math.round(
    (Date.UTC(d.getFullYear(), d.getMonth(), d.getDate()) - Date.UTC(d.getFullYear(), 0, 1)) /
      86400000,
  );
}

/** struct tm's first eight fields (sec, min, hour, mday, mon, year, wday, yday) of `d`. */
function tmFields(d: Date, utc: boolean): number[] {
  return utc
    ? [
      d.getUTCSeconds(),
      d.getUTCMinutes(),
      d.getUTCHours(),
      d.getUTCDate(),
      d.getUTCMonth(),
      d.getUTCFullYear() - 1900,
      d.getUTCDay(),
      Math.floor((d.getTime() - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86400000),
    ]
    : [
      d.getSeconds(),
      d.getMinutes(),
      d.getHours(),
      d.getDate(),
      d.getMonth(),
      d.getFullYear() - 1900,
      d.getDay(),
      dayOfYear(d),
    ];
}

/** DST is in effect when the offset is the smaller of January's and July's. */
function isDst(d: Date): number {
  const jan = new Date(d.getFullYear(), 0, 1).getTimezoneOffset();
  const jul = new Date(d.getFullYear(), 6, 1).getTimezoneOffset();
  return jan !== jul && d.getTimezoneOffset() === Math.min(jan, jul) ? 1 : 0;
}

/** struct tm: sec, min, hour, mday, mon, year, wday, yday, isdst, gmtoff, zone. */
interface Tm {
  sec: number;
  min: number;
  hour: number;
  mday: number;
  mon: number;
  year: number;
  wday: number;
  yday: number;
  gmtoff: number;
  zone: string;
}

const pad = (v: number, width: number, fill = "0") => String(v).padStart(width, fill);

/** The ISO 8601 week number and week-based year of `tm`. */
function isoWeek(tm: Tm): { week: number; year: number } {
  const year = tm.year + 1900;
  const wday = (tm.wday + 6) % 7; // Monday = 0
  const week = Math.floor((tm.yday - wday + 10) / 7);
  if (week < 1) {
    const prev = year - 1;
    const prevDays = isLeap(prev) ? 366 : 365;
    return { week: Math.floor((tm.yday + prevDays - wday + 10) / 7), year: prev };
  }
  const days = isLeap(year) ? 366 : 365;
  if (week === 53 && tm.yday - wday + 3 >= days) return { week: 1, year: year + 1 };
  return { week, year };
}

const CONVERSIONS: Record<string, (tm: Tm) => string> = {
  a: (tm) => DAYS[tm.wday].slice(0, 3),
  A: (tm) => DAYS[tm.wday],
  b: (tm) => MONTHS[tm.mon].slice(0, 3),
  h: (tm) => MONTHS[tm.mon].slice(0, 3),
  B: (tm) => MONTHS[tm.mon],
  c: (tm) => expand("%a %b %e %H:%M:%S %Y", tm),
  C: (tm) => pad(Math.floor((tm.year + 1900) / 100), 2),
  d: (tm) => pad(tm.mday, 2),
  D: (tm) => expand("%m/%d/%y", tm),
  e: (tm) => pad(tm.mday, 2, " "),
  F: (tm) => expand("%Y-%m-%d", tm),
  g: (tm) => pad(isoWeek(tm).year % 100, 2),
  G: (tm) => String(isoWeek(tm).year),
  H: (tm) => pad(tm.hour, 2),
  I: (tm) => pad(tm.hour % 12 === 0 ? 12 : tm.hour % 12, 2),
  j: (tm) => pad(tm.yday + 1, 3),
  m: (tm) => pad(tm.mon + 1, 2),
  M: (tm) => pad(tm.min, 2),
  n: () => "\n",
  p: (tm) => (tm.hour < 12 ? "AM" : "PM"),
  r: (tm) => expand("%I:%M:%S %p", tm),
  R: (tm) => expand("%H:%M", tm),
  S: (tm) => pad(tm.sec, 2),
  t: () => "\t",
  T: (tm) => expand("%H:%M:%S", tm),
  u: (tm) => String(tm.wday === 0 ? 7 : tm.wday),
  U: (tm) => pad(Math.floor((tm.yday + 7 - tm.wday) / 7), 2),
  V: (tm) => pad(isoWeek(tm).week, 2),
  w: (tm) => String(tm.wday),
  W: (tm) => pad(Math.floor((tm.yday + 7 - ((tm.wday + 6) % 7)) / 7), 2),
  x: (tm) => expand("%m/%d/%y", tm),
  X: (tm) => expand("%H:%M:%S", tm),
  y: (tm) => pad((tm.year + 1900) % 100, 2),
  Y: (tm) => String(tm.year + 1900),
  z: (tm) => {
    const off = Math.abs(tm.gmtoff) / 60;
    return (tm.gmtoff >= 0 ? "+" : "-") + pad(Math.floor(off / 60) * 100 + (off % 60), 4);
  },
  Z: (tm) => tm.zone,
  "%": () => "%",
};

/** strftime's format expansion (the E and O modifiers are accepted and ignored). */
function expand(format: string, tm: Tm): string {
  return format.replace(/%[EO]?(.)/g, (all, c: string) => CONVERSIONS[c]?.(tm) ?? all);
}

export function libcImports(host: LibcHost): WebAssembly.Imports {
  const readTm = (p: number): Tm => {
    const i32 = host.memory.HEAP32;
    const zone = host.memory.HEAPU32[(p + 40) >> 2];
    return {
      sec: i32[p >> 2],
      min: i32[(p + 4) >> 2],
      hour: i32[(p + 8) >> 2],
      mday: i32[(p + 12) >> 2],
      mon: i32[(p + 16) >> 2],
      year: i32[(p + 20) >> 2],
      wday: i32[(p + 24) >> 2],
      yday: i32[(p + 28) >> 2],
      gmtoff: i32[(p + 36) >> 2],
      zone: zone ? cString(host.memory.HEAPU8, zone) : "",
    };
  };
  const writeTm = (p: number, fields: number[]) => {
    const i32 = host.memory.HEAP32;
    fields.forEach((v, i) => i32[(p >> 2) + i] = v);
  };
  const newString = (s: string) => {
    const bytes = encoder.encode(s + "\0");
    const p = host.malloc(bytes.length);
    host.memory.HEAPU8.set(bytes, p);
    return p;
  };
  const write = (fd: number, bytes: Uint8Array) => {
    if (fd === 1) Deno.stdout.writeSync(bytes);
    else if (fd === 2) Deno.stderr.writeSync(bytes);
  };

  const env = {
    abort: () => {
      throw new WebAssembly.RuntimeError("Lua aborted (native code called abort())");
    },
    // Lua's error handling: setjmp/longjmp, as emscripten builds it without wasm exceptions.
    invoke_vii: (index: number, a: number, b: number) => {
      const sp = host.stackSave();
      try {
        host.callTable(index, a, b);
      } catch (e) {
        host.stackRestore(sp);
        if (e !== Infinity) throw e;
        host.setThrew(1, 0);
      }
    },
    _emscripten_throw_longjmp: () => {
      throw Infinity;
    },
    emscripten_resize_heap: (bytes: number) => host.grow(bytes >>> 0),
    // os.execute and os.exit never reach C (prelude.ts replaces them).
    system: (cmd: number) => (cmd === 0 ? 0 : -1),
    exit: (code: number) => {
      throw new Error(`Lua called exit(${code})`);
    },
    emscripten_date_now: () => Date.now(),
    _emscripten_get_now_is_monotonic: () => 1,
    _gmtime_js: (t: bigint, p: number) => writeTm(p, tmFields(dateOf(t), true)),
    _localtime_js: (t: bigint, p: number) => {
      const d = dateOf(t);
      writeTm(p, tmFields(d, false));
      host.memory.HEAP32[(p + 32) >> 2] = isDst(d);
      host.memory.HEAP32[(p + 36) >> 2] = -60 * d.getTimezoneOffset();
    },
    _mktime_js: (p: number) => {
      const i32 = host.memory.HEAP32;
      const d = new Date(
        i32[(p + 20) >> 2] + 1900,
        i32[(p + 16) >> 2],
        i32[(p + 12) >> 2],
        i32[(p + 8) >> 2],
        i32[(p + 4) >> 2],
        i32[p >> 2],
        0,
      );
      // tm_isdst > 0 or 0 asks for that offset; < 0 asks us to tell (as emscripten does).
      const want = i32[(p + 32) >> 2];
      const jan = new Date(d.getFullYear(), 0, 1).getTimezoneOffset();
      const jul = new Date(d.getFullYear(), 6, 1).getTimezoneOffset();
      const dstOffset = Math.min(jan, jul);
      if (want < 0) i32[(p + 32) >> 2] = Number(jan !== jul && dstOffset === d.getTimezoneOffset());
      else if ((want > 0) !== (dstOffset === d.getTimezoneOffset())) {
        const stdOffset = Math.max(jan, jul);
        d.setTime(
          d.getTime() + 60000 * ((want > 0 ? dstOffset : stdOffset) - d.getTimezoneOffset()),
        );
      }
      writeTm(p, tmFields(d, false));
      const ms = d.getTime();
      return BigInt(isNaN(ms) ? -1 : Math.floor(ms / 1000));
    },
    _tzset_js: (timezone: number, daylight: number, tzname: number) => {
      const year = new Date().getFullYear();
      const jan = new Date(year, 0, 1);
      const jul = new Date(year, 6, 1);
      const janOff = jan.getTimezoneOffset();
      const julOff = jul.getTimezoneOffset();
      host.memory.HEAPU32[timezone >> 2] = 60 * Math.max(janOff, julOff);
      host.memory.HEAP32[daylight >> 2] = Number(janOff !== julOff);
      // Short names (UTC, CET, EST) as C libraries give them, not "Coordinated Universal Time".
      const short = new Intl.DateTimeFormat("en-US", { timeZoneName: "short" });
      const nameOf = (d: Date) =>
        short.formatToParts(d).find((p) => p.type === "timeZoneName")?.value ?? "GMT";
      const [std, dst] = julOff < janOff ? [jan, jul] : [jul, jan];
      host.memory.HEAPU32[tzname >> 2] = newString(nameOf(std));
      host.memory.HEAPU32[(tzname + 4) >> 2] = newString(nameOf(dst));
    },
    strftime: (s: number, max: number, format: number, tm: number) => {
      const bytes = encoder.encode(expand(cString(host.memory.HEAPU8, format), readTm(tm)));
      if (bytes.length + 1 > max) return 0;
      host.memory.HEAPU8.set(bytes, s);
      host.memory.HEAPU8[s + bytes.length] = 0;
      return bytes.length;
    },
    __syscall_openat: () => -ENOENT,
    __syscall_fcntl64: () => 0,
    __syscall_ioctl: (fd: number) => (fd <= 2 ? -ENOTTY : -EBADF),
    __syscall_dup3: () => -ENOSYS,
    __syscall_unlinkat: () => -ENOENT,
    __syscall_rmdir: () => -ENOENT,
    __syscall_renameat: () => -ENOENT,
    __syscall_readlinkat: () => -ENOENT,
  };
  const wasi = {
    fd_write: (fd: number, iov: number, iovcnt: number, pnum: number) => {
      const u32 = host.memory.HEAPU32;
      let n = 0;
      for (let i = 0; i < iovcnt; i++) {
        const p = u32[(iov >> 2) + 2 * i];
        const len = u32[(iov >> 2) + 2 * i + 1];
        write(fd, host.memory.HEAPU8.slice(p, p + len));
        n += len;
      }
      u32[pnum >> 2] = n;
      return 0;
    },
    fd_read: (_fd: number, _iov: number, _iovcnt: number, pnum: number) => {
      host.memory.HEAPU32[pnum >> 2] = 0;
      return 0;
    },
    fd_close: () => 0,
    fd_seek: () => ESPIPE,
    environ_sizes_get: (count: number, size: number) => {
      host.memory.HEAPU32[count >> 2] = 0;
      host.memory.HEAPU32[size >> 2] = 0;
      return 0;
    },
    environ_get: () => 0,
  };
  return { env, wasi_snapshot_preview1: wasi };
}
