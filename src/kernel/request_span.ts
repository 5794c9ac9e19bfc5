/** What a kernel request's span says of it (src/telemetry/tracing.ts). */
import type { Attributes } from "../telemetry/tracing.ts";
import type { ClientRequest } from "./request.ts";

export function requestAttributes(req: ClientRequest): Attributes {
  const h = req.message.header;
  return {
    "rpc.system": "jupyter",
    "rpc.method": h.msg_type,
    "jupyter.channel": req.channel,
    "jupyter.session": h.session,
    "jupyter.msg_id": h.msg_id,
  };
}
