"""Moving what a parse read to where an edit put it: the spans of the nodes, comments and
diagnostics after an edited region, in the edited text (``orchdsl.lsp.incremental``).

An edit replaced ``old[start:old_end]`` with new text; everything at or after ``old_end``
(old offsets) is as it was, ``delta`` characters and ``lines`` lines further on; on the line
where the edit ends, it is also ``columns`` columns further right.
"""

from __future__ import annotations

import dataclasses
import enum

from orchdsl.lang.nodes import NO_COMMENTS
from orchdsl.lang.source import Span

_ATOMS = (str, int, float, bool, type(None))


class Shift:
    def __init__(self, old: str, new: str, start: int, old_end: int, new_end: int):
        self.boundary = old_end
        self.delta = new_end - old_end
        self.lines = new.count("\n", start, new_end) - old.count("\n", start, old_end)
        self.line = old.count("\n", 0, old_end) + 1  # the old line where the edit ends
        self.columns = ((new_end - new.rfind("\n", 0, new_end))
                        - (old_end - old.rfind("\n", 0, old_end)))
        self._fields: dict[type, tuple[str, ...]] = {}

    @property
    def moves(self) -> bool:
        return bool(self.delta or self.lines or self.columns)

    def span(self, s: Span) -> Span:
        boundary = self.boundary
        if s.end < boundary:
            return s
        line, column, start = s.line, s.column, s.start
        if start >= boundary:
            line, column = self._position(line, column)
            start += self.delta
        end_line, end_column = self._position(s.end_line, s.end_column)
        return Span(s.path, line, column, end_line, end_column, start, s.end + self.delta)

    def _position(self, line: int, column: int) -> tuple[int, int]:
        if line == self.line:
            column += self.columns
        return line + self.lines, column

    def value(self, value):
        """``value`` (a node, a comment, a diagnostic, a tuple of them...) moved: a copy with
        every span in it moved, or ``value`` itself when nothing in it moves."""
        kind = type(value)
        if kind is Span:
            return self.span(value)
        if kind is tuple:
            return tuple([self.value(v) for v in value])
        if isinstance(value, _ATOMS) or isinstance(value, enum.Enum) or value is NO_COMMENTS:
            return value
        fields = self._fields.get(kind)
        if fields is None:
            fields = self._fields[kind] = tuple(f.name for f in dataclasses.fields(kind))
        moved = object.__new__(kind)
        for name in fields:
            object.__setattr__(moved, name, self.value(getattr(value, name)))
        return moved

    def values(self, values) -> tuple:
        if not self.moves:
            return tuple(values)
        return tuple([self.value(v) for v in values])
