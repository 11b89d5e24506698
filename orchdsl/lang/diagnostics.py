"""The one diagnostic type: syntax errors, semantic errors, cycles and lint findings alike.

Analysis code returns these as values; only ``orchdsl.cli`` prints them. A diagnostic may
carry a ``Fix`` made of ``Edit``s (replace this span with that text), as ruff's do, so that
the ``help:`` line, ``lint --format json``, the language server's code action and any future
``--fix`` share one source (docs/editors.md, "Fixes").
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
class Edit:
    """Replace the text of ``span`` with ``text``: an empty span inserts, an empty text
    deletes."""

    span: Span
    text: str


@dataclass(frozen=True, slots=True)
class Fix:
    """A change that resolves a diagnostic, made of edits that do not overlap; ``title`` says
    what it does (``change to "extractor"``), for an editor's menu."""

    title: str
    edits: tuple[Edit, ...]

    @classmethod
    def replacing(cls, span: Span, text: str, shown: str | None = None) -> Fix:
        """One edit: ``text`` instead of what ``span`` covers; the title shows ``shown``
        (``text`` itself when not given)."""
        return cls(f'change to "{text if shown is None else shown}"', (Edit(span, text),))

    def apply(self, text: str) -> str:
        """``text`` with the edits made (the spans' offsets are those of ``text``)."""
        pieces, position = [], 0
        for edit in sorted(self.edits, key=lambda e: e.span.start):
            pieces.append(text[position:edit.span.start])
            pieces.append(edit.text)
            position = edit.span.end
        pieces.append(text[position:])
        return "".join(pieces)


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str  # E001, W202, ...
    severity: Severity
    message: str
    span: Span
    help: str | None = None
    notes: tuple[Note, ...] = ()
    fix: Fix | None = None

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def message_with_notes(self) -> str:
        """The message with its notes in parentheses, for one-line formats (json, github)."""
        return self.message + "".join(f" ({n.message}: {n.span})" for n in self.notes)

    def sort_key(self) -> tuple:
        return (self.span.path, self.span.line, self.span.column, self.code)


def error(code: str, message: str, span: Span, help: str | None = None,
          notes: tuple[Note, ...] = (), fix: Fix | None = None) -> Diagnostic:
    return Diagnostic(code, Severity.ERROR, message, span, help, notes, fix)


def closest(word: str, candidates) -> str | None:
    """The candidate a misspelt word most likely meant, or None when nothing is close."""
    import difflib

    matches = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.7)
    return matches[0] if matches else None


def did_you_mean(word: str, candidates) -> str | None:
    """A ``did you mean "x"?`` hint for a misspelt word, or None when nothing is close."""
    meant = closest(word, candidates)
    return f'did you mean "{meant}"?' if meant is not None else None


def suggest(word: str, candidates, span: Span, write=None) -> tuple[str | None, Fix | None]:
    """``did you mean "x"?`` and the fix that writes it over ``span`` (``write(x)``: the text
    that goes there, when the span covers more than the word, such as the quotes of a
    string); (None, None) when nothing is close."""
    meant = closest(word, candidates)
    if meant is None:
        return None, None
    text = meant if write is None else write(meant)
    return f'did you mean "{meant}"?', Fix.replacing(span, text, meant)
