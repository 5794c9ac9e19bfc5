/** Endpoint strings: `tcp://HOST:PORT` and `ipc://PATH`, as libzmq spells them. */

import { LlmspellError } from "../../errors.ts";

/** A parsed endpoint. `port` 0 asks the OS for a free port (libzmq spells it `*`). */
export type Endpoint =
  | { transport: "tcp"; host: string; port: number }
  | { transport: "ipc"; path: string };

function bad(endpoint: string, why: string): LlmspellError {
  return new LlmspellError({
    code: "zmtp_endpoint",
    message: `invalid ZeroMQ endpoint "${endpoint}": ${why}`,
    hint: "use tcp://HOST:PORT (HOST may be *, an IPv4 address, [IPv6] or a name) or ipc://PATH",
  });
}

/**
 * Parses an endpoint. For binding, host `*` means every IPv4 interface (libzmq's default
 * without ZMQ_IPV6); port `*` or 0 means any free port.
 */
export function parseEndpoint(endpoint: string): Endpoint {
  const m = /^([a-z]+):\/\/(.*)$/.exec(endpoint);
  if (!m) throw bad(endpoint, "missing transport");
  const [, transport, rest] = m;
  if (transport === "ipc") {
    if (rest.length === 0) throw bad(endpoint, "empty path");
    if (rest.startsWith("@")) throw bad(endpoint, "abstract sockets are not supported");
    return { transport: "ipc", path: rest };
  }
  if (transport !== "tcp") throw bad(endpoint, `unsupported transport "${transport}"`);
  const colon = rest.lastIndexOf(":");
  if (colon < 0) throw bad(endpoint, "missing port");
  let host = rest.slice(0, colon);
  const portText = rest.slice(colon + 1);
  if (host.startsWith("[")) {
    if (!host.endsWith("]")) throw bad(endpoint, "unterminated [IPv6] address");
    host = host.slice(1, -1);
  } else if (host.includes(":")) {
    throw bad(endpoint, "IPv6 addresses must be written in brackets");
  }
  if (host.length === 0) throw bad(endpoint, "empty host");
  if (host === "*") host = "0.0.0.0";
  let port: number;
  if (portText === "*" || portText === "0") {
    port = 0;
  } else if (/^[0-9]{1,5}$/.test(portText) && Number(portText) <= 65535) {
    port = Number(portText);
  } else {
    throw bad(endpoint, `bad port "${portText}"`);
  }
  return { transport: "tcp", host, port };
}

/** Formats an endpoint back to its string form (IPv6 hosts bracketed). */
export function formatEndpoint(ep: Endpoint): string {
  if (ep.transport === "ipc") return `ipc://${ep.path}`;
  const host = ep.host.includes(":") ? `[${ep.host}]` : ep.host;
  return `tcp://${host}:${ep.port}`;
}
