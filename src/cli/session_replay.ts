/**
 * `llmspell session replay ID`: the session's executions run again on a fresh engine, with
 * every recorded outside call answered from the record (src/api/replay.ts), and every
 * place the new run differs from the record: a different call, a different answer
 * (`--live`) or a different output, each at its step (a record's number in `session show`).
 */
import type { Config } from "../config/mod.ts";
import * as path from "../path.ts";
import { resolvePaths } from "../config/mod.ts";
import { openStore, type SessionRecord } from "../store/mod.ts";
import type { CliContext } from "./context.ts";
import { engineOptions } from "./script.ts";
import { Engine } from "../engine/host/handle.ts";
import { type Divergence, recordedCall, ReplayFunctions } from "../api/replay.ts";
import type { EngineOptions, ScriptArgs } from "../engine/shared/protocol.ts";
import { parseScriptArgs } from "../frontend/script_args.ts";
import { decodeBytes } from "../byte_string.ts";

export interface ReplayOptions {
  from?: number;
  to?: number;
  live: boolean;
}

export interface ReplayReport {
  session: string;
  executions: number;
  /** In the order of their steps. */
  divergences: Divergence[];
}

interface RecordedExecution {
  chunk: string;
  code: string;
  args?: string[];
  stdout: string;
  status: string;
  values?: string[];
  error?: { message: string };
  exit_code?: number;
}

/** An execution of the session, ready to run again. */
export interface ReplayStep {
  /** Its step (record number). */
  seq: number;
  chunkName: string;
  /** The code to run: a script file as it is now, else the recorded code. */
  code: string;
  /** The recorded script arguments (`run FILE -- ARGS`). */
  args?: ScriptArgs;
  /** A cell or an exec echoes its values; a file chunk returns them. */
  echo: boolean;
  recorded: RecordedExecution;
}

/** What a step's new run did, to compare with the record. */
export interface StepOutcome {
  stdout: Uint8Array;
  values: string[];
  error?: string;
  exit?: number;
}

/**
 * A recorded session made ready to run again: its executions (`steps`), the host functions
 * that answer its recorded calls (`functions`, one per engine), and the checks of each step.
 * `llmspell session replay` runs the steps on an engine of its own; `llmspell debug
 * --replay` runs them under the debugger.
 */
export class SessionReplay {
  readonly id: string;
  readonly steps: ReplayStep[];
  readonly #calls: ReturnType<typeof recordedCall>[];
  readonly #live: boolean;
  readonly #last: number;
  #fns: ReplayFunctions | undefined;
  #executions = 0;

  private constructor(
    id: string,
    steps: ReplayStep[],
    calls: ReturnType<typeof recordedCall>[],
    live: boolean,
    last: number,
  ) {
    this.id = id;
    this.steps = steps;
    this.#calls = calls;
    this.#live = live;
    this.#last = last;
  }

  /** The session `id`'s records between the steps `opts.from` and `opts.to`. */
  static async load(
    ctx: CliContext,
    id: string,
    records: SessionRecord[],
    opts: ReplayOptions,
  ): Promise<SessionReplay> {
    const from = opts.from ?? 1;
    const to = opts.to ?? Infinity;
    const inRange = (r: SessionRecord) => r.seq >= from && r.seq <= to;
    const steps: ReplayStep[] = [];
    for (const r of records) {
      if (r.kind !== "execution" || !inRange(r)) continue;
      const rec = JSON.parse(r.data) as RecordedExecution;
      const file = rec.chunk.startsWith("@");
      steps.push({
        seq: r.seq,
        chunkName: rec.chunk,
        code: await currentCode(ctx, rec),
        args: file && rec.args?.length ? parseScriptArgs(rec.chunk.slice(1), rec.args) : undefined,
        echo: !file,
        recorded: rec,
      });
    }
    const calls = records.filter((r) => r.kind === "host_call" && inRange(r)).map(recordedCall);
    const last = records.length ? records[records.length - 1].seq : 0;
    return new SessionReplay(id, steps, calls, opts.live, last);
  }

  /** Host functions for a new engine: the record is answered from its start again. */
  functions(options: EngineOptions): ReplayFunctions {
    this.#executions = 0;
    return this.#fns = new ReplayFunctions(options, this.id, this.#calls, {
      live: this.#live,
      endStep: this.#last,
    });
  }

  #current(): ReplayFunctions {
    if (!this.#fns) throw new Error("replay: no engine (call functions() first)");
    return this.#fns;
  }

  /** Step `i` starts running. */
  begin(i: number): void {
    this.#current().beginExecution(this.steps[i].seq);
  }

  /** Step `i` ended with `got`: the recorded calls it skipped, and its output, checked. */
  end(i: number, got: StepOutcome): void {
    const fns = this.#current();
    const step = this.steps[i];
    this.#executions++;
    fns.missedBefore(step.seq);
    const differs = compare(step.recorded, got);
    if (differs) fns.divergences.push({ step: step.seq, kind: "output", ...differs });
  }

  report(): ReplayReport {
    return {
      session: this.id,
      executions: this.#executions,
      divergences: (this.#fns?.divergences ?? []).toSorted((a, b) => a.step - b.step),
    };
  }
}

/** Runs the session's recorded executions again; every divergence. */
export async function replay(
  ctx: CliContext,
  config: Config,
  id: string,
  records: SessionRecord[],
  opts: ReplayOptions,
): Promise<ReplayReport> {
  const r = await SessionReplay.load(ctx, id, records, opts);
  const options = engineOptions(config, ctx.cwd);
  const engine = new Engine();
  engine.useHostFunctions(r.functions(options));
  try {
    await engine.init(options);
    for (let i = 0; i < r.steps.length; i++) {
      r.begin(i);
      r.end(i, await run(engine, r.steps[i]));
    }
  } finally {
    engine.close();
  }
  return r.report();
}

/**
 * The code to run again: a script file as it is now (so a changed script shows where it
 * diverges), or the recorded code (a cell, an exec, a file that is gone).
 */
async function currentCode(ctx: CliContext, rec: RecordedExecution): Promise<string> {
  if (!rec.chunk.startsWith("@")) return rec.code;
  try {
    return await Deno.readTextFile(path.resolve(ctx.cwd, rec.chunk.slice(1)));
  } catch {
    return rec.code;
  }
}

async function run(engine: Engine, step: ReplayStep): Promise<StepOutcome> {
  const out: Uint8Array[] = [];
  const o: StepOutcome = { stdout: new Uint8Array(), values: [] };
  const { code, chunkName, args, echo } = step;
  for await (const ev of engine.execute({ code, chunkName, args, echo })) {
    if (ev.type === "stream" && ev.name === "stdout") out.push(ev.data);
    else if (ev.type === "result") o.values = ev.values;
    else if (ev.type === "error") o.error = ev.error.message;
    else if (ev.type === "exit") o.exit = ev.code;
  }
  o.stdout = joinBytes(out);
  return o;
}

/** Chunks of bytes as one array. */
export function joinBytes(chunks: Uint8Array[]): Uint8Array {
  const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) all.set(c, (at += c.length) - c.length);
  return all;
}

/** What differs between the recorded execution and the new one, first found. */
function compare(
  rec: RecordedExecution,
  got: StepOutcome,
): { expected: string; actual: string } | null {
  const stdout = decodeBytes(got.stdout);
  if (rec.stdout !== stdout) {
    return {
      expected: `stdout ${JSON.stringify(rec.stdout)}`,
      actual: `stdout ${JSON.stringify(stdout)}`,
    };
  }
  const outcome = (status: string, values?: string[], error?: string, exit?: number) =>
    status === "ok"
      ? `ok ${JSON.stringify(values ?? [])}`
      : status === "error"
      ? `error ${error}`
      : `exit ${exit}`;
  const a = outcome(rec.status, rec.values, rec.error?.message, rec.exit_code);
  const status = got.exit !== undefined ? "exit" : got.error !== undefined ? "error" : "ok";
  const b = outcome(status, got.values, got.error, got.exit);
  return a === b ? null : { expected: a, actual: b };
}

/** The records of the session `id` (already resolved). */
export function sessionRecords(ctx: CliContext, id: string): SessionRecord[] {
  const store = openStore(resolvePaths(ctx.env, ctx.cwd).dbPath);
  try {
    return store.sessions.records(id);
  } finally {
    store.close();
  }
}

/** A report as text: each divergence with its step, or that there was none. */
export function reportText(report: ReplayReport): string {
  const executions = `${report.executions} execution${report.executions === 1 ? "" : "s"}`;
  if (!report.divergences.length) return `replayed ${executions}: no divergence`;
  return report.divergences.map((d) =>
    `step ${d.step}: the replay diverges (${d.kind})\n  recorded: ${d.expected}\n  replayed: ${d.actual}`
  ).join("\n");
}
