/**
 * The `Artifact` global: content a script keeps, linked to its session.
 *
 * - `Artifact.store(name, content [, {mime_type, tags, kind}])` → id.
 * - `Artifact.store_file(path [, meta])` → id: a file inside the sandbox's allowed paths
 *   (safe mode), named by its base name unless `meta.name` says otherwise.
 * - `Artifact.get(id)` → `{content, metadata}` or nil.
 * - `Artifact.list{session, kind, name, tags, limit}` → metadata tables, newest first.
 * - `Artifact.delete(id)` → whether it existed.
 *
 * Content is stored once per SHA-256 under the data directory (src/store/artifacts.ts), at
 * most `[sessions] max_artifact_bytes`.
 *
 * @module
 */
import { type ApiModule, type HostContext, HostError, results } from "./api.ts";
import { type EncodedValues, luaType, type LuaValue } from "../engine/shared/host_values.ts";
import type { ArtifactMeta } from "../store/artifacts.ts";
import { basename } from "../path.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const text = (s: string) => encoder.encode(s);

function metaTable(m: ArtifactMeta): LuaValue {
  const t = new Map<LuaValue, LuaValue>([
    [text("id"), text(m.id)],
    [text("session"), text(m.session)],
    [text("name"), text(m.name)],
    [text("tags"), m.tags.map(text)],
    [text("sha256"), text(m.sha256)],
    [text("size"), BigInt(m.size)],
    [text("created"), text(m.created)],
  ]);
  if (m.kind !== null) t.set(text("kind"), text(m.kind));
  if (m.mime_type !== null) t.set(text("mime_type"), text(m.mime_type));
  return t;
}

function fields(fn: string, v: LuaValue): Map<string, LuaValue> {
  const out = new Map<string, LuaValue>();
  if (v === null || (Array.isArray(v) && v.length === 0)) return out;
  if (!(v instanceof Map)) throw new HostError(`${fn}: expected a table of named options`);
  for (const [k, value] of v) if (k instanceof Uint8Array) out.set(decoder.decode(k), value);
  return out;
}

function str(fn: string, name: string, v: LuaValue | undefined): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (!(v instanceof Uint8Array)) {
    throw new HostError(`${fn}: ${name} must be a string, got ${luaType(v)}`);
  }
  return decoder.decode(v);
}

function tags(fn: string, v: LuaValue | undefined): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (v instanceof Uint8Array) return [decoder.decode(v)];
  if (v instanceof Map && v.size === 0) return [];
  if (!Array.isArray(v) || v.some((t) => !(t instanceof Uint8Array))) {
    throw new HostError(`${fn}: tags must be a list of strings`);
  }
  return v.map((t) => decoder.decode(t as Uint8Array));
}

function required(fn: string, name: string, v: LuaValue): string {
  const s = str(fn, name, v);
  if (s === undefined || s === "") throw new HostError(`${fn}: ${name} must be a non-empty string`);
  return s;
}

/** The session artifacts link to: the engine's, which must be recorded. */
function session(fn: string, ctx: HostContext): string {
  if (!ctx.recording()) {
    throw new HostError(`${fn}: artifacts belong to a session; [sessions] enabled is false`);
  }
  return ctx.sessionId;
}

async function keep(
  fn: string,
  ctx: HostContext,
  name: string,
  content: Uint8Array,
  meta: Map<string, LuaValue>,
): Promise<Uint8Array> {
  if (content.length > ctx.maxArtifactBytes) {
    throw new HostError(
      `${fn}: the content is ${content.length} bytes, more than the limit of ${ctx.maxArtifactBytes} ([sessions] max_artifact_bytes)`,
    );
  }
  const id = session(fn, ctx);
  const row = await ctx.store().artifacts.store(id, name, content, {
    kind: str(fn, "kind", meta.get("kind")),
    mime_type: str(fn, "mime_type", meta.get("mime_type")),
    tags: tags(fn, meta.get("tags")),
  });
  return results(text(row.id));
}

async function store(args: EncodedValues, ctx: HostContext): Promise<Uint8Array> {
  const fn = "Artifact.store";
  const name = required(fn, "name", args.value(0));
  const content = args.value(1);
  if (!(content instanceof Uint8Array)) {
    throw new HostError(`${fn}: content must be a string, got ${luaType(content)}`);
  }
  return await keep(fn, ctx, name, content, fields(fn, args.value(2)));
}

async function storeFile(args: EncodedValues, ctx: HostContext): Promise<Uint8Array> {
  const fn = "Artifact.store_file";
  const file = required(fn, "path", args.value(0));
  const meta = fields(fn, args.value(1));
  const { PathPolicy } = await import("../engine/shared/path_policy.ts");
  const policy = new PathPolicy({
    cwd: ctx.security.cwd,
    securityLevel: ctx.security.level,
    allowedPaths: ctx.security.allowedPaths,
    scriptDir: ctx.security.scriptDir,
  });
  let abs: string;
  try {
    abs = policy.check(file);
  } catch (e) {
    throw new HostError(`${fn}: ${e instanceof Error ? e.message : String(e)}`);
  }
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(abs);
  } catch (e) {
    throw new HostError(`${fn}: cannot read ${file}: ${e instanceof Error ? e.message : e}`);
  }
  if (!info.isFile) throw new HostError(`${fn}: ${file} is not a file`);
  if (info.size > ctx.maxArtifactBytes) {
    throw new HostError(
      `${fn}: ${file} is ${info.size} bytes, more than the limit of ${ctx.maxArtifactBytes} ([sessions] max_artifact_bytes)`,
    );
  }
  const name = str(fn, "name", meta.get("name")) ?? basename(abs);
  return await keep(fn, ctx, name, await Deno.readFile(abs), meta);
}

async function get(args: EncodedValues, ctx: HostContext): Promise<Uint8Array> {
  const fn = "Artifact.get";
  const id = required(fn, "id", args.value(0));
  const store = ctx.store();
  const meta = store.artifacts.get(id);
  if (!meta) return results(null);
  const content = await store.artifacts.content(meta);
  if (content === undefined) throw new HostError(`${fn}: the content of '${id}' is missing`);
  return results(
    new Map<LuaValue, LuaValue>([[text("content"), content], [text("metadata"), metaTable(meta)]]),
  );
}

function list(args: EncodedValues, ctx: HostContext): Uint8Array {
  const fn = "Artifact.list";
  const f = fields(fn, args.value(0));
  const limit = f.get("limit");
  if (limit !== undefined && limit !== null && (typeof limit !== "bigint" || limit < 1n)) {
    throw new HostError(`${fn}: limit must be a positive integer`);
  }
  const rows = ctx.store().artifacts.list({
    session: str(fn, "session", f.get("session")),
    kind: str(fn, "kind", f.get("kind")),
    name: str(fn, "name", f.get("name")),
    tags: tags(fn, f.get("tags")),
    limit: typeof limit === "bigint" ? Number(limit) : undefined,
  });
  return results(rows.map(metaTable));
}

export const ARTIFACT_API: ApiModule = {
  global: "Artifact",
  lua: String.raw`
local call, Artifact = ...
local error = error
local function check(ok, ...)
  if ok then return ... end
  error((...), 2)
end
function Artifact.store(name, content, meta) return check(call("artifact.store", name, content, meta)) end
function Artifact.store_file(path, meta) return check(call("artifact.store_file", path, meta)) end
function Artifact.get(id) return check(call("artifact.get", id)) end
function Artifact.list(opts) return check(call("artifact.list", opts)) end
function Artifact.delete(id) return check(call("artifact.delete", id)) end
`,
  host: {
    "artifact.store": store,
    "artifact.store_file": storeFile,
    "artifact.get": get,
    "artifact.list": list,
    "artifact.delete": (args, ctx) =>
      results(ctx.store().artifacts.delete(required("Artifact.delete", "id", args.value(0)))),
  },
};
