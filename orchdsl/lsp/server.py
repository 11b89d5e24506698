"""``orchdsl lsp``: the language server, on pygls (docs/editors.md). This module only wires LSP
messages to the session (``orchdsl.lsp.session``) and the features (one module each); none of
them raises to pygls: a bug is one line in the editor's log (its traceback on stderr with
ORCHDSL_DEBUG=1), and the request gets an empty answer.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import sys

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer

from orchdsl._version import __version__
from orchdsl.lsp.documents import path_of
from orchdsl.lsp.session import Session


def build_server(debounce_s: float | None = None) -> LanguageServer:
    server = LanguageServer("orchdsl", __version__,
                            text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
    session = Session(functools.partial(_publish, server), functools.partial(_clear, server),
                      *(() if debounce_s is None else (debounce_s,)))
    server.session = session  # type: ignore[attr-defined]
    _buffers(server, session)
    _requests(server, session)
    return server


def _publish(server: LanguageServer, analysis) -> None:
    from orchdsl.lsp.diagnostics import to_lsp

    server.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
        uri=analysis.buffer.uri, diagnostics=to_lsp(analysis), version=analysis.buffer.version))


def _clear(server: LanguageServer, uri: str) -> None:
    server.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri,
                                                                            diagnostics=[]))


def guarded(server: LanguageServer, what: str):
    """Run a handler so that no exception reaches pygls (which would send its traceback)."""

    def report(exc: Exception) -> None:  # a bug in orchdsl: one line, as every command says it
        if os.environ.get("ORCHDSL_DEBUG"):
            logging.getLogger("orchdsl.lsp").exception("%s failed", what)
        server.window_log_message(types.LogMessageParams(
            type=types.MessageType.Error,
            message=f"orchdsl lsp: internal error in {what}: {type(exc).__name__}: {exc} "
                    "(this is a bug; please report it)"))

    def wrap(handler):
        if not asyncio.iscoroutinefunction(handler):  # notifications: handled in order, now
            @functools.wraps(handler)
            def run_now(*args):
                try:
                    return handler(*args)
                except Exception as exc:
                    report(exc)

            return run_now

        @functools.wraps(handler)
        async def run(*args):
            try:
                return await handler(*args)
            except JsonRpcException:
                raise
            except Exception as exc:
                report(exc)
                return None

        return run

    return wrap


def _buffers(server: LanguageServer, session: Session) -> None:
    @server.feature(types.INITIALIZE)
    def initialize(params: types.InitializeParams):
        session.encoding = str(server.workspace.position_encoding or "utf-16")

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    @guarded(server, "didOpen")
    def did_open(params: types.DidOpenTextDocumentParams):
        document = params.text_document
        session.opened(document.uri, path_of(document.uri), document.version, document.text)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    @guarded(server, "didChange")
    def did_change(params: types.DidChangeTextDocumentParams):
        changes = [(((c.range.start.line, c.range.start.character),
                     (c.range.end.line, c.range.end.character)), c.text)
                   if isinstance(c, types.TextDocumentContentChangePartial) else (None, c.text)
                   for c in params.content_changes]
        session.changed(params.text_document.uri, params.text_document.version, changes)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    @guarded(server, "didClose")
    def did_close(params: types.DidCloseTextDocumentParams):
        session.closed(params.text_document.uri)

    @server.feature(types.SHUTDOWN)
    def shutdown(params):
        session.shutdown()


def _requests(server: LanguageServer, session: Session) -> None:
    from orchdsl.lsp import features

    for method, options, handler in features.HANDLERS:
        server.feature(method, options)(guarded(server, method)(_bound(handler, session)))


def _bound(handler, session: Session):
    """The handler with the session given: pygls passes the params alone to a function whose
    one parameter is not ``ls``."""

    async def run(params):
        return await handler(session, params)

    return run


class _OneLine(logging.Formatter):
    """pygls logs a failed message with its traceback: only its first line reaches stderr
    (the editor's output panel), unless ORCHDSL_DEBUG is set."""

    def format(self, record: logging.LogRecord) -> str:
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        return super().format(record).split("\n", 1)[0]


def serve() -> None:
    handler = logging.StreamHandler(sys.stderr)
    debug = bool(os.environ.get("ORCHDSL_DEBUG"))
    handler.setFormatter(logging.Formatter("orchdsl lsp: %(name)s: %(message)s") if debug
                         else _OneLine("orchdsl lsp: %(message)s"))
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING, handlers=[handler])
    # The worker thread parses for a while holding the GIL; a request waits for the next
    # switch. 1 ms instead of Python's 5 ms keeps completion quick while a large file is checked.
    sys.setswitchinterval(0.001)
    build_server().start_io()
