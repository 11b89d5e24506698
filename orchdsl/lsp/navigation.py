"""Go to definition and find references, from the file's occurrences
(``orchdsl.lsp.occurrences``).

A task, param, secret, matrix name or phase goes to where it is declared in the file; a nested
file's path to that file; a ``param`` passed to a nested orchestration to its declaration in
that file. References are every place the file names the same thing (for a nested file: every
task that runs it).
"""

from __future__ import annotations

from typing import Callable

from lsprotocol import types

from orchdsl.lang import ast
from orchdsl.lsp.analysis import Analysis
from orchdsl.lsp.convert import to_location
from orchdsl.lsp.occurrences import CHILD_PARAM, NESTED, Occurrence

# A parsed nested file, read as lint reads it (an open buffer's text, else the file on disk).
LoadFile = Callable[[str], "ast.Document | None"]


def definition(analysis: Analysis, offset: int, load: LoadFile) -> list[types.Location]:
    found = analysis.occurrences.at(offset)
    if found is None:
        return []
    if found.kind == NESTED:
        return [_file_start(found.name)]
    if found.kind == CHILD_PARAM:
        return _child_param(found, load, analysis.encoding)
    target = analysis.occurrences.definition(found)
    if target is None:
        return []
    return [to_location(analysis.buffer.uri, analysis.lines, target.span)]


def references(analysis: Analysis, offset: int, include_declaration: bool) -> list[types.Location]:
    found = analysis.occurrences.at(offset)
    if found is None:
        return []
    same = analysis.occurrences.of(found.kind, found.name, found.scope)
    return [to_location(analysis.buffer.uri, analysis.lines, o.span) for o in same
            if include_declaration or not o.definition]


def _file_start(path: str) -> types.Location:
    from pygls.uris import from_fs_path

    start = types.Position(0, 0)
    return types.Location(uri=from_fs_path(path) or path, range=types.Range(start, start))


def _child_param(found: Occurrence, load: LoadFile, encoding: str) -> list[types.Location]:
    from pygls.uris import from_fs_path

    from orchdsl.lsp.positions import LineIndex

    document = load(found.scope)
    if document is None or document.orchestration is None:
        return [_file_start(found.scope)]
    for param in document.orchestration.params:
        if param.name.text == found.name:
            lines = LineIndex(document.text, encoding)
            return [to_location(from_fs_path(found.scope) or found.scope, lines, param.name.span)]
    return [_file_start(found.scope)]
