/**
 * The built-in tools: their descriptions and parameter schemas, with no implementation
 * loaded (each is imported at its first use, so `Tool.list()` costs nothing).
 *
 * @module
 */
import type { JsonObject, ToolSpec } from "./types.ts";

function obj(properties: JsonObject, required: string[] = []): JsonObject {
  return { type: "object", properties, required, additionalProperties: false };
}
const str = (description: string): JsonObject => ({ type: "string", description });
const oneOf = (values: string[], description: string): JsonObject => ({
  type: "string",
  enum: values,
  description,
});

export const BUILT_IN_TOOLS: readonly ToolSpec[] = [
  {
    name: "calculator",
    category: "utility",
    description:
      "Evaluates an arithmetic expression safely: + - * / % ^, comparisons, parentheses, variables, and math functions (sqrt, sin, cos, tan, log, exp, abs, floor, ceil, round, min, max, pow) and constants (pi, e).",
    parameters: obj({
      expression: str("The expression, e.g. '2 * (3 + 4) ^ 2'"),
      variables: {
        type: "object",
        description: "Values of names used in the expression",
        additionalProperties: { type: "number" },
      },
    }, ["expression"]),
    load: () => import("./calculator.ts"),
  },
  {
    name: "hash_calculator",
    category: "utility",
    description: "Computes a hash of a text: md5, sha1, sha256 or sha512, as hex or base64.",
    parameters: obj({
      input: str("The text to hash"),
      algorithm: oneOf(["md5", "sha1", "sha256", "sha512"], "Default sha256"),
      encoding: oneOf(["hex", "base64"], "Default hex"),
    }, ["input"]),
    load: () => import("./basic.ts").then((m) => ({ run: m.hash })),
  },
  {
    name: "uuid_generator",
    category: "utility",
    description:
      "Generates UUIDs: version 4 (random), 7 (time-ordered) or 5 (from a name and a namespace UUID).",
    parameters: obj({
      version: { type: "integer", enum: [4, 5, 7], description: "Default 4" },
      count: { type: "integer", minimum: 1, maximum: 1000, description: "How many; default 1" },
      name: str("For version 5"),
      namespace: str("For version 5: a UUID, or dns, url"),
    }),
    load: () => import("./basic.ts").then((m) => ({ run: m.uuid })),
  },
  {
    name: "base64_encoder",
    category: "data",
    description:
      "Encodes a text to base64 or decodes base64 to text (url_safe for the URL alphabet).",
    parameters: obj({
      operation: oneOf(["encode", "decode"], "encode or decode"),
      input: str("The text or the base64"),
      url_safe: { type: "boolean", description: "Use - and _ instead of + and /, no padding" },
    }, ["operation", "input"]),
    load: () => import("./basic.ts").then((m) => ({ run: m.base64 })),
  },
  {
    name: "date_time_handler",
    category: "utility",
    description:
      "Dates and times: now, parse a date, format it (YYYY-MM-DD HH:mm:ss tokens, MMMM, dddd, Z), add an amount of a unit, or the difference between two dates in a unit.",
    parameters: obj({
      operation: oneOf(["now", "parse", "format", "add", "diff"], "What to do"),
      date: str("An ISO 8601 date (parse, format, add, diff); default now"),
      other: str("The second date of diff"),
      format: str("A format such as 'YYYY-MM-DD HH:mm' (format)"),
      amount: { type: "number", description: "For add" },
      unit: oneOf(
        ["millisecond", "second", "minute", "hour", "day", "week", "month", "year"],
        "For add and diff",
      ),
      utc: { type: "boolean", description: "Work in UTC rather than local time" },
    }, ["operation"]),
    load: () => import("./date_time.ts"),
  },
  {
    name: "json_processor",
    category: "data",
    description:
      "Queries JSON with a JSONPath expression ($.store.book[*].author), or validates it (parse).",
    parameters: obj({
      input: { description: "The JSON, as text or as a value" },
      query: str("A JSONPath expression; without one, the parsed input"),
    }, ["input"]),
    load: () => import("./json_processor.ts"),
  },
  {
    name: "text_manipulator",
    category: "data",
    description:
      "Transforms text: uppercase, lowercase, reverse, trim, length, word_count, replace (pattern, replacement), split (separator), snake_case, camel_case, kebab_case, pascal_case, title_case.",
    parameters: obj({
      operation: oneOf([
        "uppercase",
        "lowercase",
        "reverse",
        "trim",
        "length",
        "word_count",
        "replace",
        "split",
        "snake_case",
        "camel_case",
        "kebab_case",
        "pascal_case",
        "title_case",
      ], "What to do"),
      text: str("The text"),
      pattern: str("For replace: the text to find (every occurrence)"),
      replacement: str("For replace"),
      separator: str("For split; default a space"),
    }, ["operation", "text"]),
    load: () => import("./text.ts"),
  },
  {
    name: "template_engine",
    category: "data",
    description: "Renders a Mustache template ({{name}}, {{#list}}...{{/list}}) with values.",
    parameters: obj({
      template: str("The template"),
      values: { type: "object", description: "The values it names" },
    }, ["template"]),
    load: () => import("./text.ts").then((m) => ({ run: m.template })),
  },
  {
    name: "diff_calculator",
    category: "data",
    description:
      "The differences between two texts, by line, word or character, as a unified diff or as parts.",
    parameters: obj({
      old: str("The first text"),
      new: str("The second text"),
      mode: oneOf(["unified", "lines", "words", "chars"], "Default unified"),
    }, ["old", "new"]),
    load: () => import("./text.ts").then((m) => ({ run: m.diff })),
  },
  {
    name: "csv_analyzer",
    category: "data",
    description:
      "Parses CSV (with a header row) into rows, and gives the columns, the row count and per numeric column min, max, mean, sum.",
    parameters: obj({
      input: str("The CSV text (or use path)"),
      path: str("A CSV file inside the allowed paths"),
      delimiter: str("Default: detected"),
    }),
    load: () => import("./csv.ts"),
  },
  {
    name: "file_operations",
    category: "filesystem",
    description:
      "Reads, writes, appends, lists, checks, stats, deletes files and makes directories, inside the sandbox's allowed paths.",
    parameters: obj({
      operation: oneOf(
        ["read", "write", "append", "list", "exists", "stat", "delete", "mkdir"],
        "What to do",
      ),
      path: str("The file or directory"),
      content: str("For write and append"),
    }, ["operation", "path"]),
    load: () => import("./files.ts"),
  },
  {
    name: "http_request",
    category: "web",
    description:
      "Sends an HTTP request and returns status, headers and body ([tools.http_request] allowed_hosts and blocked_hosts limit where).",
    parameters: obj({
      url: str("http or https URL"),
      method: oneOf(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"], "Default GET"),
      headers: { type: "object", additionalProperties: { type: "string" } },
      body: { description: "Text, or a value sent as JSON" },
      timeout_ms: { type: "integer", minimum: 1, description: "Default 30000" },
    }, ["url"]),
    load: () => import("./http.ts"),
  },
  {
    name: "file_search",
    category: "filesystem",
    description:
      "Finds files under a directory by glob pattern (**/*.lua) and, with content, the lines that contain a text or match a regular expression, inside the sandbox's allowed paths.",
    parameters: obj({
      path: str("The directory to search; default the current one"),
      pattern: str("A glob on the path relative to it, e.g. '**/*.md'; default every file"),
      content: str("Find lines containing this text (or matching it, with regex)"),
      regex: { type: "boolean", description: "content is a regular expression" },
      ignore_case: { type: "boolean", description: "Match content ignoring case" },
      include_hidden: {
        type: "boolean",
        description: "Also walk hidden entries and .git/node_modules",
      },
      max_results: { type: "integer", minimum: 1, maximum: 10000, description: "Default 100" },
    }),
    load: () => import("./file_search.ts"),
  },
  {
    name: "archive_handler",
    category: "filesystem",
    description:
      "Lists, extracts or creates zip, tar and tar.gz archives inside the sandbox's allowed paths; entries that would escape the destination are refused.",
    parameters: obj({
      operation: oneOf(["list", "extract", "create"], "What to do"),
      path: str("The archive"),
      format: oneOf(["zip", "tar", "tar.gz"], "Default: from the archive's name"),
      destination: str("For extract: the directory; default the current one"),
      files: {
        type: "array",
        items: { type: "string" },
        description: "For create: files and directories, relative to base",
      },
      base: str("For create: the directory files are relative to; default the current one"),
    }, ["operation", "path"]),
    load: () => import("./archive.ts"),
  },
  {
    name: "process_executor",
    category: "system",
    description:
      "Runs a program with arguments (no shell) and returns its exit code, stdout and stderr; only with security_level = unrestricted.",
    parameters: obj({
      command: str("The program, on PATH or as a path"),
      args: { type: "array", items: { type: "string" }, description: "Its arguments" },
      cwd: str("The directory to run in"),
      env: {
        type: "object",
        additionalProperties: { type: "string" },
        description: "Variables added to the environment",
      },
      stdin: str("Text written to its standard input"),
      timeout_ms: { type: "integer", minimum: 1, description: "Default 30000" },
    }, ["command"]),
    load: () => import("./process.ts"),
  },
  {
    name: "system_monitor",
    category: "system",
    description:
      "The machine's load average, memory, uptime and the free space of a disk, and this process's memory.",
    parameters: obj({
      path: str("A path whose disk is measured; default the current directory"),
    }),
    load: () => import("./system_monitor.ts"),
  },
  {
    name: "database_connector",
    category: "data",
    description:
      "SQL on a SQLite database file: query (read-only, rows as objects), execute (statements in one transaction), tables, schema of a table.",
    parameters: obj({
      database: str("The database file (inside the allowed paths)"),
      operation: oneOf(["query", "execute", "tables", "schema"], "Default query"),
      sql: str("For query and execute"),
      params: {
        description: "Values bound to ? (a list) or to :name (an object)",
        type: ["array", "object"],
      },
      table: str("For schema"),
    }, ["database"]),
    load: () => import("./database.ts"),
  },
  {
    name: "environment_reader",
    category: "system",
    description:
      "Reads environment variables (one, or those starting with a prefix); variables that look like secrets (KEY, TOKEN, SECRET, PASSWORD) are withheld.",
    parameters: obj({
      name: str("One variable"),
      prefix: str("Every variable starting with this"),
    }),
    load: () => import("./basic.ts").then((m) => ({ run: m.environment })),
  },
];

export function builtInTool(name: string): ToolSpec | undefined {
  return BUILT_IN_TOOLS.find((t) => t.name === name);
}
