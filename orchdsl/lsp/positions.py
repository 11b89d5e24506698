"""Positions in the two units that meet in the language server.

orchdsl's spans count code points: lines and columns from 1, ``end_column`` exclusive, and
offsets into the text (``orchdsl.lang.source.Span``). LSP counts lines and characters from 0,
a character being a code unit of the encoding the client and server agreed on: UTF-16 unless
the client offers another (LSP 3.17, ``general.positionEncodings``), so 🚀 is two characters,
and é one. Lines end at ``\\n`` (a ``\\r`` before it is part of the line ending), as the parser
numbers them. This module converts both ways; nothing else in ``orchdsl.lsp`` counts units.
"""

from __future__ import annotations

import bisect
import re

from orchdsl.lang.source import Span

UTF8, UTF16, UTF32 = "utf-8", "utf-16", "utf-32"
ENCODINGS = (UTF16, UTF8, UTF32)
_NEWLINE = re.compile("\n")

Position = tuple[int, int]  # (line, character) as LSP counts them


def units(text: str, encoding: str = UTF16) -> int:
    """How many code units ``text`` is in ``encoding``."""
    if encoding == UTF32 or text.isascii():
        return len(text)
    if encoding == UTF16:
        return len(text.encode("utf-16-le", "surrogatepass")) // 2
    return len(text.encode("utf-8", "surrogatepass"))


def code_points(line: str, character: int, encoding: str = UTF16) -> int:
    """The code-point index in ``line`` of LSP's ``character``. A character past the end is
    the end; one inside a character (between the two halves of a surrogate pair) is after it."""
    if encoding == UTF32 or line.isascii():
        return max(0, min(character, len(line)))
    counted = 0
    for index, char in enumerate(line):
        if counted >= character:
            return index
        counted += units(char, encoding)
    return len(line)


class LineIndex:
    """One text's line starts, for converting offsets, spans and LSP positions."""

    def __init__(self, text: str, encoding: str = UTF16):
        self.text = text
        self.encoding = encoding if encoding in ENCODINGS else UTF16
        self.starts = [0, *(m.end() for m in _NEWLINE.finditer(text))]

    @property
    def line_count(self) -> int:
        return len(self.starts)

    def line(self, number: int) -> str:
        """Line ``number`` (from 0) without its line ending."""
        start = self.starts[number]
        end = self.starts[number + 1] - 1 if number + 1 < len(self.starts) else len(self.text)
        text = self.text[start:end]
        return text[:-1] if text.endswith("\r") else text

    def offset(self, position: Position) -> int:
        """The code-point offset of an LSP position (clamped into the text)."""
        line, character = position
        if line < 0:
            return 0
        if line >= len(self.starts):
            return len(self.text)
        return self.starts[line] + code_points(self.line(line), character, self.encoding)

    def position(self, offset: int) -> Position:
        """The LSP position of a code-point offset."""
        offset = max(0, min(offset, len(self.text)))
        line = bisect.bisect_right(self.starts, offset) - 1
        column = min(offset - self.starts[line], len(self.line(line)))
        return line, units(self.line(line)[:column], self.encoding)

    def at(self, line: int, column: int) -> Position:
        """The LSP position of orchdsl's (line, column), both from 1 (clamped into the text:
        a syntax error at the end of the file points just past its last character)."""
        if line > len(self.starts):
            return self.position(len(self.text))
        text = self.line(max(line, 1) - 1)
        return max(line, 1) - 1, units(text[:max(column, 1) - 1], self.encoding)

    def range(self, span: Span) -> tuple[Position, Position]:
        start = self.at(span.line, span.column)
        end = self.at(span.end_line, span.end_column)
        return start, max(start, end)

    def columns(self, position: Position) -> tuple[int, int]:
        """orchdsl's (line, column), both from 1, of an LSP position."""
        offset = self.offset(position)
        line = bisect.bisect_right(self.starts, offset) - 1
        return line + 1, offset - self.starts[line] + 1
