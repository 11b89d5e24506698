"""Moving what a parse read to where an edit put it: the spans of the nodes, comments and
diagnostics after an edited region, in the edited text (``orchdsl.lsp.incremental``).

An edit replaced ``old[start:old_end]`` with new text; everything at or after ``old_end``
(old offsets) is as it was, ``delta`` characters and ``lines`` lines further on, and on the
line where the edit ends, ``columns`` columns further right too.

Moving the tail of a 2,000-task file makes some 30,000 objects (every node has a span), so
each class gets a function of its own, compiled once, that copies it field by field: a span
is moved, a text or number kept, anything else (tuples, nested nodes) moved by its type.
"""

from __future__ import annotations

import dataclasses
import enum
import typing
from functools import lru_cache

from orchdsl.lang.nodes import Comments
from orchdsl.lang.source import Span

_KEPT = (str, int, float, bool, type(None))
_new = object.__new__


def _setter(cls: type, name: str):
    """The slot's own setter: a frozen dataclass refuses ``setattr``, and its ``__init__`` is
    twice as slow as setting the slots of a new instance."""
    owner = next(k for k in cls.__mro__ if name in k.__dict__)
    return owner.__dict__[name].__set__


_PATH, _LINE, _COLUMN, _END_LINE, _END_COLUMN, _START, _END = (
    _setter(Span, f.name) for f in dataclasses.fields(Span))


class Shift:
    def __init__(self, old: str, new: str, start: int, old_end: int, new_end: int):
        self.boundary = old_end
        self.delta = new_end - old_end
        self.lines = new.count("\n", start, new_end) - old.count("\n", start, old_end)
        self.line = old.count("\n", 0, old_end) + 1  # the old line where the edit ends
        self.columns = ((new_end - new.rfind("\n", 0, new_end))
                        - (old_end - old.rfind("\n", 0, old_end)))
        self._by_type: dict[type, typing.Callable] = {Span: self.span, tuple: self._tuple,
                                                      Comments: self._comments}

    @property
    def moves(self) -> bool:
        return bool(self.delta or self.lines or self.columns)

    def span(self, s: Span) -> Span:
        if s.end < self.boundary:
            return s
        line, column, start = s.line, s.column, s.start
        if start >= self.boundary:
            if line == self.line:
                column += self.columns
            line += self.lines
            start += self.delta
        end_line, end_column = s.end_line, s.end_column
        if end_line == self.line:
            end_column += self.columns
        moved = _new(Span)
        _PATH(moved, s.path)
        _LINE(moved, line)
        _COLUMN(moved, column)
        _END_LINE(moved, end_line + self.lines)
        _END_COLUMN(moved, end_column)
        _START(moved, start)
        _END(moved, s.end + self.delta)
        return moved

    def value(self, value):
        """``value`` (a node, a comment, a diagnostic, a tuple of them...) with every span in
        it moved: a copy, or ``value`` itself when it holds no span."""
        move = self._by_type.get(type(value))
        if move is None:
            if isinstance(value, _KEPT) or isinstance(value, enum.Enum):
                return value
            move = self._by_type[type(value)] = _mover(type(value))(self.span, self.value)
        return move(value)

    def values(self, values) -> tuple:
        if not self.moves:
            return tuple(values)
        return tuple([self.value(v) for v in values])

    def _tuple(self, values: tuple) -> tuple:
        return tuple([self.value(v) for v in values])

    def _comments(self, comments: Comments) -> Comments:
        if not comments.leading and comments.trailing is None:
            return comments  # NO_COMMENTS, on every node as read
        return _mover(Comments)(self.span, self.value)(comments)


@lru_cache(maxsize=None)
def _mover(cls: type):
    """``make(span, value)`` -> a function that copies a ``cls`` (a frozen dataclass) with its
    spans moved by ``span`` and its other fields, but plain ones, by ``value``."""
    hints = typing.get_type_hints(cls)
    lines = ["def make(span, value):", "    def move(o):", "        n = new(cls)"]
    scope = {"new": _new, "cls": cls}
    for index, field in enumerate(dataclasses.fields(cls)):
        hint = hints[field.name]
        if hint is Span:
            moved = f"span(o.{field.name})"
        elif hint in _KEPT or (isinstance(hint, type) and issubclass(hint, enum.Enum)):
            moved = f"o.{field.name}"
        else:
            moved = f"value(o.{field.name})"
        scope[f"set{index}"] = _setter(cls, field.name)
        lines.append(f"        set{index}(n, {moved})")
    lines += ["        return n", "    return move"]
    exec("\n".join(lines), scope)  # noqa: S102  (code made from the class's own fields)
    return scope["make"]
