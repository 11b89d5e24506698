"""The one diagnostic type: syntax errors, semantic errors, cycles and lint findings alike.

Analysis code returns these as values; only ``orchdsl.cli`` prints them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from orchdsl.lang.source import Span


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Note:
    """A second place that explains a diagnostic (the first definition of a duplicate)."""

    message: str
    span: Span


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str  # E001, W202, ...
    severity: Severity
    message: str
    span: Span
    help: str | None = None
    notes: tuple[Note, ...] = ()

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def message_with_notes(self) -> str:
        """The message with its notes in parentheses, for one-line formats (json, github)."""
        return self.message + "".join(f" ({n.message}: {n.span})" for n in self.notes)

    def sort_key(self) -> tuple:
        return (self.span.path, self.span.line, self.span.column, self.code)


def error(code: str, message: str, span: Span, help: str | None = None,
          notes: tuple[Note, ...] = ()) -> Diagnostic:
    return Diagnostic(code, Severity.ERROR, message, span, help, notes)


def did_you_mean(word: str, candidates) -> str | None:
    """A ``did you mean "x"?`` hint for a misspelt word, or None when nothing is close."""
    import difflib

    matches = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.7)
    return f'did you mean "{matches[0]}"?' if matches else None
