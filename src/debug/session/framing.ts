/**
 * The Debug Adapter Protocol's base protocol: each message is a `Content-Length: N` header,
 * an empty line, then N bytes of UTF-8 JSON. Used by `llmspell dap` over stdio and TCP.
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const HEADER_END = encoder.encode("\r\n\r\n");

/** One framed message. */
export function frame(message: unknown): Uint8Array {
  const body = encoder.encode(JSON.stringify(message));
  const head = encoder.encode(`Content-Length: ${body.length}\r\n\r\n`);
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

function indexOf(buf: Uint8Array, needle: Uint8Array, from: number): number {
  outer: for (let i = from; i <= buf.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (buf[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/**
 * The messages of a byte stream, parsed. A message that is not JSON yields an Error (the
 * adapter answers it); a header without Content-Length ends the stream with one.
 */
export async function* readMessages(
  stream: ReadableStream<Uint8Array>,
): AsyncGenerator<unknown> {
  let buf = new Uint8Array(0);
  for await (const chunk of stream) {
    const next = new Uint8Array(buf.length + chunk.length);
    next.set(buf);
    next.set(chunk, buf.length);
    buf = next;
    for (;;) {
      const end = indexOf(buf, HEADER_END, 0);
      if (end < 0) break;
      const header = decoder.decode(buf.subarray(0, end));
      const m = /content-length:\s*(\d+)/i.exec(header);
      if (!m) {
        yield new Error(`a DAP header without Content-Length: ${JSON.stringify(header)}`);
        return;
      }
      const len = Number(m[1]);
      const start = end + HEADER_END.length;
      if (buf.length < start + len) break;
      const text = decoder.decode(buf.subarray(start, start + len));
      buf = buf.slice(start + len);
      try {
        yield JSON.parse(text);
      } catch (e) {
        yield new Error(`a DAP message that is not JSON: ${(e as Error).message}`);
      }
    }
  }
}
