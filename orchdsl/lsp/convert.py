"""Spans and positions as lsprotocol's types (the units are ``orchdsl.lsp.positions``')."""

from __future__ import annotations

from lsprotocol import types

from orchdsl.lang.source import Span
from orchdsl.lsp.positions import LineIndex


def to_range(lines: LineIndex, span: Span) -> types.Range:
    start, end = lines.range(span)
    return types.Range(types.Position(*start), types.Position(*end))


def to_location(uri: str, lines: LineIndex, span: Span) -> types.Location:
    return types.Location(uri=uri, range=to_range(lines, span))


def offset_of(lines: LineIndex, position: types.Position) -> int:
    return lines.offset((position.line, position.character))
