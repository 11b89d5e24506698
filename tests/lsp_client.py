"""An editor for the language server's tests: pytest-lsp's client, starting the installed
``orchdsl lsp`` over stdio, that records every ``publishDiagnostics`` (with its version) and
offers the few steps an editor takes: open, edit, close, wait for a version's diagnostics."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from lsprotocol import types
from pygls.uris import from_fs_path
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

from conftest import orchdsl_executable  # tests/ is on sys.path

WAIT_S = 5  # a loaded machine of two cores checks a file in well under a second


def make_client() -> LanguageClient:
    from pygls.protocol import default_converter

    client = LanguageClient(converter_factory=default_converter)
    client.published = []  # every PublishDiagnosticsParams, in order
    features = dict(DEFAULT_CLIENT_FEATURES)
    features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = _record
    register_lsp_features(client, features)
    return client


def _record(client: LanguageClient, params: types.PublishDiagnosticsParams):
    client.published.append(params)
    client.diagnostics[params.uri] = params.diagnostics


def config(env: dict[str, str] | None = None) -> ClientServerConfig:
    environment = {k: v for k, v in os.environ.items() if k != "ORCHDSL_DEBUG"}
    environment.update(env or {})
    return ClientServerConfig(server_command=[orchdsl_executable(), "lsp"],
                              client_factory=make_client, server_env=environment)


async def initialize(client: LanguageClient, root: Path | None = None,
                     encodings: list[str] | None = None) -> types.InitializeResult:
    capabilities = client_capabilities("visual-studio-code")
    if encodings is not None:
        capabilities.general.position_encodings = encodings
    return await client.initialize_session(types.InitializeParams(
        capabilities=capabilities, root_uri=from_fs_path(str(root)) if root else None))


def uri_of(path: Path) -> str:
    return from_fs_path(str(path))


def open_file(client: LanguageClient, path: Path, text: str | None = None,
              version: int = 1) -> str:
    uri = uri_of(path)
    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(
        uri=uri, language_id="orch", version=version,
        text=path.read_text(encoding="utf-8") if text is None else text)))
    return uri


def replace_all(client: LanguageClient, uri: str, version: int, text: str) -> None:
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))


def edit(client: LanguageClient, uri: str, version: int, start: tuple[int, int],
         end: tuple[int, int], text: str) -> None:
    """An incremental change: the range from ``start`` to ``end`` (LSP line, character)."""
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[types.TextDocumentContentChangePartial(
            range=types.Range(types.Position(*start), types.Position(*end)), text=text)]))


def close(client: LanguageClient, uri: str) -> None:
    client.text_document_did_close(types.DidCloseTextDocumentParams(
        types.TextDocumentIdentifier(uri=uri)))


async def diagnostics(client: LanguageClient, uri: str, version: int | None,
                      after: int = 0) -> list[types.Diagnostic]:
    """The diagnostics published for ``uri`` at ``version`` (None: cleared, as on close),
    among those published after the first ``after`` ones."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_S
    while loop.time() < deadline:
        for params in client.published[after:]:
            if params.uri == uri and params.version == version:
                return list(params.diagnostics)
        await asyncio.sleep(0.01)
    raise AssertionError(f"no diagnostics for {uri} version {version} in {WAIT_S} s; got "
                         f"{[(p.uri, p.version) for p in client.published]}")


def position(text: str, needle: str, after: int = 0, occurrence: int = 1) -> types.Position:
    """The LSP (UTF-16) position of the ``occurrence``-th ``needle`` in ``text``, ``after``
    characters into it."""
    index = -1
    for _ in range(occurrence):
        index = text.index(needle, index + 1)
    index += after
    line = text.count("\n", 0, index)
    start = text.rfind("\n", 0, index) + 1
    return types.Position(line, len(text[start:index].encode("utf-16-le")) // 2)


def apply_edits(text: str, edits: list[types.TextEdit]) -> str:
    """The text after an editor applies ``edits`` (UTF-16 positions), last first."""
    lines = text.split("\n")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)

    def offset(p: types.Position) -> int:
        line = lines[p.line] if p.line < len(lines) else ""
        units, index = 0, 0
        while index < len(line) and units < p.character:
            units += 2 if ord(line[index]) > 0xFFFF else 1
            index += 1
        return offsets[min(p.line, len(lines))] + index

    for e in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character),
                    reverse=True):
        text = text[:offset(e.range.start)] + e.new_text + text[offset(e.range.end):]
    return text
