"""Rename a task: its ``task`` line and every place the file names it (``needs``, conditions,
``succeeded(X)``/``failed(X)``, ``${tasks.X.outputs...}``, a dynamic matrix's source; a
matrix instance ``tasks.X.eu`` keeps its value). Only tasks: a param is also the name of a
``call`` function's keyword argument and of ``--param`` on command lines, which no edit of the
file can follow (docs/editors.md)."""

from __future__ import annotations

from lsprotocol import types

from orchdsl.lang.keywords import RESERVED
from orchdsl.lang.nodes import PLAIN_RE
from orchdsl.lsp.analysis import Analysis
from orchdsl.lsp.convert import to_range
from orchdsl.lsp.occurrences import TASK, Occurrence


class RenameRefused(Exception):
    """Why a rename cannot be made, in words for the editor to show."""


def renamed_task(analysis: Analysis, offset: int) -> Occurrence | None:
    """The task occurrence at the cursor, when it names a task of the file."""
    found = analysis.occurrences.at(offset)
    if found is None or found.kind != TASK or found.name not in analysis.symbols.tasks:
        return None
    return found


def prepare(analysis: Analysis, offset: int) -> types.PrepareRenamePlaceholder | None:
    found = renamed_task(analysis, offset)
    if found is None:
        return None
    return types.PrepareRenamePlaceholder(range=to_range(analysis.lines, found.span),
                                          placeholder=found.name)


def rename(analysis: Analysis, offset: int, new_name: str) -> types.WorkspaceEdit:
    found = renamed_task(analysis, offset)
    if found is None:
        raise RenameRefused("only a task can be renamed: put the cursor on a task's name")
    _check(analysis, found.name, new_name)
    edits = [types.TextEdit(range=to_range(analysis.lines, o.span), new_text=new_name)
             for o in analysis.occurrences.of(TASK, found.name)]
    change = types.TextDocumentEdit(
        text_document=types.OptionalVersionedTextDocumentIdentifier(
            uri=analysis.buffer.uri, version=analysis.buffer.version), edits=edits)
    return types.WorkspaceEdit(document_changes=[change])


def _check(analysis: Analysis, old: str, new: str) -> None:
    if not PLAIN_RE.match(new):
        raise RenameRefused(f'"{new}" is not a task name: a letter or "_", then letters, digits, '
                            '"_" or "-"')
    if new in RESERVED:
        raise RenameRefused(f'"{new}" is a reserved word and cannot name a task')
    if new != old and new in analysis.symbols.tasks:
        raise RenameRefused(f'the file already has a task "{new}"')
