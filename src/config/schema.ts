/**
 * The configuration schema: one declarative description of every key that drives
 * validation, defaults, environment overrides, the `config init` template and the docs.
 * The `Config` interface (types.ts) is its typed mirror; a unit test keeps the two in step.
 *
 * @module
 */
import { PROVIDER_TYPES, type ProviderConfig } from "../provider_config.ts";
import type { Config, FieldValue, SectionSpec, Spec, ToolSettings } from "./types.ts";

export { PROVIDER_TYPES };
export type { ProviderConfig };
export type * from "./types.ts";

const MiB = 1024 * 1024;

/** The schema. Key order here is the order of the template and of `config show`. */
export const SCHEMA: SectionSpec = {
  kind: "section",
  description: "llmspell configuration",
  fields: {
    engines: {
      kind: "section",
      description: "Script engines.",
      fields: {
        lua: {
          kind: "section",
          description: "The Lua 5.4 engine (wasmoon) that runs scripts.",
          fields: {
            security_level: {
              kind: "field",
              type: "string",
              enum: ["safe", "unrestricted"],
              default: "safe",
              description:
                '"safe" replaces io, os.execute, os.exit and package loading with sandboxed versions bounded by [runtime.security]; "unrestricted" gives scripts the full standard library.',
            },
            max_memory_bytes: {
              kind: "field",
              type: "integer",
              min: 0,
              default: 512 * MiB,
              description:
                "Memory limit of one Lua state in bytes; a cell that exceeds it fails and the engine stays usable. 0 = no limit.",
            },
            timeout_ms: {
              kind: "field",
              type: "integer",
              min: 0,
              default: 0,
              description: "Time limit of one execution (a script or a cell) in ms. 0 = none.",
            },
          },
        },
      },
    },
    runtime: {
      kind: "section",
      description: "Script execution.",
      fields: {
        security: {
          kind: "section",
          description: 'What sandboxed scripts (security_level = "safe") may touch.',
          fields: {
            allowed_paths: {
              kind: "field",
              type: "string[]",
              default: ["."],
              description:
                'Directories safe scripts may read and write, besides the script\'s own directory. Relative paths are resolved against the working directory; "." is the working directory itself.',
            },
          },
        },
      },
    },
    providers: {
      kind: "map",
      description:
        "LLM providers, one table per provider: [providers.<name>]. Scripts refer to a provider by <name>.",
      example: {
        name: "openai",
        values: {
          provider_type: "openai",
          api_key_env: "OPENAI_API_KEY",
          default_model: "gpt-4o-mini",
          timeout_ms: 60000,
        },
      },
      entry: {
        kind: "section",
        description: "One LLM provider.",
        fields: {
          provider_type: {
            kind: "field",
            type: "string",
            enum: PROVIDER_TYPES,
            description:
              "The provider's API. Defaults to the table name when that is a known type.",
          },
          base_url: {
            kind: "field",
            type: "string",
            format: "url",
            description: "API endpoint, for proxies and self-hosted servers.",
          },
          api_key: {
            kind: "field",
            type: "string",
            secret: true,
            description: "API key. Prefer api_key_env, which keeps the key out of this file.",
          },
          api_key_env: {
            kind: "field",
            type: "string",
            description: "Name of the environment variable that holds the API key.",
          },
          default_model: {
            kind: "field",
            type: "string",
            description: "Model used when a script does not name one.",
          },
          timeout_ms: {
            kind: "field",
            type: "integer",
            min: 0,
            default: 60000,
            description:
              "Time limit of one request in ms: for its answer to start, then between two pieces of a streamed answer. 0 = none.",
          },
          max_retries: {
            kind: "field",
            type: "integer",
            min: 0,
            max: 20,
            default: 3,
            description:
              "Retries of a request that failed with 429, 5xx or a network error, with exponential backoff and jitter; a Retry-After header sets the wait.",
          },
          max_concurrency: {
            kind: "field",
            type: "integer",
            min: 1,
            default: 8,
            description: "Requests to this provider in flight at once; more wait their turn.",
          },
          input_price: {
            kind: "field",
            type: "number",
            min: 0,
            description:
              "USD per million input tokens for every model of this provider, instead of the built-in price table.",
          },
          output_price: {
            kind: "field",
            type: "number",
            min: 0,
            description:
              "USD per million output tokens for every model of this provider, instead of the built-in price table.",
          },
          model_path: {
            kind: "field",
            type: "string",
            description:
              'provider_type = "local": a GGUF model file (its model is the file name without .gguf), or a directory of them ("<name>/<file name>"). Relative to the working directory.',
          },
          context_size: {
            kind: "field",
            type: "integer",
            min: 0,
            description:
              "provider_type = \"local\": the context window in tokens, at most the model's own (default 4096); 0 = the model's own.",
          },
          threads: {
            kind: "field",
            type: "integer",
            min: 0,
            description:
              'provider_type = "local": CPU threads for generation (default: one per core).',
          },
        },
      },
    },
    tools: {
      kind: "section",
      description: "Built-in tools that scripts can call.",
      extraTables:
        "Settings of one tool: [tools.<name>], keys as documented by that tool (http_request: allowed_hosts, blocked_hosts; archive_handler: max_bytes).",
      fields: {
        enabled: {
          kind: "field",
          type: "string[]",
          example: ["calculator", "http_request"],
          description:
            "Built-in tools scripts may use (llmspell tool list shows them). Unset = all; tools a script registers are always available.",
        },
      },
    },
    state: {
      kind: "section",
      description: "Persistent key-value state (stored in the llmspell database).",
      fields: {
        enabled: {
          kind: "field",
          type: "boolean",
          default: true,
          description:
            "Whether the State global persists between runs (false: values last as long as the process).",
        },
        backend: {
          kind: "field",
          type: "string",
          enum: ["sqlite"],
          default: "sqlite",
          description: "Storage backend.",
        },
        max_value_bytes: {
          kind: "field",
          type: "integer",
          min: 1024,
          max: 256 * MiB,
          default: 1 * MiB,
          description: "Largest value State stores, in bytes of its encoding.",
        },
      },
    },
    sessions: {
      kind: "section",
      description: "Sessions: recorded conversations, artifacts and events.",
      fields: {
        enabled: {
          kind: "field",
          type: "boolean",
          default: true,
          description: "Whether sessions are recorded.",
        },
        max_sessions: {
          kind: "field",
          type: "integer",
          min: 0,
          default: 1000,
          description: "Most sessions kept; the oldest are removed first. 0 = no limit.",
        },
        retention_days: {
          kind: "field",
          type: "integer",
          min: 0,
          default: 30,
          description: "Days a finished session is kept. 0 = forever.",
        },
        max_artifact_bytes: {
          kind: "field",
          type: "integer",
          min: 1,
          default: 64 * MiB,
          description: "Largest artifact Artifact.store and Artifact.store_file keep, in bytes.",
        },
      },
    },
    kernel: {
      kind: "section",
      description: "The Jupyter kernel (llmspell kernel start).",
      fields: {
        ip: {
          kind: "field",
          type: "string",
          format: "ip",
          default: "127.0.0.1",
          description:
            'Address the kernel binds. "0.0.0.0" exposes it to the network; connections are signed but not encrypted.',
        },
        transport: {
          kind: "field",
          type: "string",
          enum: ["tcp", "ipc"],
          default: "tcp",
          description: '"tcp" or "ipc" (Unix sockets in the runtime directory).',
        },
        port_base: {
          kind: "field",
          type: "integer",
          min: 0,
          max: 65535,
          default: 0,
          description: "First of the five ports. 0 = any free ports.",
        },
        idle_timeout_s: {
          kind: "field",
          type: "integer",
          min: 0,
          default: 0,
          description: "Shut down after this many seconds without a client request. 0 = never.",
        },
        interrupt_grace_ms: {
          kind: "field",
          type: "integer",
          min: 100,
          default: 2000,
          description:
            "How long a running cell may take to stop after an interrupt or restart before the kernel process is replaced (its Lua state is lost).",
        },
        heartbeat_interval_ms: {
          kind: "field",
          type: "integer",
          min: 0,
          default: 3000,
          description:
            "The kernel sends a ZMTP PING on a connection silent this long (ms) and closes one silent for 3 intervals, or still in its handshake after 3. 0 = never.",
        },
        max_connections: {
          kind: "field",
          type: "integer",
          min: 1,
          default: 256,
          description:
            "Most connections on each of the kernel's five ports; one more closes the oldest still in its handshake, else the unauthenticated one silent longest.",
        },
        max_message_bytes: {
          kind: "field",
          type: "integer",
          min: 4096,
          default: 67108864,
          description: "Largest message a client may send; a larger one drops its connection.",
        },
        max_unauthenticated_bytes: {
          kind: "field",
          type: "integer",
          min: 4096,
          default: 33554432,
          description:
            "Most bytes all peers that have not sent a signed message yet may have buffered in the kernel; beyond, the one holding most is dropped.",
        },
      },
    },
    debug: {
      kind: "section",
      description: "The debugger (llmspell debug, llmspell dap, JupyterLab).",
      fields: {
        enabled: {
          kind: "field",
          type: "boolean",
          default: true,
          description: "Whether debugging is allowed: false refuses llmspell debug, a launch of " +
            "llmspell dap (unless noDebug) and a kernel's debug_request.",
        },
        break_on_error: {
          kind: "field",
          type: "string",
          enum: ["never", "uncaught", "all"],
          default: "uncaught",
          description: "Where llmspell debug stops on a Lua error: never, only when uncaught, " +
            "or at every error (its catch command changes it for the session).",
        },
        dap_port: {
          kind: "field",
          type: "integer",
          min: 0,
          max: 65535,
          default: 0,
          description: "TCP port of llmspell dap --port when none is given. 0 = any free port.",
        },
      },
    },
    telemetry: {
      kind: "section",
      description:
        "OpenTelemetry traces (OTLP over HTTP through Deno's built-in exporter): spans of kernel requests, executions, LLM and tool calls. The standard OTEL_* variables work too.",
      fields: {
        enabled: {
          kind: "field",
          type: "boolean",
          default: false,
          description:
            "Export traces. Off: nothing is loaded and nothing is measured. Also on with OTEL_DENO=true.",
        },
        endpoint: {
          kind: "field",
          type: "string",
          default: "",
          description:
            'The OTLP/HTTP collector, e.g. "http://127.0.0.1:4318"; empty: OTEL_EXPORTER_OTLP_ENDPOINT, or the standard http://localhost:4318.',
        },
        protocol: {
          kind: "field",
          type: "string",
          enum: ["http/protobuf", "http/json"],
          default: "http/protobuf",
          description: "How spans are encoded (OTEL_EXPORTER_OTLP_PROTOCOL wins when set).",
        },
        service_name: {
          kind: "field",
          type: "string",
          default: "llmspell",
          description: "The service.name of the spans (OTEL_SERVICE_NAME wins when set).",
        },
      },
    },
    repl: {
      kind: "section",
      description: "The interactive REPL (history lives in the llmspell database).",
      fields: {
        history_size: {
          kind: "field",
          type: "integer",
          min: 0,
          default: 10000,
          description: "Entries of history kept. 0 = don't keep history.",
        },
        prompt: {
          kind: "field",
          type: "string",
          default: "llmspell> ",
          description: "The prompt.",
        },
        highlight: {
          kind: "field",
          type: "boolean",
          default: true,
          description: "Syntax highlighting of input (off when the terminal has no colour).",
        },
      },
    },
  },
};

/** The configuration with every default and nothing else (no providers, no tool tables). */
export function defaultConfig(): Config {
  return buildDefaults(SCHEMA) as unknown as Config;
}

/** Defaults of one section: fields with a default, sections recursively, maps empty. */
export function buildDefaults(spec: SectionSpec): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(spec.fields)) {
    if (child.kind === "section") out[key] = buildDefaults(child);
    else if (child.kind === "map") out[key] = {};
    else if (child.default !== undefined) out[key] = cloneValue(child.default);
  }
  return out;
}

function cloneValue(v: FieldValue): FieldValue {
  return Array.isArray(v) ? [...v] : v;
}

/** Free-form settings of one tool (`[tools.<name>]`); empty when the table is absent. */
export function toolSettings(config: Config, tool: string): ToolSettings {
  const v = tool === "enabled" ? undefined : config.tools[tool];
  return v !== undefined && !Array.isArray(v) ? v : {};
}

/** The schema node at a key path, or undefined. Map entries match any name. */
export function specAt(path: readonly string[]): Spec | undefined {
  let node: Spec = SCHEMA;
  for (const seg of path) {
    if (node.kind === "section") {
      const next: Spec | undefined = node.fields[seg];
      if (next === undefined) return undefined;
      node = next;
    } else if (node.kind === "map") node = node.entry;
    else return undefined;
  }
  return node;
}

/** Key names whose values are secrets even when the schema does not say so. */
const SECRET_NAME = /(token|secret|password|passwd|api_?key|credential|private_key)/i;

/**
 * Whether the value at `path` must be masked: schema fields marked secret, and any key
 * whose name suggests a secret (tokens, passwords, API keys in tool settings). Keys
 * ending in `_env` name an environment variable rather than hold its value.
 */
export function isSecretPath(path: readonly string[]): boolean {
  const spec = specAt(path);
  if (spec?.kind === "field") {
    if (spec.secret) return true;
    if (spec.type !== "string") return false;
  }
  const name = path[path.length - 1] ?? "";
  return SECRET_NAME.test(name) && !/_env$/i.test(name);
}
