"""The requests the server answers, each a small async function of the session and the
request's params, listed in ``HANDLERS`` with the options it is announced with.

Completion reads the buffer as it is and the names of its last version that parsed; every
other feature needs the current version's tree and waits for its check (which a request
starts at once, without the debounce). Work that parses (formatting, a nested file) runs on
the session's worker thread, as the checks do.
"""

from __future__ import annotations

import asyncio

from lsprotocol import types
from pygls.exceptions import JsonRpcException

from orchdsl.lsp.convert import offset_of
from orchdsl.lsp.positions import LineIndex, units
from orchdsl.lsp.session import Session

REQUEST_FAILED = -32803  # LSP's RequestFailed: the editor shows the message


async def _parsed(session: Session, uri: str):
    """The current version's analysis, when it parses (None otherwise)."""
    analysis = await session.current(uri)
    return analysis if analysis is not None and analysis.orchestration is not None else None


async def _in_worker(session: Session, function, *args):
    return await asyncio.get_running_loop().run_in_executor(session.worker, function, *args)


async def completion(session: Session, params: types.CompletionParams):
    from orchdsl.lsp.completion import complete

    uri = params.text_document.uri
    buffer = session.store.get(uri)
    if buffer is None:
        return None
    known = await session.parsed_or_current(uri)
    lines = LineIndex(buffer.text, session.encoding)
    position = params.position
    items = complete(buffer.text, offset_of(lines, position), known.symbols if known else None,
                     position, lambda word: units(word, session.encoding))
    return types.CompletionList(is_incomplete=False, items=items)


async def hover(session: Session, params: types.HoverParams):
    from orchdsl.lsp.hover import hover_text

    analysis = await _parsed(session, params.text_document.uri)
    if analysis is None:
        return None
    text = hover_text(analysis, offset_of(analysis.lines, params.position))
    if text is None:
        return None
    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text))


async def definition(session: Session, params: types.DefinitionParams):
    from orchdsl.lsp.navigation import definition as find

    analysis = await _parsed(session, params.text_document.uri)
    if analysis is None:
        return None
    offset = offset_of(analysis.lines, params.position)
    return await _in_worker(session, find, analysis, offset, _loader(session))


def _loader(session: Session):
    def load(path: str):
        from orchdsl.lang.source import SourceError
        from orchdsl.lsp.documents import BufferLoader

        try:
            return BufferLoader(session.store.texts()).load(path).document
        except SourceError:
            return None

    return load


async def references(session: Session, params: types.ReferenceParams):
    from orchdsl.lsp.navigation import references as find

    analysis = await _parsed(session, params.text_document.uri)
    if analysis is None:
        return None
    return find(analysis, offset_of(analysis.lines, params.position),
                params.context.include_declaration)


async def prepare_rename(session: Session, params: types.PrepareRenameParams):
    from orchdsl.lsp.rename import prepare

    analysis = await _parsed(session, params.text_document.uri)
    return prepare(analysis, offset_of(analysis.lines, params.position)) if analysis else None


async def rename(session: Session, params: types.RenameParams):
    from orchdsl.lsp.rename import RenameRefused, rename as make

    analysis = await _parsed(session, params.text_document.uri)
    if analysis is None:
        raise JsonRpcException("the file has syntax errors: fix them before renaming",
                               code=REQUEST_FAILED)
    try:
        return make(analysis, offset_of(analysis.lines, params.position), params.new_name)
    except RenameRefused as exc:
        raise JsonRpcException(str(exc), code=REQUEST_FAILED) from None


async def document_symbols(session: Session, params: types.DocumentSymbolParams):
    from orchdsl.lsp.symbols import outline

    analysis = await _parsed(session, params.text_document.uri)
    return outline(analysis) if analysis else []


async def formatting(session: Session, params: types.DocumentFormattingParams):
    from orchdsl.formatting.formatter import format_text

    buffer = session.store.get(params.text_document.uri)
    if buffer is None:
        return None
    formatted = await _in_worker(session, format_text, buffer.text, buffer.path)
    if not formatted.ok or formatted.text == buffer.text:
        return []  # a file that does not parse is left alone, as by orchdsl fmt
    lines = LineIndex(buffer.text, session.encoding)
    end = types.Position(*lines.position(len(buffer.text)))
    return [types.TextEdit(range=types.Range(types.Position(0, 0), end),
                           new_text=formatted.text)]


async def code_actions(session: Session, params: types.CodeActionParams):
    from orchdsl.lsp.diagnostics import quick_fixes

    analysis = await session.current(params.text_document.uri)
    if analysis is None:
        return None
    only = params.context.only
    if only and not any(str(k).startswith(types.CodeActionKind.QuickFix) for k in only):
        return []
    return quick_fixes(analysis, params.range, list(params.context.diagnostics))


def _completion_options():
    from orchdsl.lsp.completion import TRIGGERS

    return types.CompletionOptions(trigger_characters=TRIGGERS)


HANDLERS = [
    (types.TEXT_DOCUMENT_COMPLETION, _completion_options(), completion),
    (types.TEXT_DOCUMENT_HOVER, None, hover),
    (types.TEXT_DOCUMENT_DEFINITION, None, definition),
    (types.TEXT_DOCUMENT_REFERENCES, None, references),
    (types.TEXT_DOCUMENT_PREPARE_RENAME, None, prepare_rename),
    (types.TEXT_DOCUMENT_RENAME, types.RenameOptions(prepare_provider=True), rename),
    (types.TEXT_DOCUMENT_DOCUMENT_SYMBOL, None, document_symbols),
    (types.TEXT_DOCUMENT_FORMATTING, None, formatting),
    (types.TEXT_DOCUMENT_CODE_ACTION,
     types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]), code_actions),
]
