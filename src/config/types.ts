/**
 * The configuration's types: the schema's nodes (FieldSpec, SectionSpec, MapSpec) and `Config`,
 * the typed mirror of the schema (schema.ts), which a unit test keeps in step with it.
 *
 * @module
 */
import type { ProviderConfig } from "../provider_config.ts";

/** The value types a configuration key can hold. */
export type FieldType = "string" | "integer" | "number" | "boolean" | "string[]";

/** A value a schema field can hold after validation. */
export type FieldValue = string | number | boolean | string[];

/** A free-form value (per-tool settings): whatever TOML can express, dates as ISO strings. */
export type ConfigValue = string | number | boolean | ConfigValue[] | {
  [key: string]: ConfigValue;
};

/** One key with a value. */
export interface FieldSpec {
  readonly kind: "field";
  readonly type: FieldType;
  /** One or two sentences for the template and the docs. */
  readonly description: string;
  /** Absent means the key is optional and unset by default. */
  readonly default?: FieldValue;
  /** Allowed strings (for `string[]`, allowed items). */
  readonly enum?: readonly string[];
  /** Inclusive bounds of an integer or a number. */
  readonly min?: number;
  readonly max?: number;
  /** Extra syntactic check for strings. */
  readonly format?: "url" | "ip";
  /** Masked by `config show`; never echoed in diagnostics. */
  readonly secret?: boolean;
  /** Shown (commented out) in the template when there is no default. */
  readonly example?: FieldValue;
}

/** A TOML table with a fixed set of keys. */
export interface SectionSpec {
  readonly kind: "section";
  readonly description: string;
  readonly fields: Readonly<Record<string, Spec>>;
  /**
   * When set, keys other than `fields` are allowed, each a table of free-form settings
   * (`[tools.<name>]`); the string describes them.
   */
  readonly extraTables?: string;
}

/** A table of user-named tables that share one shape (`[providers.<name>]`). */
export interface MapSpec {
  readonly kind: "map";
  readonly description: string;
  readonly entry: SectionSpec;
  /** An entry shown (commented out) in the template. */
  readonly example: {
    readonly name: string;
    readonly values: Readonly<Record<string, FieldValue>>;
  };
}

/** Any node of the schema. */
export type Spec = FieldSpec | SectionSpec | MapSpec;

/** `[engines.lua]` */
export interface LuaEngineConfig {
  security_level: "safe" | "unrestricted";
  max_memory_bytes: number;
  timeout_ms: number;
}

/** `[runtime.security]` */
export interface SecurityConfig {
  allowed_paths: string[];
}

/** `[runtime]` */
export interface RuntimeConfig {
  security: SecurityConfig;
}

/** Per-tool settings from `[tools.<name>]`, free-form. */
export type ToolSettings = { [key: string]: ConfigValue };

/** `[tools]`: `enabled` plus one free-form table per tool. Read tables with `toolSettings`. */
export interface ToolsConfig {
  enabled?: string[];
  [tool: string]: string[] | ToolSettings | undefined;
}

/** `[state]` */
export interface StateConfig {
  enabled: boolean;
  backend: "sqlite";
  max_value_bytes: number;
}

/** `[sessions]` */
export interface SessionsConfig {
  enabled: boolean;
  max_sessions: number;
  retention_days: number;
  max_artifact_bytes: number;
}

/** `[kernel]` */
export interface KernelConfig {
  ip: string;
  transport: "tcp" | "ipc";
  port_base: number;
  idle_timeout_s: number;
  interrupt_grace_ms: number;
  heartbeat_interval_ms: number;
  max_connections: number;
  max_message_bytes: number;
  max_unauthenticated_bytes: number;
}

/** `[debug]` */
export interface DebugConfig {
  enabled: boolean;
  break_on_error: "never" | "uncaught" | "all";
  dap_port: number;
}

/** `[telemetry]` */
export interface TelemetryConfig {
  enabled: boolean;
  endpoint: string;
  protocol: "http/protobuf" | "http/json";
  service_name: string;
}

/** `[repl]` */
export interface ReplConfig {
  history_size: number;
  prompt: string;
  highlight: boolean;
}

/** The whole validated configuration, every default filled in. */
export interface Config {
  engines: { lua: LuaEngineConfig };
  runtime: RuntimeConfig;
  providers: Record<string, ProviderConfig>;
  tools: ToolsConfig;
  state: StateConfig;
  sessions: SessionsConfig;
  kernel: KernelConfig;
  debug: DebugConfig;
  repl: ReplConfig;
  telemetry: TelemetryConfig;
}
