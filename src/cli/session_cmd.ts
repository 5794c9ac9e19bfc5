/**
 * `llmspell session list | show | export | delete`: the sessions engines recorded
 * (src/api/session.ts) in the llmspell database, newest first, one session's timeline,
 * its full record as JSON, and removing sessions.
 */
import { Command, Option } from "commander";
import { resolvePaths } from "../config/mod.ts";
import { LlmspellError, usageError } from "../errors.ts";
import {
  openStore,
  SESSION_STATUSES,
  type SessionRecord,
  type SessionStatus,
} from "../store/mod.ts";
import type { CliContext } from "./context.ts";
import { writeOut } from "../frontend/output.ts";
import { contextOf, example, withGlobalOptions } from "./command.ts";
import { resolveId, withStore } from "./session_store.ts";
import { toYaml } from "../yaml.ts";
import { llmEntry } from "./session_llm_view.ts";
import * as path from "../path.ts";

function print(ctx: CliContext, data: unknown, text: () => string): void {
  if (ctx.output === "json") writeOut(JSON.stringify(data, null, 2) + "\n");
  else if (ctx.output === "yaml") writeOut(toYaml(data));
  else {
    const s = text();
    if (s) writeOut(s.endsWith("\n") ? s : s + "\n");
  }
}

/** An age such as 30d, 12h, 45m in milliseconds. */
function ageMs(age: string): number {
  const m = /^(\d+)([dhm])$/.exec(age);
  if (!m) throw usageError(`--older-than takes an age such as 30d, 12h or 45m, not '${age}'`);
  return Number(m[1]) * { d: 86_400_000, h: 3_600_000, m: 60_000 }[m[2] as "d" | "h" | "m"];
}

/** One line (and its output) of a record in a readable timeline. */
function timelineEntry(r: SessionRecord): string {
  const time = r.at.slice(11, 23);
  const d = JSON.parse(r.data);
  if (r.kind === "host_call") {
    const llm = llmEntry(`${String(r.seq).padStart(4)}  ${time}  `, d);
    if (llm !== undefined) return llm;
    const args = (d.args as unknown[]).map((a) => JSON.stringify(a)).join(", ");
    const res = (d.results as unknown[]).map((a) => JSON.stringify(a)).join(", ");
    return `${String(r.seq).padStart(4)}  ${time}  call ${d.method}(${args})${
      res ? ` -> ${res}` : ""
    }`;
  }
  const outcome = d.status === "ok"
    ? (d.values?.length ? `-> ${d.values.join(", ")}` : "ok")
    : d.status === "error"
    ? `error: ${d.error.message}`
    : `exit ${d.exit_code}`;
  const where = String(d.chunk).replace(/^[@=]/, "");
  const lines = [
    `${String(r.seq).padStart(4)}  ${time}  run ${where} (${d.duration_ms} ms) ${outcome}`,
  ];
  const indent = (label: string, text: string) => {
    if (!text) return;
    const body = text.replace(/\n$/, "").split("\n").map((l) => `          ${l}`).join("\n");
    lines.push(`        ${label}:\n${body}`);
  };
  if (!String(d.chunk).startsWith("@")) indent("code", d.code);
  indent("stdout", d.stdout);
  indent("stderr", d.stderr);
  return lines.join("\n");
}

export function registerSessionCommands(program: Command): void {
  const session = withGlobalOptions(
    new Command("session").description(
      "the sessions runs, REPLs and kernels recorded: their executions and state writes",
    ),
  );
  example(session, "llmspell session list", "llmspell session show 3f2a9c1e");

  const list = withGlobalOptions(
    new Command("list")
      .description("list the recorded sessions, newest first")
      .addOption(new Option("--limit <n>", "at most this many").default("50"))
      .addOption(new Option("--status <status>", "only sessions in this status")
        .choices([...SESSION_STATUSES]))
      .addOption(
        new Option("--tag <tag>", "only sessions with this tag (repeat: all of them)")
          .argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), v]),
      ),
  );
  example(
    list,
    "llmspell session list",
    "llmspell session list --status completed --tag nightly --limit 5 --output json",
  );
  list.action((opts: { limit: string; status?: string; tag?: string[] }, cmd: Command) => {
    const ctx = contextOf(cmd);
    const limit = Number(opts.limit);
    if (!Number.isInteger(limit) || limit < 1) throw usageError("--limit is a positive integer");
    const rows = withStore(ctx, (s) =>
      s.sessions.list({
        limit,
        status: opts.status as SessionStatus | undefined,
        tags: opts.tag,
      }));
    const data = rows.map((r) => ({
      id: r.id,
      name: r.name,
      status: r.status,
      created: r.created,
      executions: r.executions,
      tags: r.tags,
      parent: r.parent,
    }));
    print(
      ctx,
      data,
      () =>
        rows.map((r) =>
          `${r.id}  ${r.created.replace("T", " ").slice(0, 19)}  ${
            r.status.padEnd(9)
          }  ${r.executions} execution${r.executions === 1 ? "" : "s"}${
            r.name ? `  ${r.name}` : ""
          }${r.tags.length ? `  [${r.tags.join(", ")}]` : ""}`
        ).join("\n"),
    );
  });
  session.addCommand(list);

  const show = withGlobalOptions(
    new Command("show")
      .description(
        "a session's timeline: each execution (code, output, result), state write, LLM and tool call",
      )
      .argument("<id>", "the session's id, or a unique start of it"),
  );
  example(show, "llmspell session show 3f2a9c1e", "llmspell session show 3f2a --output json");
  show.action((id: string, _opts: unknown, cmd: Command) => {
    const ctx = contextOf(cmd);
    const { row, records } = withStore(ctx, (s) => {
      const full = resolveId(s, id);
      return { row: s.sessions.get(full)!, records: s.sessions.records(full) };
    });
    const data = {
      ...row,
      records: records.map((r) => ({ seq: r.seq, kind: r.kind, at: r.at, ...JSON.parse(r.data) })),
    };
    print(ctx, data, () =>
      [
        `session ${row.id}${
          row.name ? ` "${row.name}"` : ""
        } (${row.status}), created ${row.created}`,
        ...records.map(timelineEntry),
      ].join("\n"));
  });
  session.addCommand(show);

  const exp = withGlobalOptions(
    new Command("export")
      .description("a session and every record of it, as JSON (to stdout, or -o FILE)")
      .argument("<id>", "the session's id, or a unique start of it")
      .addOption(new Option("--format <format>", "the format").choices(["json"]).default("json"))
      .addOption(new Option("-o, --out <file>", "write it to this file")),
  );
  example(
    exp,
    "llmspell session export 3f2a9c1e > run.json",
    "llmspell session export 3f2a -o run.json",
  );
  exp.action(async (id: string, opts: { out?: string }, cmd: Command) => {
    const ctx = contextOf(cmd);
    const data = withStore(ctx, (s) => {
      const full = resolveId(s, id);
      return {
        format: "llmspell-session/1",
        session: s.sessions.get(full)!,
        records: s.sessions.records(full).map((r) => ({
          seq: r.seq,
          kind: r.kind,
          at: r.at,
          ...JSON.parse(r.data),
        })),
      };
    });
    const json = JSON.stringify(data, null, 2) + "\n";
    if (opts.out === undefined) writeOut(json);
    else await Deno.writeTextFile(path.resolve(ctx.cwd, opts.out), json);
  });
  session.addCommand(exp);

  const arts = withGlobalOptions(
    new Command("artifacts")
      .description("the artifacts a session stored (Artifact.store), newest first")
      .argument("<id>", "the session's id, or a unique start of it"),
  );
  example(
    arts,
    "llmspell session artifacts 3f2a9c1e",
    "llmspell session artifacts 3f2a --output json",
  );
  arts.action((id: string, _opts: unknown, cmd: Command) => {
    const ctx = contextOf(cmd);
    const rows = withStore(ctx, (s) => s.artifacts.list({ session: resolveId(s, id) }));
    print(
      ctx,
      rows,
      () =>
        rows.map((a) =>
          `${a.id}  ${a.created.replace("T", " ").slice(0, 19)}  ${
            String(a.size).padStart(9)
          } B  ${a.name}${a.mime_type ? `  ${a.mime_type}` : ""}${a.kind ? `  (${a.kind})` : ""}${
            a.tags.length ? `  [${a.tags.join(", ")}]` : ""
          }`
        ).join("\n"),
    );
  });
  session.addCommand(arts);

  const art = withGlobalOptions(
    new Command("artifact")
      .description("write one artifact's content to a file (or to stdout)")
      .argument("<id>", "the session's id, or a unique start of it")
      .argument("<artifact>", "the artifact's id, or a unique start of it")
      .addOption(new Option("-o, --out <file>", "write it to this file")),
  );
  example(art, "llmspell session artifact 3f2a9c1e 7b01 -o report.md");
  art.action(async (id: string, artId: string, opts: { out?: string }, cmd: Command) => {
    const ctx = contextOf(cmd);
    const store = openStore(resolvePaths(ctx.env, ctx.cwd).dbPath);
    try {
      const session = resolveId(store, id);
      const found = store.artifacts.list({ session }).filter((a) => a.id.startsWith(artId));
      const meta = found.find((a) => a.id === artId) ?? (found.length === 1 ? found[0] : undefined);
      if (!meta) {
        if (found.length > 1) {
          throw usageError(`'${artId}' names ${found.length} artifacts: give more of it`);
        }
        throw new LlmspellError({
          code: "artifact_not_found",
          message: `session ${session} has no artifact '${artId}'`,
          hint: `llmspell session artifacts ${id} lists them`,
        });
      }
      const content = await store.artifacts.content(meta);
      if (content === undefined) {
        throw new LlmspellError({
          code: "artifact_missing",
          message: `the content of artifact ${meta.id} (sha256 ${meta.sha256}) is missing`,
          hint: "its file under the data directory's artifacts/ was removed",
        });
      }
      if (opts.out === undefined) {
        // write() may take part of it: go on until all is written.
        for (let at = 0; at < content.length;) at += await Deno.stdout.write(content.subarray(at));
      } else await Deno.writeFile(path.resolve(ctx.cwd, opts.out), content);
    } finally {
      store.close();
    }
  });
  session.addCommand(art);

  const rep = withGlobalOptions(
    new Command("replay")
      .description(
        "run a session's executions again with every recorded outside call answered from the record, and report where the run diverges",
      )
      .argument("<id>", "the session's id, or a unique start of it")
      .addOption(new Option("--from-step <n>", "start at this step (a number of session show)"))
      .addOption(new Option("--to-step <n>", "stop after this step"))
      .addOption(
        new Option("--live", "call the real services and show where they answer differently"),
      ),
  );
  example(
    rep,
    "llmspell session replay 3f2a9c1e",
    "llmspell session replay 3f2a --from-step 4 --to-step 9",
  );
  rep.action(
    async (
      id: string,
      opts: { fromStep?: string; toStep?: string; live?: boolean },
      cmd: Command,
    ) => {
      const ctx = contextOf(cmd);
      const step = (v: string | undefined, name: string) => {
        if (v === undefined) return undefined;
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1) throw usageError(`${name} is a positive integer`);
        return n;
      };
      const from = step(opts.fromStep, "--from-step");
      const to = step(opts.toStep, "--to-step");
      const full = withStore(ctx, (s) => resolveId(s, id));
      const [{ configFor }, { replay, reportText, sessionRecords }] = await Promise.all([
        import("./load_config.ts"),
        import("./session_replay.ts"),
      ]);
      const { config } = await configFor(ctx);
      const report = await replay(ctx, config, full, sessionRecords(ctx, full), {
        from,
        to,
        live: opts.live ?? false,
      });
      const ds = report.divergences;
      print(ctx, report, () => reportText(report));
      if (ds.length) {
        const steps = [...new Set(ds.map((d) => d.step))];
        throw new LlmspellError({
          code: "replay_diverged",
          message: `the replay of session ${full} diverges from the record at step${
            steps.length === 1 ? "" : "s"
          } ${steps.join(", ")}`,
          hint: `llmspell session show ${full.slice(0, 8)} shows the recorded steps`,
        });
      }
    },
  );
  session.addCommand(rep);

  const del = withGlobalOptions(
    new Command("delete")
      .description("delete a session (its records and its session-scope state), or the old ones")
      .argument("[id]", "the session's id, or a unique start of it")
      .addOption(
        new Option("--older-than <age>", "every session that ended before this age (30d, 12h)"),
      ),
  );
  example(del, "llmspell session delete 3f2a9c1e", "llmspell session delete --older-than 30d");
  del.action((id: string | undefined, opts: { olderThan?: string }, cmd: Command) => {
    const ctx = contextOf(cmd);
    if ((id === undefined) === (opts.olderThan === undefined)) {
      throw usageError("give a session id or --older-than AGE (not both)");
    }
    const deleted = withStore(ctx, (s) => {
      if (id !== undefined) {
        const full = resolveId(s, id);
        s.sessions.delete(full);
        return [full];
      }
      return s.sessions.prune({ before: new Date(Date.now() - ageMs(opts.olderThan!)) });
    });
    print(ctx, { deleted }, () => deleted.map((d) => `deleted ${d}`).join("\n"));
  });
  session.addCommand(del);

  program.addCommand(session);
}
