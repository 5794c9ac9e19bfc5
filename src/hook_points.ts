/**
 * The points the `Hook` global runs hooks at, with their phase: the Lua side dispatches by it
 * (src/api/hook_lua.ts) and the validator checks a point named in a script against it
 * (src/validate/api_check.ts); it lives here, below both, so that it is written once.
 */

/** before: the call's input; after: its result; error: what it raised. */
export type HookPhase = "before" | "after" | "error";

/** In the order `Hook.points()` gives them, following rs-llmspell's names. */
export const HOOK_POINTS: Readonly<Record<string, HookPhase>> = {
  BeforeAgentExecution: "before",
  AfterAgentExecution: "after",
  AgentError: "error",
  BeforeToolExecution: "before",
  AfterToolExecution: "after",
  ToolError: "error",
  BeforeWorkflowStart: "before",
  AfterWorkflowComplete: "after",
  WorkflowError: "error",
  BeforeWorkflowStage: "before",
  AfterWorkflowStage: "after",
};
