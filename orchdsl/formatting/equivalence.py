"""Whether two parses of a file mean the same: the formatter's safety check, and the third
check of its tests (``parse(fmt(x))`` is ``parse(x)`` but for positions and spelling).

Positions (spans) are left out; a string is compared by what it decodes to, not by how it is
spelt; a comment by its text without trailing spaces (or the ``\\r`` of a CRLF file).
"""

from __future__ import annotations

import dataclasses
import enum
import functools

from orchdsl.lang import ast
from orchdsl.lang.source import Span

_SKIPPED = frozenset({"span", "kind_span", "raw"})
# A condition's text is how it was spelt (its spacing); the condition itself is compared.
_SKIPPED_OF = {ast.When: {"text"}, ast.WhenOption: {"text"}}


def same_document(a: ast.Document, b: ast.Document) -> bool:
    """Same orchestration, same comments attached to the same nodes."""
    return (normalized(a.orchestration) == normalized(b.orchestration)
            and normalized(a.trailing_comments) == normalized(b.trailing_comments))


def normalized(value):
    """A comparable value: nested tuples of type names, fields and plain values."""
    if isinstance(value, tuple):
        return tuple([normalized(v) for v in value])
    if isinstance(value, ast.Comment):
        return ("#", value.text.rstrip())
    if isinstance(value, ast.Interpolation):
        return ("${", value.name, value.well_formed)
    if isinstance(value, Span):
        return None
    if isinstance(value, enum.Enum):
        return value.value
    names = _field_names(type(value))
    if names is None:
        return value
    return (type(value).__name__, *[normalized(getattr(value, name)) for name in names])


@functools.cache
def _field_names(cls: type) -> tuple[str, ...] | None:
    if not dataclasses.is_dataclass(cls):
        return None
    skipped = _SKIPPED | _SKIPPED_OF.get(cls, set())
    return tuple(f.name for f in dataclasses.fields(cls) if f.name not in skipped)
