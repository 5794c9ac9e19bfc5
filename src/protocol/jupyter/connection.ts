/**
 * Jupyter connection files: the five ports (or ipc paths), the address, the HMAC key.
 * Files we write are mode 0600 and carry a fresh 256-bit key.
 */
import { dirname } from "../../path.ts";
import { LlmspellError } from "../../errors.ts";

export const CHANNELS = ["shell", "iopub", "stdin", "control", "hb"] as const;
export type ChannelName = typeof CHANNELS[number];

export interface ConnectionInfo {
  transport: "tcp" | "ipc";
  ip: string;
  shell_port: number;
  iopub_port: number;
  stdin_port: number;
  control_port: number;
  hb_port: number;
  key: string;
  signature_scheme: string;
  kernel_name?: string;
}

/** `tcp://ip:port`, or `ipc://ip-port` as jupyter_client names ipc endpoints. */
export function endpointOf(info: ConnectionInfo, channel: ChannelName): string {
  const port = info[`${channel}_port`];
  if (info.transport === "ipc") return `ipc://${info.ip}-${port}`;
  const host = info.ip.includes(":") ? `[${info.ip}]` : info.ip;
  return `tcp://${host}:${port}`;
}

function bad(path: string, why: string): LlmspellError {
  return new LlmspellError({
    code: "connection_file_invalid",
    message: `${path} is not a usable connection file: ${why}`,
    hint: "use the file the kernel wrote (llmspell kernel status shows it)",
  });
}

/** Reads and checks a connection file. */
export async function readConnectionFile(path: string): Promise<ConnectionInfo> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new LlmspellError({
      code: "connection_file_missing",
      message: `cannot read connection file ${path}: ${e instanceof Error ? e.message : e}`,
      hint: "check the path, or list running kernels with `llmspell kernel status`",
    });
  }
  return parseConnectionInfo(text, path);
}

export function parseConnectionInfo(text: string, path = "connection file"): ConnectionInfo {
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw bad(path, `not JSON (${e instanceof Error ? e.message : e})`);
  }
  if (typeof v !== "object" || v === null) throw bad(path, "not a JSON object");
  const transport = v.transport ?? "tcp";
  if (transport !== "tcp" && transport !== "ipc") throw bad(path, `unknown transport ${transport}`);
  const info: ConnectionInfo = {
    transport,
    ip: typeof v.ip === "string" ? v.ip : "127.0.0.1",
    shell_port: 0,
    iopub_port: 0,
    stdin_port: 0,
    control_port: 0,
    hb_port: 0,
    key: typeof v.key === "string" ? v.key : "",
    signature_scheme: typeof v.signature_scheme === "string" ? v.signature_scheme : "hmac-sha256",
  };
  if (typeof v.kernel_name === "string") info.kernel_name = v.kernel_name;
  for (const ch of CHANNELS) {
    const p = v[`${ch}_port`];
    if (p === undefined) continue;
    if (typeof p !== "number" || !Number.isInteger(p) || p < 0 || p > 65535) {
      throw bad(path, `${ch}_port is not a port number`);
    }
    info[`${ch}_port`] = p;
  }
  return info;
}

/** Writes the file with mode 0600 (created so; never world-readable, even briefly). */
export async function writeConnectionFile(
  path: string,
  info: ConnectionInfo | Record<string, unknown>,
): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  await Deno.writeTextFile(tmp, JSON.stringify(info, null, 2) + "\n", { mode: 0o600 });
  await Deno.chmod(tmp, 0o600);
  await Deno.rename(tmp, path);
}

/**
 * A supplied connection file with ports 0 asks the kernel to pick them (as ipykernel does):
 * writes the bound ports back, keeping every other field of the file as it was.
 */
export async function writeBackPorts(path: string, bound: ConnectionInfo): Promise<void> {
  const fields = JSON.parse(await Deno.readTextFile(path)) as Record<string, unknown>;
  for (const ch of CHANNELS) fields[`${ch}_port`] = bound[`${ch}_port`];
  await writeConnectionFile(path, fields);
}

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

export function isLoopback(ip: string): boolean {
  return LOOPBACK.has(ip) || ip.startsWith("127.");
}

/**
 * What a user must be told about a kernel's connection: an address other machines reach,
 * an empty key (unsigned messages). The kernel says it on its terminal and in its log;
 * `kernel start --daemon` says it on the terminal it returns to.
 */
export function connectionWarnings(info: ConnectionInfo): string[] {
  const out = [];
  if (info.transport === "tcp" && !isLoopback(info.ip)) {
    out.push(
      `kernel binds ${info.ip}: reachable from the network; messages are ${
        info.key ? "signed but not encrypted" : "neither signed nor encrypted"
      }`,
    );
  }
  if (info.key === "") {
    out.push(
      "the connection file has an empty key (--insecure): messages are not signed, so " +
        "anyone who can reach the ports can run code as you",
    );
  }
  return out;
}
