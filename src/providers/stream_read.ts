/**
 * Reading a streamed answer: the SSE events of an open request as parsed JSON, with a broken
 * or aborted stream turned into the ProviderError that says why.
 *
 * @module
 */
import type { OpenRequest } from "./http.ts";
import { sseEvents } from "./sse.ts";
import { type Json, ProviderError, type ResolvedProvider } from "./types.ts";

/** Yields each event's name and data (`[DONE]` ends the stream). */
export async function* streamEvents(
  p: ResolvedProvider,
  open: OpenRequest,
): AsyncGenerator<{ event: string; data: Json }> {
  const body = open.response.body;
  if (!body) throw new ProviderError("invalid_response", `${p.name}: a stream with no body`);
  try {
    for await (const e of sseEvents(body, open.alive)) {
      if (e.data === "[DONE]") return;
      let data: Json;
      try {
        data = JSON.parse(e.data);
      } catch {
        throw new ProviderError(
          "invalid_response",
          `${p.name}: a stream event is not JSON: ${e.data.slice(0, 80)}`,
        );
      }
      yield { event: e.event, data };
    }
  } catch (e) {
    if (e instanceof ProviderError) throw e;
    throw open.aborted() ??
      new ProviderError("provider_unavailable", `${p.name}: the stream broke off: ${e}`);
  } finally {
    open.done();
    // Ends the HTTP request when the caller stops early (an error, a cancel).
    await body.cancel().catch(() => {});
  }
}

/** Parses a tool call's arguments (a JSON text) into an object. */
export function parseArguments(p: ResolvedProvider, name: string, text: string) {
  if (text.trim() === "") return {};
  try {
    const v = JSON.parse(text);
    if (v !== null && typeof v === "object" && !Array.isArray(v)) return v;
  } catch {
    // reported below
  }
  throw new ProviderError(
    "invalid_response",
    `${p.name}: the arguments of tool call '${name}' are not a JSON object: ${text.slice(0, 80)}`,
  );
}

/** The answer as data when a schema was asked for. */
export function parseData(p: ResolvedProvider, text: string): Json {
  try {
    return JSON.parse(text);
  } catch {
    throw new ProviderError(
      "invalid_response",
      `${p.name}: a structured answer was asked for and the answer is not JSON: ${
        text.slice(0, 80)
      }`,
    );
  }
}
