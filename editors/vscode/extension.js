// The kpidsl extension's client: starts the language server (`kpidsl lsp`, stdio) for .kpi files.
// Highlighting, comments and brackets come from the grammar and the language configuration,
// so they work without the server; the server adds diagnostics, hover, completion and the rest.
"use strict";

const path = require("path");
const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;
let output;

/** The server command from the settings; a relative path is taken from the first workspace folder. */
function serverCommand() {
  const settings = vscode.workspace.getConfiguration("kpidsl.server");
  let command = settings.get("path", "kpidsl") || "kpidsl";
  const args = settings.get("args", ["lsp"]);
  const folder = vscode.workspace.workspaceFolders && vscode.workspace.workspaceFolders[0];
  if (folder && !path.isAbsolute(command) && /[\\/]/.test(command)) {
    command = path.join(folder.uri.fsPath, command);
  }
  return { command, args: Array.isArray(args) ? args.map(String) : ["lsp"] };
}

async function start() {
  if (!vscode.workspace.getConfiguration("kpidsl.server").get("enabled", true)) {
    return;
  }
  const { command, args } = serverCommand();
  const serverOptions = { command, args, transport: TransportKind.stdio };
  const clientOptions = {
    documentSelector: [
      { scheme: "file", language: "kpi" },
      { scheme: "untitled", language: "kpi" },
    ],
    outputChannel: output,
    synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher("**/*.kpi") },
  };
  client = new LanguageClient("kpidsl", "kpidsl", serverOptions, clientOptions);
  try {
    await client.start();
  } catch (err) {
    client = undefined;
    const message = vscode.env.language.startsWith("ru")
      ? `kpidsl: не удалось запустить языковой сервер \`${command} ${args.join(" ")}\` (${err.message || err}). ` +
        "Установите его: pip install 'kpidsl[lsp]', или укажите путь в настройке kpidsl.server.path."
      : `kpidsl: could not start the language server \`${command} ${args.join(" ")}\` (${err.message || err}). ` +
        "Install it with pip install 'kpidsl[lsp]', or set kpidsl.server.path.";
    vscode.window.showErrorMessage(message);
  }
}

async function stop() {
  if (client) {
    const running = client;
    client = undefined;
    await running.stop();
  }
}

async function activate(context) {
  output = vscode.window.createOutputChannel("kpidsl");
  context.subscriptions.push(output);
  context.subscriptions.push(
    vscode.commands.registerCommand("kpidsl.restartServer", async () => {
      await stop();
      await start();
    }),
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration("kpidsl.server")) {
        await stop();
        await start();
      }
    }),
  );
  await start();
}

function deactivate() {
  return stop();
}

module.exports = { activate, deactivate };
