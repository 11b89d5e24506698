"""The VS Code extension (editors/vscode), checked without VS Code: its package.json declares
the language, the activation and the server's settings; extension.js, run by Node against
stand-ins for the ``vscode`` and ``vscode-languageclient`` modules, starts the command those
settings name for .orch documents; and that command, as the client runs it, is a server."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import orchdsl_executable  # tests/ is on sys.path

VSCODE = Path(__file__).resolve().parent.parent / "editors" / "vscode"
PACKAGE = json.loads((VSCODE / "package.json").read_text(encoding="utf-8"))
SETTINGS = PACKAGE["contributes"]["configuration"]["properties"]
node = pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")


def test_package_json_declares_the_language_and_its_server():
    assert PACKAGE["main"] == "./extension.js" and (VSCODE / "extension.js").is_file()
    assert PACKAGE["activationEvents"] == ["onLanguage:orch"]
    assert "vscode-languageclient" in PACKAGE["dependencies"]
    (language,) = PACKAGE["contributes"]["languages"]
    assert (language["id"], language["extensions"]) == ("orch", [".orch"])
    assert SETTINGS["orchdsl.server.command"]["default"] == "orchdsl"
    assert SETTINGS["orchdsl.server.args"]["default"] == ["lsp"]
    assert SETTINGS["orchdsl.server.enabled"]["default"] is True


# Stand-ins: the settings of package.json as the workspace configuration, and a LanguageClient
# that records what it was given. The harness prints what the extension did, as JSON (with
# node -e, process.argv[1] is the first argument).
HARNESS = r"""
const Module = require("module");
const settings = JSON.parse(process.argv[1]);
const seen = {started: 0, errors: []};
const vscode = {
  workspace: {getConfiguration: (section) => ({
    get: (key, fallback) => (section + "." + key) in settings ? settings[section + "." + key] : fallback,
  })},
  window: {showErrorMessage: (message) => seen.errors.push(message)},
};
class LanguageClient {
  constructor(id, name, server, client) { Object.assign(seen, {id, name, server, client}); }
  async start() { seen.started += 1; if (process.argv[2] === "fail") throw new Error("ENOENT"); }
  stop() { seen.stopped = true; }
}
const stubs = {vscode, "vscode-languageclient/node": {LanguageClient, TransportKind: {stdio: 0}}};
const load = Module._load;
Module._load = (request, ...rest) => request in stubs ? stubs[request] : load(request, ...rest);
const extension = require(process.argv[3]);
const context = {subscriptions: []};
extension.activate(context).then(() => {
  seen.subscriptions = context.subscriptions.length;
  console.log(JSON.stringify(seen));
});
"""


def activate(settings: dict, start: str = "ok") -> dict:
    done = subprocess.run(["node", "-e", HARNESS, json.dumps(settings), start,
                           str(VSCODE / "extension.js")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def defaults() -> dict:
    return {key: value["default"] for key, value in SETTINGS.items()}


@node
def test_the_extension_starts_orchdsl_lsp_for_orch_documents():
    seen = activate(defaults())
    assert seen["server"] == {"command": "orchdsl", "args": ["lsp"], "transport": 0}
    assert seen["client"]["documentSelector"] == [{"scheme": "file", "language": "orch"},
                                                  {"scheme": "untitled", "language": "orch"}]
    assert (seen["started"], seen["subscriptions"], seen["errors"]) == (1, 1, [])


@node
def test_the_command_setting_names_the_server():
    seen = activate({**defaults(), "orchdsl.server.command": "/venv/bin/orchdsl"})
    assert seen["server"]["command"] == "/venv/bin/orchdsl"


@node
def test_a_server_that_does_not_start_says_how_to_install_it():
    (message,) = activate(defaults(), start="fail")["errors"]
    assert message.startswith('orchdsl: "orchdsl lsp" did not start (ENOENT).')
    assert 'pip install "orchdsl[lsp]"' in message


@node
def test_a_disabled_server_is_not_started():
    assert activate({**defaults(), "orchdsl.server.enabled": False})["started"] == 0


def test_the_command_the_client_runs_is_a_server_that_answers():
    """vscode-languageclient adds --stdio to the arguments of a stdio server."""
    request = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                          "params": {"processId": None, "rootUri": None, "capabilities": {}}})
    exit_ = json.dumps({"jsonrpc": "2.0", "method": "exit"})
    stdin = "".join(f"Content-Length: {len(m)}\r\n\r\n{m}" for m in (request, exit_))
    done = subprocess.run([orchdsl_executable(), *SETTINGS["orchdsl.server.args"]["default"],
                           "--stdio"], input=stdin.encode(), capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr
    body = done.stdout.split(b"\r\n\r\n", 1)[1]
    reply = json.JSONDecoder().raw_decode(body.decode())[0]
    assert reply["result"]["serverInfo"]["name"] == "orchdsl"
    assert reply["result"]["capabilities"]["positionEncoding"] == "utf-16"
    assert done.stderr == b""
