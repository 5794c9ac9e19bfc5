/**
 * Replaying a recorded session (`llmspell session replay`): its executions run again on a
 * fresh engine whose host calls that reached outside Lua (the recorded ones) are answered
 * from the record, in order, so the run needs no network and gives the same answers. The
 * other host calls (reads) go to a scratch in-memory database. `live` calls the real
 * services instead and reports where their answers differ from the record.
 *
 * A step is a record's sequence number, as `session show` prints it. A replay finds every
 * divergence: the run goes on past each (see ReplayFunctions).
 *
 * @module
 */
import type { EngineOptions } from "../engine/shared/protocol.ts";
import type { CallMeta, ExecutionReport, HostDispatcher } from "../engine/host/host_link.ts";
import { EncodedValues, type LuaValue } from "../engine/shared/host_values.ts";
import type { SessionRecord } from "../store/sessions.ts";
import { HostError, type HostResult, plainResult, results } from "./api.ts";
import { HostFunctions, RECORDED } from "./host_functions.ts";
import { valueFromJson } from "./value_text.ts";
import {
  ANSWERED_FROM_RECORD,
  answerOf,
  type Call,
  callDifference,
  compact,
  ReplayStreams,
  resultDifference,
  STREAM_METHODS,
} from "./replay_llm.ts";

export interface Divergence {
  /** The recorded step where the run differs (the step after the last, for an extra call). */
  step: number;
  kind: "call" | "result" | "output";
  expected: string;
  actual: string;
}

function field(m: LuaValue, name: string): LuaValue {
  if (!(m instanceof Map)) return null;
  for (const [k, v] of m) {
    if (k instanceof Uint8Array && new TextDecoder().decode(k) === name) return v;
  }
  return null;
}

/** A list of values; an empty one was written as `{}`. */
const list = (v: LuaValue): LuaValue[] => Array.isArray(v) ? v : [];
const show = (c: Call) => `${c.method}(${c.args.map(compact).join(", ")})`;

/** A recorded host call, its values exact (integers and floats distinct). */
export function recordedCall(r: SessionRecord): Call {
  const v = valueFromJson(r.data);
  const method = field(v, "method");
  const error = field(v, "error");
  const branch = field(v, "branch");
  return {
    seq: r.seq,
    method: method instanceof Uint8Array ? new TextDecoder().decode(method) : "",
    args: list(field(v, "args")),
    results: list(field(v, "results")),
    ...(error instanceof Uint8Array ? { error: new TextDecoder().decode(error) } : {}),
    ...(branch instanceof Uint8Array ? { branch: new TextDecoder().decode(branch) } : {}),
  };
}

/**
 * The host functions of a replay: recorded calls answered from the record, in order.
 *
 * A run that departs from the record goes on, so that every divergence is found, not only
 * the first: a call with the same method but other arguments takes the recorded call's
 * place; a call the record has later in the same execution skips the ones before it (each
 * a divergence, "no call"); any other call is one the record does not have. A call that
 * does not match is served as it is now (without --live, by the scratch database), since
 * the recorded answer belongs to another call; but a model call or a built-in tool's call
 * that does not match fails (without --live): the record cannot answer it and a replay
 * sends nothing.
 */
export class ReplayFunctions implements HostDispatcher {
  readonly #inner: HostFunctions;
  readonly #calls: Call[];
  readonly #live: boolean;
  readonly #end: number;
  readonly #streams: ReplayStreams;
  #next = 0;
  /** Recorded calls at or after #next already matched by a concurrent call. */
  readonly #taken = new Set<number>();
  /** The step of the execution running: its calls are the recorded ones before it. */
  #execution = Infinity;
  readonly divergences: Divergence[] = [];

  constructor(
    options: EngineOptions,
    sessionId: string,
    calls: Call[],
    opts: { live: boolean; endStep: number },
  ) {
    // Not recorded as a session of its own; without --live, on a scratch database.
    this.#inner = new HostFunctions({
      ...options,
      recordSessions: false,
      state: opts.live ? options.state : { enabled: false, maxValueBytes: 1 << 30 },
    }, sessionId);
    this.#calls = calls;
    this.#live = opts.live;
    this.#end = opts.endStep;
    this.#streams = new ReplayStreams({
      match: (method, args, concurrent, branch) => this.#match(method, args, concurrent, branch),
      differs: (step, expected, actual) =>
        this.divergences.push({ step, kind: "result", expected, actual }),
      live: opts.live,
      inner: (method, args) => plainResult(this.#inner.dispatch(method, args)),
    });
  }

  /** The execution recorded at `step` starts: the calls it made are recorded before it. */
  beginExecution(step: number): void {
    this.#execution = step;
  }

  /** The recorded call at `i`, if the running execution made it. */
  #recorded(i: number): Call | undefined {
    const c = this.#calls[i];
    return c && c.seq < this.#execution ? c : undefined;
  }

  dispatch(method: string, args: Uint8Array, meta?: CallMeta): HostResult {
    if (STREAM_METHODS.has(method)) {
      return this.#streams.dispatch(method, args, meta?.concurrent, meta?.branch);
    }
    if (!RECORDED.has(method)) return this.#inner.dispatch(method, args, meta);
    const values = new EncodedValues(args);
    const actual = Array.from({ length: values.length }, (_, i) => values.value(i));
    const match = this.#match(method, actual, meta?.concurrent, meta?.branch);
    if (match) return this.#answer(method, args, match);
    if (this.#live || !ANSWERED_FROM_RECORD.has(method)) return this.#inner.dispatch(method, args);
    // A Lua tool's report needs no answer; a model or a built-in tool would have to be asked.
    if (method === "tool.called") return results();
    throw new HostError(
      `replay: ${method} is not in the record (a replay sends nothing; --live would send it)`,
    );
  }

  /**
   * The recorded call `method(actual)` matches, or undefined: the divergence is noted (the
   * recorded call it takes the place of, or none).
   *
   * A concurrent call (a parallel branch's) was recorded when it ended, so its place among
   * the calls in flight with it depends on which answer came first: it matches the first
   * recorded call like it not matched yet, and skips none. Two branches may make the very
   * same call and get different answers, in either order: a call recorded with its branch
   * (CallMeta.branch) matches only a call of that branch, whose calls are in order.
   */
  #match(
    method: string,
    actual: LuaValue[],
    concurrent = false,
    branch?: string,
  ): Call | undefined {
    const shown = `${method}(${actual.map(compact).join(", ")})`;
    const same = (i: number) => {
      const c = this.#calls[i];
      return !this.#taken.has(i) && c.method === method &&
        (c.branch === undefined || c.branch === branch) && compact(c.args) === compact(actual);
    };
    let at = this.#next;
    while (this.#recorded(at) && !same(at)) at++;
    const match = this.#recorded(at);
    if (match && concurrent && at > this.#next) {
      this.#taken.add(at);
      return match;
    }
    if (match) {
      // The calls the run skipped to reach this one.
      for (let i = this.#next; i < at; i++) if (!this.#taken.has(i)) this.#missed(this.#calls[i]);
      this.#advance(at + 1);
      return match;
    }
    const expected = this.#recorded(this.#next);
    if (expected && expected.method === method) {
      this.#advance(this.#next + 1);
      this.divergences.push({
        step: expected.seq,
        kind: "call",
        ...(callDifference(method, actual, expected) ??
          { expected: show(expected), actual: shown }),
      });
    } else {
      this.divergences.push({
        step: expected?.seq ?? Math.min(this.#execution, this.#end + 1),
        kind: "call",
        expected: "no call",
        actual: shown,
      });
    }
    return undefined;
  }

  /** The answer to a call that matches the record. */
  #answer(method: string, args: Uint8Array, expected: Call): Uint8Array | Promise<Uint8Array> {
    if (!this.#live) {
      // A model's answer or a tool's result: from the record alone, never sent.
      if (ANSWERED_FROM_RECORD.has(method)) return answerOf(expected);
      // The write also reaches the scratch database, so that the run reads what it wrote;
      // the answer is the recorded one. A write the scratch database refuses (a session or
      // artifact that is not there) is answered from the record all the same.
      const answer = () => results(...expected.results);
      try {
        const r = plainResult(this.#inner.dispatch(method, args));
        return r instanceof Uint8Array ? answer() : r.then(answer, answer);
      } catch {
        return answer();
      }
    }
    const compare = (r: Uint8Array) => {
      const got = new EncodedValues(r);
      const now = Array.from({ length: got.length }, (_, i) => got.value(i));
      const d = resultDifference(method, expected.results, now);
      if (d) this.divergences.push({ step: expected.seq, kind: "result", ...d });
      return r;
    };
    const r = plainResult(this.#inner.dispatch(method, args));
    return r instanceof Uint8Array ? compare(r) : r.then(compare);
  }

  /** Moves #next to `i`, and past the calls concurrent ones took. */
  #advance(i: number): void {
    for (let j = this.#next; j < i; j++) this.#taken.delete(j);
    this.#next = i;
    while (this.#taken.delete(this.#next)) this.#next++;
  }

  #missed(c: Call): void {
    this.divergences.push({ step: c.seq, kind: "call", expected: show(c), actual: "no call" });
  }

  /** The recorded calls before `step` the run did not make: a divergence at each. */
  missedBefore(step: number): void {
    while (this.#next < this.#calls.length && this.#calls[this.#next].seq < step) {
      if (!this.#taken.has(this.#next)) this.#missed(this.#calls[this.#next]);
      this.#advance(this.#next + 1);
    }
  }

  executed(_report: ExecutionReport): void {}

  interrupt(): void {
    this.#inner.interrupt();
  }

  close(): void {
    this.#inner.close();
  }
}
