// The orchdsl extension: the language "orch" (package.json) and a client of orchdsl's
// language server, `orchdsl lsp` (docs/editors.md in orchdsl's repository). Plain CommonJS,
// no build step: VS Code loads this file as it is.
"use strict";

const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

// How the server is started: `orchdsl lsp` over standard input and output (the client adds
// `--stdio`, which orchdsl lsp accepts).
function serverOptions(config) {
  return {
    command: config.get("server.command", "orchdsl"),
    args: config.get("server.args", ["lsp"]),
    transport: TransportKind.stdio,
  };
}

function clientOptions() {
  return {
    documentSelector: [
      { scheme: "file", language: "orch" },
      { scheme: "untitled", language: "orch" },
    ],
  };
}

async function activate(context) {
  const config = vscode.workspace.getConfiguration("orchdsl");
  if (!config.get("server.enabled", true)) {
    return;
  }
  const server = serverOptions(config);
  client = new LanguageClient("orchdsl", "orchdsl", server, clientOptions());
  context.subscriptions.push(client);
  try {
    await client.start();
  } catch (error) {
    vscode.window.showErrorMessage(
      `orchdsl: "${server.command} ${server.args.join(" ")}" did not start (${error.message}). ` +
        'Install the server with pip install "orchdsl[lsp]", or set orchdsl.server.command ' +
        "to the orchdsl of your virtual environment.");
  }
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate, serverOptions, clientOptions };
