/**
 * A local GGUF model (`provider_type = "local"`, node-llama-cpp in the llmspell process)
 * through the real CLI and a real kernel. The tests write a tiny llama model with random
 * weights (tests/llm/gguf_model.ts): its text is gibberish, what it proves is the path.
 */
import { type Schema, Validator } from "@cfworker/json-schema";
import { assert, assertEquals } from "../helpers/assert.ts";
import { cli, tempDir } from "../helpers/cli.ts";
import { V8_FLAGS_ARG } from "../../src/engine/host/v8_flags.ts";
import { driver, startKernel } from "../kernel/helpers.ts";
import { type TinyModelOptions, writeTinyModel } from "./gguf_model.ts";

const DRIVER = new URL("./llm_driver.py", import.meta.url).pathname;

/**
 * node-llama-cpp is not in deno.json or deno.lock (docs/decisions/0025-local-gguf-models.md):
 * llmspell from its sources installs it at the first local call, and without `--no-lock` Deno
 * would write it into deno.lock.
 */
const NO_LOCK = ["--no-lock"];

/**
 * A directory with the model and a config naming it `[providers.tiny]`. One thread: llama.cpp's
 * threads spin while they wait, which on a loaded 2-core machine costs more than they give.
 */
async function home(model: TinyModelOptions = {}, name = "tiny-llama"): Promise<string> {
  const dir = await tempDir();
  await writeTinyModel(dir, model, name);
  await Deno.writeTextFile(
    `${dir}/llmspell.toml`,
    `[providers.tiny]\nprovider_type = "local"\nmodel_path = "${name}.gguf"\nthreads = 1\n`,
  );
  return dir;
}

async function runLua(dir: string, code: string) {
  await Deno.writeTextFile(`${dir}/script.lua`, code);
  return await cli(["run", "script.lua"], { cwd: dir, denoArgs: NO_LOCK });
}

/** The last line of stdout, as JSON. */
function lastJson(stdout: string): Record<string, unknown> {
  return JSON.parse(stdout.trim().split("\n").at(-1)!);
}

Deno.test("local model: a streamed answer arrives in pieces, with its token counts and no cost", async () => {
  const dir = await home();
  try {
    const r = await runLua(
      dir,
      `
local agent = Agent.builder():model("tiny/tiny-llama"):max_tokens(1):build()
local first = agent:execute("hello")           -- loads the model
local pieces = {}
local streamer = Agent.builder():model("tiny/tiny-llama"):max_tokens(128):build()
local r = streamer:stream("hello world", function(piece) pieces[#pieces + 1] = piece end)
print(JSON.stringify({
  load_ms = first.duration_ms, pieces = #pieces, joined = table.concat(pieces) == r.text,
  usage = r.usage, model = r.model, duration_ms = r.duration_ms,
  info = Provider.get("tiny"),
}))
`,
    );
    assertEquals(r.code, 0, r.stderr);
    const j = lastJson(r.stdout) as {
      load_ms: number;
      pieces: number;
      joined: boolean;
      usage: { input_tokens: number; output_tokens: number; cost_usd: number };
      model: string;
      duration_ms: number;
      info: { provider_type: string; default_model: string; models: string[] };
    };
    assert(j.pieces >= 2, `the answer came in ${j.pieces} pieces`);
    assert(j.joined, "the pieces make up the text");
    assertEquals(j.usage.output_tokens, 128);
    assert(j.usage.input_tokens > 0, `input tokens: ${j.usage.input_tokens}`);
    assertEquals(j.usage.cost_usd, 0);
    assertEquals(j.model, "tiny-llama");
    assertEquals(j.info.provider_type, "local");
    assertEquals(j.info.default_model, "tiny-llama");
    assertEquals(j.info.models, ["tiny-llama"]);
    console.log(
      `first call (loads node-llama-cpp and the model) ${j.load_ms.toFixed(0)} ms; ` +
        `128 tokens in ${j.duration_ms.toFixed(0)} ms (${
          (128000 / j.duration_ms).toFixed(0)
        } tokens/s)`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("local model: a structured answer follows the JSON schema (grammar-constrained)", async () => {
  const dir = await home();
  const schema: Schema = {
    type: "object",
    properties: {
      ok: { type: "boolean" },
      color: { enum: ["red", "green", "blue"] },
      size: { enum: ["S", "M", "L"] },
    },
    required: ["ok", "color", "size"],
  };
  try {
    const r = await runLua(
      dir,
      `
local schema = JSON.parse(${JSON.stringify(JSON.stringify(schema))})
local agent = Agent.builder():model("tiny/tiny-llama"):max_tokens(200):response_format(schema):build()
local r = agent:execute("Describe a shirt as JSON.")
print(JSON.stringify({text = r.text, data = r.data}))
`,
    );
    assertEquals(r.code, 0, r.stderr);
    const j = lastJson(r.stdout) as { text: string; data: unknown };
    // Random weights left alone write gibberish; the grammar makes it the schema's JSON.
    const parsed = JSON.parse(j.text);
    assertEquals(parsed, j.data);
    const v = new Validator(schema, "2020-12").validate(parsed);
    assert(v.valid, `valid against the schema: ${JSON.stringify(v.errors)}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("local model: the model calls a Lua tool, gets its result and then answers", async () => {
  // A model that writes node-llama-cpp's function-call prefix whenever it may: it calls the
  // tool at once; its arguments are constrained to the tool's schema.
  const dir = await home({ favour: "||call:" }, "caller");
  try {
    const r = await runLua(
      dir,
      `
local seen = {}
Tool.register("pick_unit", {
  description = "Picks a temperature unit",
  parameters = {type = "object", properties = {unit = {enum = {"C", "F"}}}, required = {"unit"}},
  execute = function(p) seen[#seen + 1] = p.unit return {unit = p.unit, ok = true} end,
})
local agent = Agent.builder():model("tiny/caller"):max_tokens(64)
  :tools({"pick_unit"}):max_tool_calls(1):build()
local r = agent:execute("Which unit?")
print(JSON.stringify({
  seen = seen, calls = r.tool_calls, history = #agent:history(), usage = r.usage,
}))
`,
    );
    assertEquals(r.code, 0, r.stderr);
    const j = lastJson(r.stdout) as {
      seen: string[];
      calls: { name: string; arguments: { unit: string } }[];
      history: number;
      usage: { output_tokens: number };
    };
    assertEquals(j.seen.length, 1, "the Lua tool ran once");
    assert(["C", "F"].includes(j.seen[0]), `its argument follows the schema: ${j.seen[0]}`);
    assertEquals(j.calls.map((c) => c.name), ["pick_unit"]);
    assertEquals(j.calls[0].arguments.unit, j.seen[0]);
    // user, the model's call, the tool's result, the model's answer
    assertEquals(j.history, 4);
    assert(j.usage.output_tokens > 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("local model: the getting-started agent runs on it; an answer is at most a context long", async () => {
  const dir = await home();
  try {
    await Deno.writeTextFile(`${dir}/llmspell.toml`, "context_size = 256\n", { append: true });
    const example = new URL("../../examples/getting-started/03_first_agent.lua", import.meta.url);
    const r = await cli(["run", example.pathname, "--", "--model", "tiny/tiny-llama"], {
      cwd: dir,
      denoArgs: NO_LOCK,
    });
    assertEquals(r.code, 0, r.stderr);
    // No max_tokens and a model that never ends: the answer stops at the context's size.
    const [, input, output] = /(\d+) tokens in, (\d+) out, \$0\.000000\n$/.exec(r.stdout)!;
    assert(Number(input) > 0 && Number(output) > 0, r.stdout);
    assert(Number(output) <= 256, `${output} tokens`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("local model: a missing or broken model file is an error with a code and what to do", async () => {
  const dir = await home();
  try {
    await Deno.writeTextFile(
      `${dir}/llmspell.toml`,
      `[providers.tiny]\nprovider_type = "local"\nmodel_path = "models/absent.gguf"\n` +
        `[providers.junk]\nprovider_type = "local"\nmodel_path = "junk.gguf"\n` +
        `[providers.dir]\nprovider_type = "local"\nmodel_path = "."\n`,
    );
    await Deno.writeTextFile(`${dir}/junk.gguf`, "not a model");
    const r = await runLua(
      dir,
      `
local out = {}
local function try(model, input)
  local ok, e = pcall(function()
    return Agent.builder():model(model):max_tokens(2):build():execute(input)
  end)
  out[#out + 1] = ok and ("ok " .. e.usage.output_tokens) or (e.code .. ": " .. e.message)
end
for _, model in ipairs({"tiny/absent", "junk/junk", "dir/nothing", "dir/tiny-llama"}) do
  try(model, "hi")
end
try("dir/tiny-llama", {text = "what is this?", images = {"data:image/png;base64,AAAA"}})
print(JSON.stringify(out))
`,
    );
    assertEquals(r.code, 0, r.stderr);
    const [absent, junk, nothing, found, image] = JSON.parse(
      r.stdout.trim().split("\n").at(-1)!,
    );
    assertEquals(
      absent,
      "config: tiny: model_path models/absent.gguf does not exist: set [providers.tiny] model_path to a GGUF file (relative paths are read from the working directory)",
    );
    assert(junk.startsWith("config: junk: cannot load junk.gguf: "), junk);
    assertEquals(nothing, "config: dir: no model 'nothing': . has no file nothing.gguf");
    // A directory of models: "<provider>/<file name>".
    assertEquals(found, "ok 2");
    assertEquals(
      image,
      "bad_request: dir: images need a vision model, which a local provider does not run",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("local model: a run's calls are recorded; session replay answers them without the model", async () => {
  const dir = await home();
  try {
    const script = `
local agent = Agent.builder():model("tiny/tiny-llama"):max_tokens(12):build()
local r = agent:stream("hello", function(piece) end)
print(#r.text > 0, r.usage.output_tokens)
`;
    const r = await runLua(dir, script);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stdout.trim(), "true\t12");
    const list = await cli(["session", "list", "--output", "json"], {
      cwd: dir,
      denoArgs: NO_LOCK,
    });
    const id = JSON.parse(list.stdout)[0].id;
    // Without the model file, only the record can answer.
    await Deno.remove(`${dir}/tiny-llama.gguf`);
    const replayed = await cli(["session", "replay", id, "--output", "json"], {
      cwd: dir,
      denoArgs: NO_LOCK,
    });
    assertEquals(replayed.code, 0, replayed.stderr);
    assertEquals(JSON.parse(replayed.stdout), { session: id, executions: 1, divergences: [] });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("local model: timeout_ms limits the wait for the answer's first piece", async () => {
  const dir = await home();
  try {
    await Deno.writeTextFile(`${dir}/llmspell.toml`, "timeout_ms = 1\n", { append: true });
    const r = await runLua(
      dir,
      `
local agent = Agent.builder():model("tiny/tiny-llama"):max_tokens(8):build()
-- ~1000 tokens to evaluate before the first piece: far more than 1 ms.
local ok, e = pcall(agent.execute, agent, string.rep("hello world ", 500))
print(e.code .. ": " .. e.message)
`,
    );
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stdout.trim().split("\n").at(-1), "timeout: tiny: no answer within 1 ms");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("local model: a local provider without model_path is a configuration error; no script runs", async () => {
  const dir = await tempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/llmspell.toml`,
      `[providers.tiny]\nprovider_type = "local"\n`,
    );
    const r = await runLua(
      dir,
      `print("ran") Agent.builder():model("tiny/x"):build():execute("hi")`,
    );
    assertEquals(r.code, 1);
    assertEquals(r.stdout, "");
    assert(
      r.stderr.includes(
        'llmspell.toml:1:12: error: providers.tiny.model_path: provider "tiny" is local and needs model_path, the GGUF file to load (hint: add model_path = "models/<name>.gguf" (or a directory of them) under [providers.tiny])',
      ),
      r.stderr,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("kernel: interrupt_request stops a local model's generation and keeps the Lua state", async () => {
  const dir = await home();
  const k = await startKernel([], { home: dir, denoArgs: NO_LOCK });
  try {
    const r = await driver(["local_interrupt", k.connectionFile, "tiny/tiny-llama"], {}, DRIVER);
    assertEquals(r.code, 0, r.stderr);
    const j = r.json as Record<string, string | number>;
    assertEquals(j.pieces, 3);
    assertEquals(j.interrupt_reply, "ok");
    assertEquals(j.status, "error");
    assert(String(j.evalue).includes("interrupted"), String(j.evalue));
    assertEquals(j.after, "42");
    // The model was free again: a call after it got its answer (the endless one would have
    // kept it for minutes).
    assertEquals(j.next_call_tokens, "5");
    console.log(`generation stopped ${Number(j.stopped_ms).toFixed(0)} ms after the interrupt`);
    assert(Number(j.stopped_ms) < 2000, `stopped after ${j.stopped_ms} ms`);
  } finally {
    await k.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("local model: node-llama-cpp stays out of deno.json and deno.lock; install.sh fetches the version local.ts imports", async () => {
  // Deno reads the lockfile's npm snapshot at every start: with node-llama-cpp's ~120 packages
  // in it, every start from the sources took ~47 ms longer.
  const { NODE_LLAMA_CPP } = await import("../../src/providers/local.ts");
  const read = (file: string) => Deno.readTextFile(new URL(`../../${file}`, import.meta.url));
  for (const file of ["deno.json", "deno.lock"]) {
    assert(!(await read(file)).includes("node-llama-cpp"), `${file} names node-llama-cpp`);
  }
  for (const file of ["install.sh", "scripts/test.sh"]) {
    assert((await read(file)).includes(`"${NODE_LLAMA_CPP}"`), `${file} fetches another version`);
  }
});

Deno.test("local model: runs through the bundle as install.sh's launcher runs it (no config, offline)", async () => {
  const { build } = await import("../../scripts/build.ts");
  const dir = await home();
  try {
    await build(`${dir}/dist`);
    await Deno.writeTextFile(
      `${dir}/script.lua`,
      'print(Agent.builder():model("tiny/tiny-llama"):max_tokens(3):build():execute("hi").usage.output_tokens)\n',
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--quiet",
        "--no-prompt",
        "--no-config",
        "--cached-only",
        V8_FLAGS_ARG,
        `${dir}/dist/cli/main.js`,
        "run",
        "script.lua",
      ],
      cwd: dir,
      env: { NO_COLOR: "1", LLMSPELL_HOME: dir },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    assertEquals(out.code, 0, dec.decode(out.stderr));
    assertEquals(dec.decode(out.stdout), "3\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("local model: the package's own types fit the calls local.ts makes", async () => {
  // llama_binding.ts declares what local.ts uses; here the same calls are checked against the
  // package's declarations (values flowing in typed as ours, values coming out read as ours).
  const { NODE_LLAMA_CPP } = await import("../../src/providers/local.ts");
  const ours = new URL("../../src/providers/llama_binding.ts", import.meta.url).href;
  const dir = await tempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/check.ts`,
      `import type * as Real from "${NODE_LLAMA_CPP}";
import type * as Ours from "${ours}";
declare const real: typeof Real;
declare const history: Ours.ChatHistoryItem[];
declare const functions: Ours.ChatModelFunctions;
export const logLevel: Ours.Binding["LlamaLogLevel"] = real.LlamaLogLevel;
const llama = await real.getLlama({
  gpu: false,
  build: "never",
  logLevel: real.LlamaLogLevel.error,
  logger: () => {},
});
export const ourLlama: Ours.Llama = llama;
const model = await llama.loadModel({ modelPath: "m.gguf" });
export const ourModel: Ours.LlamaModel = model;
const context = await model.createContext({ contextSize: 1, sequences: 1, threads: 1 });
export const ourContext: Ours.LlamaContext = context;
const sequence = context.getSequence();
export const ourSequence: Ours.LlamaContextSequence = sequence;
const chat = new real.LlamaChat({ contextSequence: sequence });
const grammar = await llama.createGrammarForJsonSchema({ type: "object" });
export const ourGrammar: Ours.LlamaGrammar = grammar;
const options = {
  maxTokens: 1,
  temperature: 0,
  signal: new AbortController().signal,
  onTextChunk: (_text: string) => {},
};
// Tools' schemas are JSON from Lua: the package's schema type cannot be checked here.
export const ourResponses: Ours.LlamaChatResponse[] = [
  await chat.generateResponse(history, {
    ...options,
    functions: functions as Real.ChatModelFunctions,
  }),
  await chat.generateResponse(history, { ...options, grammar }),
];
`,
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["check", "--quiet", "--no-config", "--no-lock", "check.ts"],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    assertEquals(out.code, 0, dec.decode(out.stdout) + dec.decode(out.stderr));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
