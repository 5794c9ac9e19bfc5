/**
 * ZeroMQ sockets speaking ZMTP 3.1 (RFC 37, NULL mechanism; ZMTP 3.0 peers accepted) over
 * Deno TCP and Unix sockets. Pure TypeScript: no native addon.
 *
 * ```ts
 * const s = new RouterSocket();
 * const { endpoint } = await s.bind("tcp://127.0.0.1:0");
 * for await (const [id, ...frames] of s) await s.send([id, ...frames]);
 * ```
 *
 * @module
 */

export { ByteBudget } from "./budget.ts";
export type { Connection } from "./connection.ts";
export { type Endpoint, formatEndpoint, parseEndpoint } from "./endpoint.ts";
export type {
  BoundEndpoint,
  Frame,
  Incoming,
  PeerEvent,
  PeerInfo,
  SocketOptions,
} from "./socket_api.ts";
export { ZmtpSocket } from "./socket.ts";
export {
  DealerSocket,
  type PubOptions,
  PubSocket,
  RepSocket,
  ReqSocket,
  RouterSocket,
  SubSocket,
} from "./sockets.ts";
export type { SocketType } from "./wire.ts";
