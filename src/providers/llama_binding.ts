/**
 * The part of node-llama-cpp's API that `local.ts` uses, declared here rather than imported
 * from the package: the package stays out of deno.json and deno.lock, whose npm snapshot Deno
 * reads at every start (docs/decisions/0025-local-gguf-models.md). tests/llm/local_test.ts
 * type-checks the real package against these declarations, so a version that drifts from them
 * fails there.
 *
 * @module
 */

/** A function call in a model turn, with the result the tool gave (null until it answers). */
export interface ChatModelFunctionCall {
  type: "functionCall";
  name: string;
  params: unknown;
  result: unknown;
}

/** One turn of the conversation as LlamaChat takes it. */
export type ChatHistoryItem =
  | { type: "system"; text: string }
  | { type: "user"; text: string }
  | { type: "model"; response: (string | ChatModelFunctionCall)[] };

/** The tools a model may call: name → description and JSON schema of the arguments. */
export type ChatModelFunctions = Record<
  string,
  { readonly description?: string; readonly params?: unknown }
>;

/** A grammar that holds the answer to a JSON schema; only passed back to the library. */
export interface LlamaGrammar {
  readonly grammar: string;
}

/** Token counts of a sequence at one moment. */
export interface TokenMeterState {
  usedInputTokens: number;
  usedOutputTokens: number;
}

export interface LlamaContextSequence {
  readonly contextSize: number;
  readonly tokenMeter: {
    getState(): TokenMeterState;
    diff(state: TokenMeterState): TokenMeterState;
  };
}

export interface LlamaContext {
  getSequence(): LlamaContextSequence;
}

export interface LlamaModel {
  readonly trainContextSize: number;
  createContext(options: {
    contextSize: number;
    sequences: number;
    threads?: number;
  }): Promise<LlamaContext>;
}

export interface Llama {
  loadModel(options: { modelPath: string }): Promise<LlamaModel>;
  /** The schema is checked by the library's own parser. */
  createGrammarForJsonSchema(schema: unknown): Promise<LlamaGrammar>;
}

/** What one `generateResponse` gives back. */
export interface LlamaChatResponse {
  response: string;
  functionCalls?: readonly { functionName: string; params: unknown }[];
  metadata: { stopReason: string };
}

/** Options of one `generateResponse`: functions to call or a grammar, never both. */
export type GenerateOptions =
  & {
    maxTokens?: number;
    temperature?: number;
    signal?: AbortSignal;
    onTextChunk?: (text: string) => void;
  }
  & ({ functions: ChatModelFunctions; grammar?: undefined } | {
    functions?: undefined;
    grammar?: LlamaGrammar;
  });

export interface LlamaChat {
  generateResponse(
    history: ChatHistoryItem[],
    options: GenerateOptions,
  ): Promise<LlamaChatResponse>;
}

/** The package's exports that `local.ts` uses. */
export interface Binding {
  /** The check of this declaration makes the same call with the package's own types. */
  getLlama(options: {
    gpu: false;
    build: "never";
    logLevel: unknown;
    logger: () => void;
  }): Promise<Llama>;
  readonly LlamaLogLevel: { readonly error: unknown };
  readonly LlamaChat: new (options: { contextSequence: LlamaContextSequence }) => LlamaChat;
}
