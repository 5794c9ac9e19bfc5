/**
 * One HTTP request to a provider, with what every provider needs: a time limit (on the
 * answer's headers and then between body chunks, so that a long stream is not cut while
 * tokens arrive), cancellation (the caller's signal aborts the request at once), retries with
 * exponential backoff and full jitter on 429, 5xx and network errors, honouring Retry-After
 * (seconds or a date) and retry-after-ms, and a concurrency limit per provider. Failures are
 * ProviderErrors with a code; the API key is never part of a message.
 *
 * @module
 */
import { ProviderError, type ResolvedProvider } from "./types.ts";
import { enabled, log } from "../telemetry/log.ts";

/** First backoff delay; doubled at each retry, with full jitter. */
const BASE_DELAY_MS = 500;
const MAX_DELAY_MS = 30_000;
/** The longest Retry-After honoured; a server asking for more gets its 429 reported. */
const MAX_RETRY_AFTER_MS = 60_000;

/** A request in progress: its response, and a way to keep the idle timer alive. */
export interface OpenRequest {
  response: Response;
  /** Call when a body chunk arrives: restarts the time limit. */
  alive(): void;
  /** Call when done with the body: stops the timer. */
  done(): void;
  /** Why the request was aborted, when it was. */
  aborted(): ProviderError | undefined;
}

class Semaphore {
  #free: number;
  readonly #waiting: (() => void)[] = [];
  constructor(n: number) {
    this.#free = n;
  }
  async acquire(signal: AbortSignal): Promise<void> {
    if (this.#free > 0) {
      this.#free--;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const go = () => {
        signal.removeEventListener("abort", stop);
        resolve();
      };
      const stop = () => {
        this.#waiting.splice(this.#waiting.indexOf(go), 1);
        reject(new ProviderError("cancelled", "the call was cancelled"));
      };
      signal.addEventListener("abort", stop, { once: true });
      this.#waiting.push(go);
    });
  }
  release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#free++;
  }
}

const limits = new Map<string, Semaphore>();

function limiter(p: ResolvedProvider): Semaphore {
  const key = `${p.name} ${p.maxConcurrency}`;
  let s = limits.get(key);
  if (!s) limits.set(key, s = new Semaphore(p.maxConcurrency));
  return s;
}

/** Milliseconds a 429/503 asks to wait, or undefined. */
export function retryAfterMs(headers: Headers, now = Date.now()): number | undefined {
  const ms = headers.get("retry-after-ms");
  if (ms !== null && /^\d+(\.\d+)?$/.test(ms.trim())) return Number(ms);
  const v = headers.get("retry-after");
  if (v === null) return undefined;
  if (/^\d+(\.\d+)?$/.test(v.trim())) return Number(v) * 1000;
  const date = Date.parse(v);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function backoff(attempt: number): number {
  return Math.random() * Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** attempt);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const stop = () => {
      clearTimeout(timer);
      reject(new ProviderError("cancelled", "the call was cancelled"));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", stop);
      resolve();
    }, ms);
    signal.addEventListener("abort", stop, { once: true });
  });
}

/** The message of an error body (`{error: {message}}` in both APIs), short. */
async function errorText(res: Response): Promise<string> {
  let text = "";
  try {
    text = await res.text();
    const body = JSON.parse(text);
    const m = body?.error?.message ?? body?.message;
    if (typeof m === "string") text = m;
  } catch {
    // not JSON: the text as it is
  }
  text = text.replace(/\s+/g, " ").trim();
  return text.length > 300 ? text.slice(0, 300) + "…" : text;
}

function statusError(p: ResolvedProvider, res: Response, text: string): ProviderError {
  const s = res.status;
  const what = `${p.name}: HTTP ${s}${text ? `: ${text}` : ""}`;
  if (s === 401 || s === 403) return new ProviderError("auth", what, s);
  if (s === 429) return new ProviderError("rate_limited", what, s);
  if (s >= 500) return new ProviderError("provider_unavailable", what, s);
  return new ProviderError("bad_request", what, s);
}

/**
 * POSTs `body` (JSON) to `url` and returns the open response (status 2xx). The caller reads
 * the body, calling `alive()` per chunk and `done()` at the end.
 */
export async function postJson(
  p: ResolvedProvider,
  url: string,
  headers: Record<string, string>,
  body: unknown,
  signal: AbortSignal,
): Promise<OpenRequest> {
  const payload = JSON.stringify(body);
  const sem = limiter(p);
  await sem.acquire(signal);
  let released = false;
  const release = () => {
    if (!released) sem.release();
    released = true;
  };
  try {
    for (let attempt = 0;; attempt++) {
      const controller = new AbortController();
      let reason: ProviderError | undefined;
      const abort = (why: ProviderError) => {
        reason ??= why;
        controller.abort();
      };
      const onCancel = () => abort(new ProviderError("cancelled", "the call was cancelled"));
      if (signal.aborted) onCancel();
      signal.addEventListener("abort", onCancel, { once: true });
      let timer: ReturnType<typeof setTimeout> | undefined;
      const arm = () => {
        if (p.timeoutMs <= 0) return;
        clearTimeout(timer);
        timer = setTimeout(
          () =>
            abort(new ProviderError("timeout", `${p.name}: no answer within ${p.timeoutMs} ms`)),
          p.timeoutMs,
        );
      };
      const finish = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", onCancel);
        release();
      };
      arm();
      // The URL and the body, never the headers (they carry the key).
      log.debug(`llm: ${p.name}: POST ${url} (attempt ${attempt + 1}, ${payload.length} bytes)`);
      if (enabled("trace")) log.trace(`llm: ${p.name}: request ${payload}`);
      const sent = performance.now();
      let res: Response;
      try {
        res = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json", ...headers },
          body: payload,
          signal: controller.signal,
        });
      } catch (e) {
        clearTimeout(timer);
        signal.removeEventListener("abort", onCancel);
        if (reason) throw reason;
        if (attempt < p.maxRetries) {
          await sleep(backoff(attempt), signal);
          continue;
        }
        const why = e instanceof Error ? e.message : String(e);
        throw new ProviderError(
          "provider_unavailable",
          `${p.name}: cannot reach ${new URL(url).origin}: ${why}`,
        );
      }
      log.debug(
        `llm: ${p.name}: HTTP ${res.status} after ${Math.round(performance.now() - sent)} ms`,
      );
      if (res.ok) {
        return { response: res, alive: arm, done: finish, aborted: () => reason };
      }
      const wait = retryAfterMs(res.headers);
      const text = await errorText(res);
      clearTimeout(timer);
      signal.removeEventListener("abort", onCancel);
      const err = statusError(p, res, text);
      const retryable = res.status === 429 || res.status >= 500;
      if (!retryable || attempt >= p.maxRetries) throw err;
      if (wait !== undefined && wait > MAX_RETRY_AFTER_MS) throw err;
      await sleep(wait ?? backoff(attempt), signal);
    }
  } catch (e) {
    release();
    throw e;
  }
}

/** Reads a whole JSON body of an open request. */
export async function readJson(p: ResolvedProvider, open: OpenRequest): Promise<unknown> {
  let text: string;
  try {
    text = await open.response.text();
  } catch (e) {
    throw open.aborted() ??
      new ProviderError("provider_unavailable", `${p.name}: the answer broke off: ${e}`);
  } finally {
    open.done();
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new ProviderError(
      "invalid_response",
      `${p.name}: the answer is not JSON: ${text.slice(0, 80)}`,
    );
  }
}
