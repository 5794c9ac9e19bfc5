/**
 * `http_request`: one HTTP request with fetch. `[tools.http_request] allowed_hosts` (when
 * set, only these) and `blocked_hosts` (never these) bound where; a host entry matches the
 * host and its subdomains. An interrupt aborts the request.
 *
 * @module
 */
import { type Json, type JsonObject, type ToolContext, ToolError } from "./types.ts";

const MAX_BODY = 1 << 20;

function hostList(v: unknown): string[] | undefined {
  return Array.isArray(v) ? v.map((x) => String(x).toLowerCase()) : undefined;
}

function matches(host: string, entry: string): boolean {
  return host === entry || host.endsWith("." + entry);
}

export async function run(params: JsonObject, ctx: ToolContext): Promise<JsonObject> {
  let url: URL;
  try {
    url = new URL(String(params.url));
  } catch {
    throw new ToolError(`http_request: '${params.url}' is not a URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ToolError(`http_request: only http and https URLs, not ${url.protocol}`);
  }
  const host = url.hostname.toLowerCase();
  const allowed = hostList(ctx.settings.allowed_hosts);
  const blocked = hostList(ctx.settings.blocked_hosts) ?? [];
  if (
    blocked.some((b) => matches(host, b)) || (allowed && !allowed.some((a) => matches(host, a)))
  ) {
    throw new ToolError(
      `http_request: ${host} is not allowed ([tools.http_request] allowed_hosts / blocked_hosts)`,
    );
  }
  const headers = new Headers((params.headers ?? {}) as Record<string, string>);
  let body: string | undefined;
  if (typeof params.body === "string") body = params.body;
  else if (params.body !== undefined && params.body !== null) {
    body = JSON.stringify(params.body);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
  }
  const timeout = AbortSignal.timeout(Number(params.timeout_ms ?? 30_000));
  let res: Response;
  try {
    res = await fetch(url, {
      method: String(params.method ?? "GET"),
      headers,
      body,
      signal: AbortSignal.any([ctx.signal, timeout]),
    });
  } catch (e) {
    throw new ToolError(`http_request: ${url.origin}: ${e instanceof Error ? e.message : e}`);
  }
  const text = await res.text();
  let json: Json = null;
  if ((res.headers.get("content-type") ?? "").includes("json")) {
    try {
      json = JSON.parse(text);
    } catch { /* left as text */ }
  }
  return {
    status: res.status,
    headers: Object.fromEntries(res.headers),
    body: text.length > MAX_BODY ? text.slice(0, MAX_BODY) : text,
    json,
  };
}
