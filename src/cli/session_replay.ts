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
import { Engine } from "../engine/handle.ts";
import { type Divergence, recordedCall, ReplayFunctions } from "../api/replay.ts";
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
  stdout: string;
  status: string;
  values?: string[];
  error?: { message: string };
  exit_code?: number;
}

/** Runs `records` (the session `id`'s) again; every divergence. */
export async function replay(
  ctx: CliContext,
  config: Config,
  id: string,
  records: SessionRecord[],
  opts: ReplayOptions,
): Promise<ReplayReport> {
  const from = opts.from ?? 1;
  const to = opts.to ?? Infinity;
  const executions = records.filter((r) => r.kind === "execution" && r.seq >= from && r.seq <= to);
  const calls = records.filter((r) => r.kind === "host_call" && r.seq >= from && r.seq <= to)
    .map(recordedCall);
  const last = records.length ? records[records.length - 1].seq : 0;
  const options = engineOptions(config, ctx.cwd);
  const engine = new Engine();
  const fns = new ReplayFunctions(options, id, calls, { live: opts.live, endStep: last });
  engine.useHostFunctions(fns);
  const report: ReplayReport = { session: id, executions: 0, divergences: [] };
  try {
    await engine.init(options);
    for (const r of executions) {
      const rec = JSON.parse(r.data) as RecordedExecution;
      fns.beginExecution(r.seq);
      const got = await run(engine, { ...rec, code: await currentCode(ctx, rec) });
      report.executions++;
      fns.missedBefore(r.seq);
      const differs = compare(rec, got);
      if (differs) fns.divergences.push({ step: r.seq, kind: "output", ...differs });
    }
  } finally {
    engine.close();
  }
  report.divergences = fns.divergences.toSorted((a, b) => a.step - b.step);
  return report;
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

interface Outcome {
  stdout: string;
  status: string;
  values: string[];
  error?: string;
  exit?: number;
}

async function run(engine: Engine, rec: RecordedExecution): Promise<Outcome> {
  const out: Uint8Array[] = [];
  const o: Outcome = { stdout: "", status: "ok", values: [] };
  // run and a kernel's file chunks return values; exec and cells echo theirs.
  const echo = !rec.chunk.startsWith("@");
  for await (const ev of engine.execute({ code: rec.code, chunkName: rec.chunk, echo })) {
    if (ev.type === "stream" && ev.name === "stdout") out.push(ev.data);
    else if (ev.type === "result") o.values = ev.values;
    else if (ev.type === "error") [o.status, o.error] = ["error", ev.error.message];
    else if (ev.type === "exit") [o.status, o.exit] = ["exit", ev.code];
  }
  const all = new Uint8Array(out.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of out) all.set(c, (at += c.length) - c.length);
  o.stdout = decodeBytes(all);
  return o;
}

/** What differs between the recorded execution and the new one, first found. */
function compare(
  rec: RecordedExecution,
  got: Outcome,
): { expected: string; actual: string } | null {
  if (rec.stdout !== got.stdout) {
    return {
      expected: `stdout ${JSON.stringify(rec.stdout)}`,
      actual: `stdout ${JSON.stringify(got.stdout)}`,
    };
  }
  const outcome = (status: string, values?: string[], error?: string, exit?: number) =>
    status === "ok"
      ? `ok ${JSON.stringify(values ?? [])}`
      : status === "error"
      ? `error ${error}`
      : `exit ${exit}`;
  const a = outcome(rec.status, rec.values, rec.error?.message, rec.exit_code);
  const b = outcome(got.status, got.values, got.error, got.exit);
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
