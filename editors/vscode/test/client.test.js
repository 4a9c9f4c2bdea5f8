// The client's logic without VS Code: `vscode` and `vscode-languageclient/node` are replaced by
// recording stand-ins, then activate() must start `kpidsl lsp` (or the configured command) on
// stdio for .kpi documents, restart on a settings change, and say in the user's language when
// the server cannot start.
"use strict";

const assert = require("assert");
const Module = require("module");
const path = require("path");

function harness({ settings = {}, language = "en", folder = "/work/client", failStart = false }) {
  const log = { clients: [], errors: [], stopped: 0, commands: {}, configListeners: [] };
  const vscode = {
    workspace: {
      workspaceFolders: folder ? [{ uri: { fsPath: folder } }] : undefined,
      getConfiguration: (section) => ({
        get: (key, fallback) => {
          const full = `${section}.${key}`;
          return full in settings ? settings[full] : fallback;
        },
      }),
      createFileSystemWatcher: (glob) => ({ glob }),
      onDidChangeConfiguration: (listener) => {
        log.configListeners.push(listener);
        return { dispose() {} };
      },
    },
    window: {
      createOutputChannel: (name) => ({ name, dispose() {} }),
      showErrorMessage: (message) => log.errors.push(message),
    },
    commands: {
      registerCommand: (name, callback) => {
        log.commands[name] = callback;
        return { dispose() {} };
      },
    },
    env: { language },
  };
  class LanguageClient {
    constructor(id, name, serverOptions, clientOptions) {
      log.clients.push({ id, name, serverOptions, clientOptions });
    }
    async start() {
      if (failStart) throw new Error("spawn kpidsl ENOENT");
    }
    async stop() {
      log.stopped += 1;
    }
  }
  const client = { LanguageClient, TransportKind: { stdio: 0, ipc: 1 } };
  const stubs = { vscode, "vscode-languageclient/node": client };
  const original = Module._load;
  Module._load = function load(request, parent, isMain) {
    if (request in stubs) return stubs[request];
    return original.call(this, request, parent, isMain);
  };
  const file = require.resolve(path.join(__dirname, "..", "extension.js"));
  delete require.cache[file];
  try {
    return { extension: require(file), log };
  } finally {
    Module._load = original;
  }
}

const context = () => ({ subscriptions: [] });

async function main() {
  {
    const { extension, log } = harness({});
    await extension.activate(context());
    assert.strictEqual(log.clients.length, 1);
    const [started] = log.clients;
    assert.deepStrictEqual(started.serverOptions, { command: "kpidsl", args: ["lsp"], transport: 0 });
    assert.deepStrictEqual(started.clientOptions.documentSelector.map((s) => s.language), ["kpi", "kpi"]);
    assert.strictEqual(started.clientOptions.synchronize.fileEvents.glob, "**/*.kpi");
    assert.deepStrictEqual(log.errors, []);

    // A settings change restarts the server; another section's change does not.
    await log.configListeners[0]({ affectsConfiguration: (s) => s === "editor" });
    assert.strictEqual(log.clients.length, 1);
    await log.configListeners[0]({ affectsConfiguration: (s) => s === "kpidsl.server" });
    assert.strictEqual(log.stopped, 1);
    assert.strictEqual(log.clients.length, 2);
    await log.commands["kpidsl.restartServer"]();
    assert.strictEqual(log.stopped, 2);
    assert.strictEqual(log.clients.length, 3);
    await extension.deactivate();
    assert.strictEqual(log.stopped, 3);
  }
  {
    // A virtual environment's kpidsl, given relative to the workspace; extra arguments.
    const settings = { "kpidsl.server.path": ".venv/bin/kpidsl", "kpidsl.server.args": ["lsp", "--verbose"] };
    const { extension, log } = harness({ settings });
    await extension.activate(context());
    assert.strictEqual(log.clients[0].serverOptions.command, path.join("/work/client", ".venv/bin/kpidsl"));
    assert.deepStrictEqual(log.clients[0].serverOptions.args, ["lsp", "--verbose"]);
  }
  {
    const { extension, log } = harness({ settings: { "kpidsl.server.path": "/opt/kpidsl/bin/kpidsl" } });
    await extension.activate(context());
    assert.strictEqual(log.clients[0].serverOptions.command, "/opt/kpidsl/bin/kpidsl");
  }
  {
    const { extension, log } = harness({ settings: { "kpidsl.server.enabled": false } });
    await extension.activate(context());
    assert.strictEqual(log.clients.length, 0);
  }
  {
    // The server is missing: one clear message, in Russian for a Russian VS Code, in English otherwise.
    const ru = harness({ language: "ru", failStart: true });
    await ru.extension.activate(context());
    assert.strictEqual(ru.log.errors.length, 1);
    assert.match(ru.log.errors[0], /не удалось запустить языковой сервер `kpidsl lsp`/);
    assert.match(ru.log.errors[0], /pip install 'kpidsl\[lsp\]'/);
    assert.match(ru.log.errors[0], /kpidsl\.server\.path/);
    const en = harness({ language: "en-US", failStart: true });
    await en.extension.activate(context());
    assert.match(en.log.errors[0], /could not start the language server `kpidsl lsp` \(spawn kpidsl ENOENT\)/);
    await en.extension.deactivate(); // nothing running: no stop
    assert.strictEqual(en.log.stopped, 0);
  }
  {
    // A word, for double-click and completion, is a Unicode name or a number with `_` and `%`
    // (compiled as VS Code compiles the language configuration's wordPattern).
    const config = require(path.join(__dirname, "..", "language-configuration.json"));
    const word = new RegExp(`^(?:${config.wordPattern.pattern})$`, config.wordPattern.flags);
    for (const text of ["доля_лидов", "Выручка2", "plan_bonus", "450_000", "20%", "1.5"]) {
      assert.match(text, word);
    }
    for (const text of ["доля-лидов", "2x", "a.b"]) assert.doesNotMatch(text, word);
  }
  console.log("client ok");
}

main().catch((err) => {
  console.error(err && err.stack ? err.stack : err);
  process.exit(1);
});
