// The llmspell debugger for VS Code: the debug adapter is `llmspell dap`, started on stdio for
// each debug session. Plain CommonJS so that the extension needs no build step.
"use strict";
const vscode = require("vscode");

/** Starts `<llmspell.path> dap` for a session. */
const adapterFactory = {
  createDebugAdapterDescriptor(session) {
    const program = vscode.workspace.getConfiguration("llmspell", session.workspaceFolder)
      .get("path") || "llmspell";
    const cwd = session.workspaceFolder ? session.workspaceFolder.uri.fsPath : undefined;
    return new vscode.DebugAdapterExecutable(program, ["dap"], cwd ? { cwd } : {});
  },
};

/** F5 without a launch.json: run the Lua file in the active editor. */
const configurationProvider = {
  resolveDebugConfiguration(_folder, config) {
    if (!config.type && !config.request && !config.name) {
      const editor = vscode.window.activeTextEditor;
      if (!editor || editor.document.languageId !== "lua") {
        return vscode.window.showInformationMessage(
          "Open a Lua file to run it under llmspell, or add a launch.json.",
        ).then(() => undefined);
      }
      return {
        type: "llmspell",
        request: "launch",
        name: "llmspell: run the current Lua file",
        program: "${file}",
        cwd: "${workspaceFolder}",
      };
    }
    return config;
  },
};

function activate(context) {
  context.subscriptions.push(
    vscode.debug.registerDebugAdapterDescriptorFactory("llmspell", adapterFactory),
    vscode.debug.registerDebugConfigurationProvider("llmspell", configurationProvider),
  );
}

function deactivate() {}

module.exports = { activate, deactivate };
