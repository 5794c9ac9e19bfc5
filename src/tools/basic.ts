/**
 * Small tools on the platform's own libraries: `hash_calculator` (node:crypto),
 * `uuid_generator` (npm:uuid), `base64_encoder` (node:buffer), `environment_reader`.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { Buffer } from "node:buffer";
import { v4, v5, v7 } from "uuid";
import { type JsonObject, ToolError } from "./types.ts";
import type { ToolContext } from "./types.ts";

export function hash(params: JsonObject): JsonObject {
  const algorithm = String(params.algorithm ?? "sha256");
  const encoding = params.encoding === "base64" ? "base64" : "hex";
  const digest = createHash(algorithm).update(String(params.input), "utf8").digest(encoding);
  return { algorithm, encoding, hash: digest };
}

const NAMESPACES: Record<string, string> = { dns: v5.DNS, url: v5.URL };

export function uuid(params: JsonObject): JsonObject {
  const version = Number(params.version ?? 4);
  const count = Number(params.count ?? 1);
  const make = (): string => {
    if (version === 7) return v7();
    if (version === 5) {
      if (typeof params.name !== "string") {
        throw new ToolError("uuid_generator: version 5 needs a name");
      }
      const ns = String(params.namespace ?? "url");
      return v5(params.name, NAMESPACES[ns] ?? ns);
    }
    return v4();
  };
  const ids = Array.from({ length: count }, make);
  return count === 1 ? { uuid: ids[0], version } : { uuids: ids, version };
}

export function base64(params: JsonObject): JsonObject {
  const input = String(params.input);
  const urlSafe = params.url_safe === true;
  if (params.operation === "encode") {
    return { result: Buffer.from(input, "utf8").toString(urlSafe ? "base64url" : "base64") };
  }
  const clean = input.replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(clean)) {
    throw new ToolError("base64_encoder: the input is not base64");
  }
  return { result: Buffer.from(clean, urlSafe ? "base64url" : "base64").toString("utf8") };
}

/** Names that hold secrets: never given to a script or a model. */
const SECRET = /(KEY|TOKEN|SECRET|PASSW|CREDENTIAL|PRIVATE|AUTH)/i;

export function environment(params: JsonObject, ctx: ToolContext): JsonObject {
  if (typeof params.name === "string") {
    if (SECRET.test(params.name)) {
      throw new ToolError(
        `environment_reader: '${params.name}' looks like a secret and is withheld`,
      );
    }
    return { name: params.name, value: ctx.env(params.name) ?? null };
  }
  const prefix = typeof params.prefix === "string" ? params.prefix : "";
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(Deno.env.toObject()).sort()) {
    if (k.startsWith(prefix) && !SECRET.test(k)) out[k] = v;
  }
  return { variables: out };
}
