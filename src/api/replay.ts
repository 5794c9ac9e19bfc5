/**
 * Replaying a recorded session (`llmspell session replay`): its executions run again on a
 * fresh engine whose host calls that reached outside Lua (the recorded ones) are answered
 * from the record, in order, so the run needs no network and gives the same answers. The
 * other host calls (reads) go to a scratch in-memory database. `live` calls the real
 * services instead and reports where their answers differ from the record.
 *
 * A step is a record's sequence number, as `session show` prints it.
 *
 * @module
 */
import type { EngineOptions } from "../engine/protocol.ts";
import type { ExecutionReport, HostDispatcher } from "../engine/host_link.ts";
import { EncodedValues, type LuaValue } from "../engine/host_values.ts";
import type { SessionRecord } from "../store/sessions.ts";
import { HostError, results } from "./api.ts";
import { HostFunctions, RECORDED } from "./host_functions.ts";
import { valueFromJson, valueToJson } from "./value_text.ts";

export interface Divergence {
  /** The recorded step where the run differs (the step after the last, for an extra call). */
  step: number;
  kind: "call" | "result" | "output";
  expected: string;
  actual: string;
}

interface Call {
  seq: number;
  method: string;
  args: LuaValue[];
  results: LuaValue[];
}

function field(m: LuaValue, name: string): LuaValue {
  if (!(m instanceof Map)) return null;
  for (const [k, v] of m) {
    if (k instanceof Uint8Array && new TextDecoder().decode(k) === name) return v;
  }
  return null;
}

const compact = (v: LuaValue) => valueToJson(v).replace(/\n\s*/g, " ");

/** A recorded host call, its values exact (integers and floats distinct). */
export function recordedCall(r: SessionRecord): Call {
  const v = valueFromJson(r.data);
  const method = field(v, "method");
  return {
    seq: r.seq,
    method: method instanceof Uint8Array ? new TextDecoder().decode(method) : "",
    args: (field(v, "args") as LuaValue[] | null) ?? [],
    results: (field(v, "results") as LuaValue[] | null) ?? [],
  };
}

/** The host functions of a replay: recorded calls answered from the record, in order. */
export class ReplayFunctions implements HostDispatcher {
  readonly #inner: HostFunctions;
  readonly #calls: Call[];
  readonly #live: boolean;
  readonly #end: number;
  #next = 0;
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
  }

  /** Skips the calls before `step` (a replay from a later step). */
  skipTo(step: number): void {
    while (this.#next < this.#calls.length && this.#calls[this.#next].seq < step) this.#next++;
  }

  dispatch(method: string, args: Uint8Array): Uint8Array | Promise<Uint8Array> {
    if (!RECORDED.has(method)) return this.#inner.dispatch(method, args);
    const values = new EncodedValues(args);
    const actual = Array.from({ length: values.length }, (_, i) => values.value(i));
    const expected = this.#calls[this.#next];
    const shown = `${method}(${actual.map(compact).join(", ")})`;
    if (
      !expected || expected.method !== method ||
      compact(expected.args) !== compact(actual)
    ) {
      const step = expected?.seq ?? this.#end + 1;
      this.divergences.push({
        step,
        kind: "call",
        expected: expected
          ? `${expected.method}(${expected.args.map(compact).join(", ")})`
          : "no more calls",
        actual: shown,
      });
      throw new HostError(`replay: the run diverges from the record at step ${step}`);
    }
    this.#next++;
    if (!this.#live) {
      // The write also reaches the scratch database, so that the run reads what it wrote;
      // the answer is the recorded one. A write the scratch database refuses (a session or
      // artifact that is not there) is answered from the record all the same.
      const answer = () => results(...expected.results);
      try {
        const r = this.#inner.dispatch(method, args);
        return r instanceof Uint8Array ? answer() : r.then(answer, answer);
      } catch {
        return answer();
      }
    }
    const compare = (r: Uint8Array) => {
      const got = new EncodedValues(r);
      const now = Array.from({ length: got.length }, (_, i) => got.value(i));
      if (compact(now) !== compact(expected.results)) {
        this.divergences.push({
          step: expected.seq,
          kind: "result",
          expected: expected.results.map(compact).join(", "),
          actual: now.map(compact).join(", "),
        });
      }
      return r;
    };
    const r = this.#inner.dispatch(method, args);
    return r instanceof Uint8Array ? compare(r) : r.then(compare);
  }

  /** A recorded call before `step` the run did not make: a divergence at it. */
  missedBefore(step: number): boolean {
    const expected = this.#calls[this.#next];
    if (!expected || expected.seq >= step) return false;
    this.divergences.push({
      step: expected.seq,
      kind: "call",
      expected: `${expected.method}(${expected.args.map(compact).join(", ")})`,
      actual: "no call",
    });
    return true;
  }

  executed(_report: ExecutionReport): void {}

  interrupt(): void {
    this.#inner.interrupt();
  }

  close(): void {
    this.#inner.close();
  }
}
