/**
 * The LLM and tool side of a replay (src/api/replay.ts): the recorded calls that are
 * answered from the record alone (a model's answer, a built-in tool's result: a replay
 * without `--live` never sends them), streamed answers served piece by piece as Lua took
 * them, and what a divergence shows of a call as big as a chat request: the first place
 * where the two differ.
 *
 * @module
 */
import { EncodedValues, luaString, type LuaValue } from "../engine/shared/host_values.ts";
import { HostError, results } from "./api.ts";
import { valueToJson } from "./value_text.ts";

/** Recorded calls a replay answers from the record without making them (unless live). */
export const ANSWERED_FROM_RECORD: ReadonlySet<string> = new Set([
  "llm.chat",
  "tool.invoke",
  "tool.called",
]);

/** The host calls of a streamed answer; the record has one call, `llm.stream`. */
export const STREAM_METHODS: ReadonlySet<string> = new Set([
  "llm.stream_start",
  "llm.stream_next",
  "llm.stream_close",
]);

/** A recorded call, its values exact (integers and floats distinct). */
export interface Call {
  seq: number;
  method: string;
  args: LuaValue[];
  results: LuaValue[];
  /** The error it failed with (a tool that failed). */
  error?: string;
  /** The workflow branch that made it (CallMeta.branch). */
  branch?: string;
}

const decoder = new TextDecoder();
const MAX_SHOWN = 160;

/** The value with every map's entries sorted: Lua's order of keys changes from run to run. */
function sorted(v: LuaValue): LuaValue {
  if (Array.isArray(v)) return v.map(sorted);
  if (!(v instanceof Map)) return v;
  // A nil field is no field (the record, read back, has none).
  const keyed = [...v].filter(([, x]) => x !== null).map(([k, x]) =>
    [valueToJson(k), k, sorted(x)] as const
  );
  keyed.sort((a, b) => a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
  return new Map(keyed.map(([, k, x]) => [k, x]));
}

/** A value on one line, its maps' keys in order: two runs' values compare by it. */
export const compact = (v: LuaValue): string => valueToJson(sorted(v)).replace(/\n\s*/g, " ");

const short = (s: string) => s.length > MAX_SHOWN ? s.slice(0, MAX_SHOWN) + "…" : s;

/** The recorded answer of a call: its results, or its error again. */
export function answerOf(call: Call): Uint8Array {
  if (call.error !== undefined) throw new HostError(call.error);
  return results(...call.results);
}

function entries(v: LuaValue): Map<string, LuaValue> | undefined {
  if (!(v instanceof Map)) return undefined;
  const out = new Map<string, LuaValue>();
  for (const [k, x] of v) out.set(k instanceof Uint8Array ? decoder.decode(k) : compact(k), x);
  return out;
}

/** The first place where `a` and `b` differ (`messages[2].content`), or undefined. */
function firstDifference(
  a: LuaValue,
  b: LuaValue,
  path: string,
): { path: string; a: LuaValue; b: LuaValue } | undefined {
  if (compact(a) === compact(b)) return undefined;
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      const d = firstDifference(a[i] ?? null, b[i] ?? null, `${path}[${i + 1}]`);
      if (d) return d;
    }
  }
  const ma = entries(a), mb = entries(b);
  if (ma && mb) {
    for (const k of new Set([...ma.keys(), ...mb.keys()])) {
      const d = firstDifference(ma.get(k) ?? null, mb.get(k) ?? null, `${path}.${k}`);
      if (d) return d;
    }
  }
  return { path, a, b };
}

/**
 * How a divergent call of an LLM or a tool is shown: where it differs first, if it is the
 * same method; else both calls, shortened. Undefined for other methods (shown whole).
 */
export function callDifference(
  method: string,
  actual: LuaValue[],
  expected: Call | undefined,
): { expected: string; actual: string } | undefined {
  if (!method.startsWith("llm.") && !method.startsWith("tool.")) return undefined;
  const shown = (m: string, args: LuaValue[]) => short(`${m}(${args.map(compact).join(", ")})`);
  if (!expected || expected.method !== method) {
    return {
      expected: expected ? shown(expected.method, expected.args) : "no more calls",
      actual: shown(method, actual),
    };
  }
  const d = firstDifference(expected.args, actual, "")!;
  // Arguments are numbered from 1 as Lua's are: `[1].messages[2].content` is the request's.
  const where = `${method} ${d.path.replace(/^\[1\]\.?/, "")}`.trimEnd();
  return {
    expected: `${where} = ${short(compact(d.a))}`,
    actual: `${where} = ${short(compact(d.b))}`,
  };
}

/** A model's answer without its timing, which a live call never repeats. */
function withoutTiming(values: LuaValue[]): LuaValue[] {
  return values.map((v) => {
    const m = entries(v);
    if (!m || !m.has("started_ms")) return v;
    m.delete("started_ms");
    m.delete("ended_ms");
    return new Map([...m].map(([k, x]) => [luaString(k), x]));
  });
}

/**
 * Where a live answer differs from the recorded one (timing aside), or undefined: the
 * first differing place of an LLM's or a tool's answer, other answers whole.
 */
export function resultDifference(
  method: string,
  expected: LuaValue[],
  actual: LuaValue[],
): { expected: string; actual: string } | undefined {
  const a = withoutTiming(expected), b = withoutTiming(actual);
  if (compact(a) === compact(b)) return undefined;
  if (!method.startsWith("llm.") && !method.startsWith("tool.")) {
    return { expected: a.map(compact).join(", "), actual: b.map(compact).join(", ") };
  }
  const d = firstDifference(a, b, "")!;
  const where = d.path.replace(/^\[\d+\]\.?/, "") || "answer";
  return {
    expected: `${where} = ${short(compact(d.a))}`,
    actual: `${where} = ${short(compact(d.b))}`,
  };
}

/** What replay.ts gives the streams: its record, in order, and its live host functions. */
export interface ReplayCalls {
  /**
   * The recorded call `method(args)` matches, or undefined (a divergence, noted).
   * `concurrent`: made beside others (CallMeta.concurrent), so matched in any order among
   * them, with a call of its own `branch`.
   */
  match(method: string, args: LuaValue[], concurrent?: boolean, branch?: string): Call | undefined;
  /** A live call's answer differs from the record at `step`. */
  differs(step: number, expected: string, actual: string): void;
  live: boolean;
  inner(method: string, args: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

interface ReplayStream {
  call: Call;
  /** Without --live: the pieces left, then the end. */
  pieces: LuaValue[];
  end: LuaValue[];
}

const list = (v: LuaValue): LuaValue[] => Array.isArray(v) ? v : [];

/**
 * Streamed answers in a replay: `llm.stream_start` must match the record's `llm.stream`
 * call; without --live its pieces come back one per `llm.stream_next`, then its end (a
 * stream the script closed early, or one interrupted, ends in an error if asked for more).
 * With --live the real stream runs and its end is compared with the record's.
 */
export class ReplayStreams {
  readonly #calls: ReplayCalls;
  readonly #streams = new Map<bigint, ReplayStream>();
  #next = 1n;

  constructor(calls: ReplayCalls) {
    this.#calls = calls;
  }

  dispatch(
    method: string,
    args: Uint8Array,
    concurrent?: boolean,
    branch?: string,
  ): Uint8Array | Promise<Uint8Array> {
    const values = new EncodedValues(args);
    if (method === "llm.stream_start") {
      const call = this.#calls.match("llm.stream", [values.value(0)], concurrent, branch);
      if (this.#calls.live) return this.#liveStart(call, args);
      if (!call) {
        throw new HostError(
          "replay: llm.stream is not in the record (a replay sends nothing; --live would send it)",
        );
      }
      const [pieces, ...end] = call.results;
      const id = this.#next++;
      this.#streams.set(id, {
        call,
        pieces: [...list(pieces ?? null)],
        end: end.length && decoder.decode(end[0] as Uint8Array) !== "closed" ? end : [
          luaString("error"),
          luaString("replay"),
          luaString(`the recorded stream (step ${call.seq}) ended here`),
        ],
      });
      return results(true, id);
    }
    const id = values.value(0);
    const s = typeof id === "bigint" ? this.#streams.get(id) : undefined;
    if (!s) return this.#calls.inner(method, args);
    if (method === "llm.stream_close") {
      this.#streams.delete(id as bigint);
      return this.#calls.live ? this.#calls.inner(method, args) : results();
    }
    if (this.#calls.live) return this.#liveNext(id as bigint, s, args);
    const piece = s.pieces.shift();
    if (piece !== undefined) return results(luaString("text"), piece);
    this.#streams.delete(id as bigint);
    return results(...s.end);
  }

  async #liveStart(call: Call | undefined, args: Uint8Array): Promise<Uint8Array> {
    const r = await this.#calls.inner("llm.stream_start", args);
    const got = new EncodedValues(r);
    const id = got.value(1);
    // A stream the record has: its end is compared with the recorded one.
    if (call && got.value(0) === true && typeof id === "bigint") {
      this.#streams.set(id, { call, pieces: [], end: [] });
    }
    return r;
  }

  async #liveNext(id: bigint, s: ReplayStream, args: Uint8Array): Promise<Uint8Array> {
    const r = await this.#calls.inner("llm.stream_next", args);
    const got = new EncodedValues(r);
    const now = Array.from({ length: got.length }, (_, i) => got.value(i));
    const kind = now[0] instanceof Uint8Array ? decoder.decode(now[0]) : "";
    if (kind === "done" || kind === "error") {
      this.#streams.delete(id);
      const d = resultDifference("llm.stream", s.call.results.slice(1), now);
      if (d) this.#calls.differs(s.call.seq, d.expected, d.actual);
    }
    return r;
  }
}
