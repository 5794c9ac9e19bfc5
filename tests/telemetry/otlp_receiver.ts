/**
 * A small OTLP/HTTP receiver (JSON encoding) on 127.0.0.1, as a collector would run: it
 * accepts `POST /v1/traces` (and answers logs and metrics, which Deno also sends) and keeps
 * every span with its attributes decoded.
 */

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  status: { code?: number; message?: string };
  attributes: Record<string, unknown>;
  service: string;
  /** Start and end, in milliseconds since the epoch. */
  start: number;
  end: number;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values?: OtlpValue[] };
}

function decode(v: OtlpValue): unknown {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(decode);
  return undefined;
}

function attributes(list: { key: string; value: OtlpValue }[] = []): Record<string, unknown> {
  return Object.fromEntries(list.map((a) => [a.key, decode(a.value)]));
}

export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  /** Paths of every request, to show that nothing came when telemetry is off. */
  readonly paths: string[] = [];
  readonly #server: Deno.HttpServer<Deno.NetAddr>;
  #waiters: (() => void)[] = [];

  constructor() {
    this.#server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      async (req) => {
        const path = new URL(req.url).pathname;
        this.paths.push(path);
        const body = await req.json().catch(() => ({}));
        if (path === "/v1/traces") {
          for (const rs of body.resourceSpans ?? []) {
            const service = String(attributes(rs.resource?.attributes)["service.name"] ?? "");
            for (const ss of rs.scopeSpans ?? []) {
              for (const s of ss.spans ?? []) {
                this.spans.push({
                  traceId: s.traceId,
                  spanId: s.spanId,
                  parentSpanId: s.parentSpanId ?? "",
                  name: s.name,
                  kind: s.kind,
                  status: s.status ?? {},
                  attributes: attributes(s.attributes),
                  service,
                  start: Number(BigInt(s.startTimeUnixNano) / 1000n) / 1000,
                  end: Number(BigInt(s.endTimeUnixNano) / 1000n) / 1000,
                });
              }
            }
          }
          for (const w of this.#waiters.splice(0)) w();
        }
        return new Response("{}", { headers: { "content-type": "application/json" } });
      },
    );
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.#server.addr.port}`;
  }

  /** The variables that turn Deno's exporter on and send its spans here, as OTLP/HTTP JSON. */
  get env(): Record<string, string> {
    return {
      OTEL_DENO: "true",
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      OTEL_EXPORTER_OTLP_ENDPOINT: this.endpoint,
    };
  }

  /**
   * Waits until a span named `name` has come (Deno exports in batches, the last when the
   * process exits).
   */
  async waitForSpan(name: string): Promise<void> {
    await this.waitFor(
      (spans) => spans.some((s) => s.name === name),
      () => `no span ${name}; got ${this.spans.map((s) => s.name).join(", ")}`,
    );
  }

  /**
   * Waits until `done` holds of the spans received so far, checked at each request. The 30 s
   * limit is a safety net that turns a hang into a failure.
   */
  async waitFor(done: (spans: ReceivedSpan[]) => boolean, why: () => string): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (!done(this.spans)) {
      if (Date.now() > deadline) throw new Error(why());
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        new Promise<void>((r) => this.#waiters.push(r)),
        new Promise<void>((r) => timer = setTimeout(r, 1000)),
      ]);
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await this.#server.shutdown();
  }
}
