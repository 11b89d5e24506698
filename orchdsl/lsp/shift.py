"""Moving what a parse read to where an edit put it: the spans of the nodes, comments and
diagnostics after an edited region, in the edited text (``orchdsl.lsp.incremental``).

An edit replaced ``old[start:old_end]`` with new text; everything at or after ``old_end``
(old offsets) is as it was, ``delta`` characters and ``lines`` lines further on, and on the
line where the edit ends, ``columns`` columns further right too.

Moving the tail of a 2,000-task file makes some 30,000 objects (every node has a span), so
each class gets a function of its own, compiled once, that fills a new instance's slots: a
span is moved, a text, number or node without comments kept, anything else (tuples, nested
nodes) moved by its type.
"""

from __future__ import annotations

import dataclasses
import enum
import typing
from functools import lru_cache

from orchdsl.lang.nodes import NO_COMMENTS, Comments
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
        self.span = _span_mover(self.boundary, self.delta, self.lines, self.line, self.columns)
        self.value = _value_mover(self.span)

    @property
    def moves(self) -> bool:
        return bool(self.delta or self.lines or self.columns)

    def values(self, values) -> tuple:
        """Nodes, comments or diagnostics, each with every span in it moved."""
        if not self.moves:
            return tuple(values)
        return tuple([self.value(v) for v in values])


def _span_mover(boundary: int, delta: int, lines: int, edited: int, columns: int):
    def span(s: Span) -> Span:
        if s.end < boundary:
            return s
        line, column, start = s.line, s.column, s.start
        if start >= boundary:
            if line == edited:
                column += columns
            line += lines
            start += delta
        end_line, end_column = s.end_line, s.end_column
        if end_line == edited:
            end_column += columns
        moved = _new(Span)
        _PATH(moved, s.path)
        _LINE(moved, line)
        _COLUMN(moved, column)
        _END_LINE(moved, end_line + lines)
        _END_COLUMN(moved, end_column)
        _START(moved, start)
        _END(moved, s.end + delta)
        return moved

    return span


def _value_mover(span):
    """``value(x)``: ``x`` (a node, a comment, a diagnostic, a tuple of them...) with every
    span in it moved: a copy, or ``x`` itself when it holds no span."""
    by_type: dict[type, typing.Callable] = {Span: span}

    def value(x):
        move = by_type.get(type(x))
        if move is None:
            if isinstance(x, _KEPT) or isinstance(x, enum.Enum):
                return x
            move = by_type[type(x)] = _mover(type(x))(span, value, items)
        return move(x)

    def items(values: tuple) -> tuple:
        moved = []
        for x in values:
            move = by_type.get(type(x))
            moved.append(move(x) if move is not None else value(x))
        return tuple(moved)

    by_type[tuple] = items
    return value


@lru_cache(maxsize=None)
def _mover(cls: type):
    """``make(span, value, items)`` -> a function that copies a ``cls`` (a frozen dataclass)
    with its spans moved by ``span``, its tuples by ``items``, comments (but none) and other
    fields, but plain ones, by ``value``."""
    hints = typing.get_type_hints(cls)
    lines = ["def make(span, value, items):", "    def move(o):", "        n = new(cls)"]
    scope = {"new": _new, "cls": cls, "NONE": NO_COMMENTS}
    for index, field in enumerate(dataclasses.fields(cls)):
        hint, name = hints[field.name], field.name
        if hint is Span:
            moved = f"span(o.{name})"
        elif hint in _KEPT or (isinstance(hint, type) and issubclass(hint, enum.Enum)):
            moved = f"o.{name}"
        elif hint is Comments:
            moved = f"o.{name} if o.{name} is NONE else value(o.{name})"
        elif typing.get_origin(hint) is tuple:
            moved = f"items(o.{name})"
        else:
            moved = f"value(o.{name})"
        scope[f"set{index}"] = _setter(cls, name)
        lines.append(f"        set{index}(n, {moved})")
    lines += ["        return n", "    return move"]
    exec("\n".join(lines), scope)  # noqa: S102  (code made from the class's own fields)
    return scope["make"]
