/**
 * Host functions given to the Lua prelude (worker side): output, the real file system
 * (checked against the allowed paths in safe mode), module lookup, stdin, and in
 * unrestricted mode process execution and exit. Each is a Lua C function over CApi.
 */
import type { CApi } from "../vm/capi.ts";
import type { EngineOptions } from "../shared/protocol.ts";
import type { RingWriter } from "../shared/output_ring.ts";
import { fileChunk } from "../shared/file_chunk.ts";
import { OutsideAllowedPaths, PathPolicy } from "../shared/path_policy.ts";

/** Environment variables a safe script may not read: they usually hold credentials. */
const SECRET_ENV = /KEY|TOKEN|SECRET|PASSWORD|CREDENTIAL/i;

interface OpenFile {
  file: Deno.FsFile;
}

export interface HostHooks {
  /** os.exit in unrestricted mode: records the code and arms the hook to unwind. */
  exit(L: number, code: number): void;
  /** `require` found a module in this file (absolute): `run --watch` watches it. */
  moduleFile(path: string): void;
}

/** Lua-style failure triple for io/os functions: nil, message, errno. */
function fail(api: CApi, L: number, e: unknown, subject?: string): number {
  const [msg, code] = describeFsError(e);
  return api.ret(L, undefined, subject ? `${subject}: ${msg}` : msg, code);
}

function describeFsError(e: unknown): [string, number] {
  if (e instanceof Deno.errors.NotFound) return ["No such file or directory", 2];
  if (e instanceof Deno.errors.PermissionDenied) return ["Permission denied", 13];
  if (e instanceof Deno.errors.AlreadyExists) return ["File exists", 17];
  if (e instanceof Deno.errors.IsADirectory) return ["Is a directory", 21];
  if (e instanceof Deno.errors.NotADirectory) return ["Not a directory", 20];
  if (e instanceof OutsideAllowedPaths) return [e.message, 13];
  return [e instanceof Error ? e.message : String(e), 5];
}

/** Builds the `host` table on the top of L's stack; returns its path policy. */
export function pushHostTable(
  api: CApi,
  L: number,
  options: EngineOptions,
  out: RingWriter,
  hooks: HostHooks,
): PathPolicy {
  const lua = api.lua;
  const policy = new PathPolicy(options);
  const files = new Map<number, OpenFile>();
  let nextFile = 1;
  const unrestricted = options.securityLevel === "unrestricted";

  lua.lua_createtable(L, 0, 20);
  const fn = (name: string, f: (L: number) => number) => api.setFunction(L, name, api.cfunction(f));

  fn("write", (L) => {
    const stream = lua.lua_tonumberx(L, 1, null) === 2 ? 2 : 1;
    const bytes = api.bytesView(L, 2);
    if (bytes && bytes.length > 0) out.write(stream, bytes);
    return 0;
  });

  fn("fs_open", (L) => {
    const p = api.str(L, 1) ?? "";
    const mode = api.str(L, 2) ?? "r";
    try {
      const abs = policy.check(p);
      const plus = mode.includes("+");
      const m = mode[0];
      const file = Deno.openSync(abs, {
        read: m === "r" || plus,
        write: m !== "r" || plus,
        create: m !== "r",
        truncate: m === "w",
        append: m === "a",
      });
      const id = nextFile++;
      files.set(id, { file });
      return api.ret(L, id);
    } catch (e) {
      return fail(api, L, e);
    }
  });

  const fileArg = (L: number): OpenFile => {
    const f = files.get(lua.lua_tonumberx(L, 1, null));
    if (!f) throw new Error("attempt to use a closed file");
    return f;
  };

  fn("fs_read", (L) => {
    const f = fileArg(L);
    const n = api.optInt(L, 2, 65536);
    const buf = new Uint8Array(n);
    const got = f.file.readSync(buf);
    if (got === null || got === 0) return api.ret(L, undefined);
    api.pushBytes(L, buf.subarray(0, got));
    return 1;
  });

  fn("fs_write", (L) => {
    const f = fileArg(L);
    const bytes = api.bytes(L, 2) ?? new Uint8Array();
    try {
      let off = 0;
      while (off < bytes.length) off += f.file.writeSync(bytes.subarray(off));
      return api.ret(L, true);
    } catch (e) {
      return fail(api, L, e);
    }
  });

  fn("fs_seek", (L) => {
    const f = fileArg(L);
    const whence = api.str(L, 2) ?? "cur";
    const offset = api.optInt(L, 3, 0);
    const mode = whence === "set"
      ? Deno.SeekMode.Start
      : whence === "end"
      ? Deno.SeekMode.End
      : Deno.SeekMode.Current;
    try {
      return api.ret(L, f.file.seekSync(offset, mode));
    } catch (e) {
      return fail(api, L, e);
    }
  });

  fn("fs_close", (L) => {
    const id = lua.lua_tonumberx(L, 1, null);
    files.get(id)?.file.close();
    files.delete(id);
    return 0;
  });

  fn("fs_remove", (L) => {
    const p = api.str(L, 1) ?? "";
    try {
      Deno.removeSync(policy.check(p));
      return api.ret(L, true);
    } catch (e) {
      return fail(api, L, e, p);
    }
  });

  fn("fs_rename", (L) => {
    const from = api.str(L, 1) ?? "";
    const to = api.str(L, 2) ?? "";
    try {
      Deno.renameSync(policy.check(from), policy.check(to));
      return api.ret(L, true);
    } catch (e) {
      return fail(api, L, e, from);
    }
  });

  fn("fs_tmpname", (L) => {
    const p = Deno.makeTempFileSync({ prefix: "lua_" });
    policy.grant(p);
    return api.ret(L, p);
  });

  // loadfile and dofile: the chunk in the file, as bytes (a Latin-1 file stays Latin-1).
  fn("read_file", (L) => {
    const p = api.str(L, 1) ?? "";
    try {
      api.pushBytes(L, fileChunk(Deno.readFileSync(policy.check(p))));
      return 1;
    } catch (e) {
      const [msg] = describeFsError(e);
      return api.ret(L, undefined, `cannot open ${p}: ${msg}`);
    }
  });

  fn("find_module", (L) => {
    const name = api.str(L, 1) ?? "";
    const templates = (api.str(L, 2) ?? "").split(";").filter((t) => t.length > 0);
    const rel = name.replaceAll(".", "/");
    let tried = "";
    for (const t of templates) {
      const candidate = t.replaceAll("?", rel);
      try {
        const abs = policy.check(candidate);
        const src = fileChunk(Deno.readFileSync(abs));
        hooks.moduleFile(abs);
        api.pushString(L, candidate);
        api.pushBytes(L, src);
        return 2;
      } catch (e) {
        tried += e instanceof OutsideAllowedPaths
          ? `\n\tno file '${candidate}' (outside the allowed paths)`
          : `\n\tno file '${candidate}'`;
      }
    }
    return api.ret(L, undefined, tried);
  });

  const stdinBuf = new Uint8Array(65536);
  fn("stdin_read", (L) => {
    const n = Deno.stdin.readSync(stdinBuf);
    if (n === null || n === 0) return api.ret(L, undefined);
    api.pushBytes(L, stdinBuf.subarray(0, n));
    return 1;
  });

  fn("getenv", (L) => {
    const name = api.str(L, 1) ?? "";
    if (!unrestricted && SECRET_ENV.test(name)) return api.ret(L, undefined);
    return api.ret(L, Deno.env.get(name));
  });

  if (unrestricted) {
    const run = (cmd: string) => {
      const r = new Deno.Command("/bin/sh", {
        args: ["-c", cmd],
        cwd: options.cwd,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).outputSync();
      if (r.stderr.length > 0) out.write(2, r.stderr);
      return r;
    };
    fn("execute", (L) => {
      if (lua.lua_type(L, 1) <= 0) return api.ret(L, true);
      const r = run(api.str(L, 1) ?? "");
      if (r.stdout.length > 0) out.write(1, r.stdout);
      if (r.signal) return api.ret(L, undefined, "signal", Deno.build.os === "linux" ? 9 : 1);
      return api.ret(L, r.code === 0 ? true : undefined, "exit", r.code);
    });
    fn("popen_read", (L) => {
      const r = run(api.str(L, 1) ?? "");
      api.pushBytes(L, r.stdout);
      return 1;
    });
    fn("exit", (L) => {
      const t = lua.lua_type(L, 1);
      const code = t === 1 ? (lua.lua_toboolean(L, 1) ? 0 : 1) : api.optInt(L, 1, 0);
      hooks.exit(L, code);
      api.pushString(L, "exit");
      return lua.lua_error(L);
    });
  }
  return policy;
}
