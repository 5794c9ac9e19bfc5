/**
 * A local GGUF model, run in this process by llama.cpp through `node-llama-cpp` (its prebuilt
 * binary comes as an npm package). The package is imported at the first call of a
 * `provider_type = "local"` provider and never before: its specifier is not a string literal,
 * so neither Deno's module graph at start-up nor `deno compile` sees it
 * (docs/decisions/0025-local-gguf-models.md).
 *
 * One model is loaded once per process and file, with one context and one sequence; calls to
 * it take turns. `LlamaChat` renders the history with the model's chat template, keeps the
 * evaluated prefix that the next call shares, calls functions (tool calls, constrained to their
 * JSON schemas by a grammar) and constrains a structured answer to its schema by a grammar.
 *
 * @module
 */
import type {
  Binding,
  ChatHistoryItem,
  ChatModelFunctionCall,
  ChatModelFunctions,
  Llama,
  LlamaChat,
  LlamaContextSequence,
  LlamaGrammar,
  LlamaModel,
} from "./llama_binding.ts";
import type {
  ChatMessage,
  ChatRequest,
  ChatResult,
  Json,
  OnText,
  ProviderApi,
  ResolvedProvider,
  ToolCall,
} from "./types.ts";
import { ProviderError } from "./types.ts";

/** A loaded model and what a call needs of it. */
interface Loaded {
  llama: Llama;
  model: LlamaModel;
  sequence: LlamaContextSequence;
  chat: LlamaChat;
  /** The end of the last call: the next one starts after it. */
  turn: Promise<void>;
}

let binding: Promise<Binding> | undefined;
let llama: Promise<Llama> | undefined;
const models = new Map<string, Promise<Loaded>>();

function why(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0];
}

/**
 * The package, by its full specifier: not in deno.json, whose lockfile Deno reads at every
 * start; it resolves from the sources (installed into node_modules at the first call) and from
 * the bundle, which runs without a config (Deno's npm cache, where install.sh puts it).
 */
export const NODE_LLAMA_CPP = "npm:node-llama-cpp@3.21.1";

function importBinding(p: ResolvedProvider): Promise<Binding> {
  // A computed specifier: Deno neither loads it at start-up nor bundles or compiles it in.
  const specifier = String(NODE_LLAMA_CPP);
  binding ??= (import(specifier) as Promise<Binding>).catch((e) => {
    binding = undefined;
    throw new ProviderError(
      "provider_unavailable",
      `${p.name}: cannot load node-llama-cpp, which runs local models: ${why(e)}; ` +
        "fetch it once with `LOCAL_MODELS=1 bash install.sh` (~700 MB); " +
        "a compiled executable cannot load it: use the launcher or `deno task start`",
    );
  });
  return binding;
}

function getLlama(p: ResolvedProvider, b: Binding): Promise<Llama> {
  llama ??= b.getLlama({
    // The prebuilt CPU binary from npm: never build llama.cpp here, never download.
    gpu: false,
    build: "never",
    logLevel: b.LlamaLogLevel.error,
    logger: () => {},
  }).catch((e: unknown) => {
    llama = undefined;
    throw new ProviderError(
      "provider_unavailable",
      `${p.name}: node-llama-cpp has no binary for this machine: ${why(e)}`,
    );
  });
  return llama;
}

/** The GGUF file of `model` (a file's stem, or the file name in a directory of models). */
export async function modelFile(p: ResolvedProvider, model: string): Promise<string> {
  const path = p.modelPath;
  if (!path) {
    throw new ProviderError(
      "config",
      `${p.name}: no model_path: set [providers.${p.name}] model_path to a GGUF file or a directory of them`,
    );
  }
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch {
    throw new ProviderError(
      "config",
      `${p.name}: model_path ${path} does not exist: set [providers.${p.name}] model_path to a GGUF file (relative paths are read from the working directory)`,
    );
  }
  if (info.isFile) {
    const stem = modelName(path);
    if (model !== stem) {
      throw new ProviderError(
        "config",
        `${p.name}: no model '${model}': model_path ${path} holds one model, '${stem}'`,
      );
    }
    return path;
  }
  for (const name of [`${model}.gguf`, model]) {
    const file = `${path.replace(/\/+$/, "")}/${name}`;
    if ((await Deno.stat(file).catch(() => undefined))?.isFile) return file;
  }
  throw new ProviderError(
    "config",
    `${p.name}: no model '${model}': ${path} has no file ${model}.gguf`,
  );
}

/** A model's name: its file name without `.gguf`. */
export function modelName(path: string): string {
  return (path.split("/").pop() ?? path).replace(/\.gguf$/i, "");
}

function load(p: ResolvedProvider, file: string): Promise<Loaded> {
  const key = `${file}\0${p.contextSize}\0${p.threads}`;
  let loaded = models.get(key);
  if (loaded) return loaded;
  loaded = (async () => {
    const b = await importBinding(p);
    const l = await getLlama(p, b);
    let model: LlamaModel;
    try {
      model = await l.loadModel({ modelPath: file });
    } catch (e) {
      throw new ProviderError("config", `${p.name}: cannot load ${file}: ${why(e)}`);
    }
    const size = Math.min(p.contextSize || Infinity, model.trainContextSize);
    const context = await model.createContext({
      contextSize: size,
      sequences: 1,
      ...(p.threads ? { threads: p.threads } : {}),
    });
    const sequence = context.getSequence();
    const chat = new b.LlamaChat({ contextSequence: sequence });
    return { llama: l, model, sequence, chat, turn: Promise.resolve() };
  })();
  loaded.catch(() => models.delete(key));
  models.set(key, loaded);
  return loaded;
}

/** The result a tool message carries, as the model's chat template shows it. */
function toolResult(content: string): Json {
  try {
    return JSON.parse(content);
  } catch {
    return content;
  }
}

/** The neutral history as node-llama-cpp's: a tool result joins the call it answers. */
export function history(req: ChatRequest): ChatHistoryItem[] {
  const out: ChatHistoryItem[] = [];
  if (req.system) out.push({ type: "system", text: req.system });
  const calls = new Map<string, ChatModelFunctionCall>();
  for (const m of req.messages as ChatMessage[]) {
    if (m.role === "user") {
      out.push({ type: "user", text: m.content });
    } else if (m.role === "assistant") {
      const response: (string | ChatModelFunctionCall)[] = m.content ? [m.content] : [];
      for (const c of m.tool_calls ?? []) {
        const call: ChatModelFunctionCall = {
          type: "functionCall",
          name: c.name,
          params: c.arguments,
          result: null,
        };
        calls.set(c.id, call);
        response.push(call);
      }
      out.push({ type: "model", response });
    } else {
      const call = calls.get(m.tool_call_id ?? "");
      if (call) call.result = toolResult(m.content);
    }
  }
  // The model answers in a model turn: a new one after a user message, the same one after
  // its own tool calls.
  if (out.at(-1)?.type !== "model" || req.messages.at(-1)?.role === "assistant") {
    out.push({ type: "model", response: [] });
  }
  return out;
}

function functions(req: ChatRequest): ChatModelFunctions | undefined {
  if (!req.tools?.length) return undefined;
  return Object.fromEntries(
    req.tools.map((t) => [t.name, { description: t.description, params: t.parameters }]),
  ) as ChatModelFunctions;
}

const FINISH: Record<string, string> = {
  eogToken: "stop",
  stopGenerationTrigger: "stop",
  customStopTrigger: "stop",
  maxTokens: "length",
  functionCalls: "tool_calls",
};

let callIds = 0;

async function generate(
  p: ResolvedProvider,
  m: Loaded,
  req: ChatRequest,
  signal: AbortSignal,
  onText: OnText | undefined,
): Promise<ChatResult> {
  if (req.messages.some((msg) => msg.images?.length)) {
    throw new ProviderError(
      "bad_request",
      `${p.name}: images need a vision model, which a local provider does not run`,
    );
  }
  const fns = functions(req);
  // node-llama-cpp takes a grammar or functions, not both: with tools the answer is free text,
  // parsed as JSON when a schema was asked for.
  let grammar: LlamaGrammar | undefined;
  if (req.response_format && !fns) {
    try {
      grammar = await m.llama.createGrammarForJsonSchema(req.response_format);
    } catch (e) {
      throw new ProviderError("bad_request", `${p.name}: the response schema: ${why(e)}`);
    }
  }
  const controller = new AbortController();
  let reason: ProviderError | undefined;
  const abort = (e: ProviderError) => {
    reason ??= e;
    controller.abort();
  };
  const onCancel = () => abort(new ProviderError("cancelled", "the call was cancelled"));
  signal.addEventListener("abort", onCancel, { once: true });
  // The time limit runs until the first piece of the answer, then between two pieces.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    if (p.timeoutMs <= 0) return;
    clearTimeout(timer);
    timer = setTimeout(
      () => abort(new ProviderError("timeout", `${p.name}: no answer within ${p.timeoutMs} ms`)),
      p.timeoutMs,
    );
  };
  arm();
  const before = m.sequence.tokenMeter.getState();
  try {
    if (signal.aborted) onCancel();
    const r = await m.chat.generateResponse(
      history(req),
      {
        ...(fns ? { functions: fns } : { grammar }),
        // A model that never writes its end token would go on for ever (the context shifts):
        // without max_tokens, an answer is at most a context window long.
        maxTokens: req.max_tokens ?? m.sequence.contextSize,
        temperature: req.temperature,
        signal: controller.signal,
        onTextChunk: (text: string) => {
          arm();
          onText?.(text);
        },
      },
    );
    if (reason) throw reason;
    const used = m.sequence.tokenMeter.diff(before);
    const toolCalls: ToolCall[] = (r.functionCalls ?? []).map((c) => ({
      id: `call_${++callIds}`,
      name: c.functionName,
      arguments: (c.params ?? {}) as ToolCall["arguments"],
    }));
    const result: ChatResult = {
      text: r.response,
      tool_calls: toolCalls,
      usage: { input_tokens: used.usedInputTokens, output_tokens: used.usedOutputTokens },
      model: modelName(req.model),
      finish_reason: FINISH[r.metadata.stopReason] ?? r.metadata.stopReason,
    };
    if (req.response_format && toolCalls.length === 0) {
      try {
        result.data = JSON.parse(r.response);
      } catch {
        throw new ProviderError(
          "invalid_response",
          `${p.name}: a structured answer was asked for and the answer is not JSON${
            result.finish_reason === "length" ? " (it reached max_tokens)" : ""
          }: ${r.response.slice(0, 80)}`,
        );
      }
    }
    return result;
  } catch (e) {
    if (reason) throw reason;
    if (e instanceof ProviderError) throw e;
    throw new ProviderError("invalid_response", `${p.name}: generation failed: ${why(e)}`);
  } finally {
    clearTimeout(timer);
    signal.removeEventListener("abort", onCancel);
  }
}

/** Waits for the model's previous call to end, or for `signal`. */
function waitTurn(previous: Promise<void>, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const stop = () => reject(new ProviderError("cancelled", "the call was cancelled"));
    if (signal.aborted) return stop();
    signal.addEventListener("abort", stop, { once: true });
    previous.then(() => {
      signal.removeEventListener("abort", stop);
      resolve();
    });
  });
}

export const LOCAL: ProviderApi = {
  async chat(p, req, signal, onText) {
    const file = await modelFile(p, req.model);
    const m = await load(p, file);
    const previous = m.turn;
    let done!: () => void;
    const mine = new Promise<void>((resolve) => done = resolve);
    // The next call waits for this one and for every one before it, even if this one is
    // cancelled while it waits.
    m.turn = Promise.all([previous, mine]).then(() => {});
    try {
      await waitTurn(previous, signal);
      return await generate(p, m, { ...req, model: file }, signal, onText);
    } finally {
      done();
    }
  },
};
