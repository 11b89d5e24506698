"""One file through the formatter: parse, rewrite (optional), lay out, check the result.

Returns values only; ``orchdsl.cli.fmt_cmd`` prints them and picks the exit code.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Callable

from orchdsl.lang import ast
from orchdsl.lang.diagnostics import Diagnostic
from orchdsl.formatting.equivalence import same_document
from orchdsl.formatting.layout import layout
from orchdsl.formatting.regroup import Refused

Rewrite = Callable[[ast.Orchestration], "ast.Orchestration | Refused"]


class Outcome(enum.Enum):
    FORMATTED = "formatted"  # ``text`` is the file in canonical layout (maybe unchanged)
    SYNTAX_ERROR = "syntax error"  # the file does not parse: ``diagnostics`` say why
    REFUSED = "refused"  # the rewrite cannot be made: ``diagnostics`` name the tasks
    UNSAFE = "unsafe"  # the layout would change the meaning: a bug in orchdsl


@dataclass(frozen=True, slots=True)
class Formatted:
    outcome: Outcome
    text: str | None = None
    diagnostics: tuple[Diagnostic, ...] = ()

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.FORMATTED


def format_text(text: str, path: str = "<string>", rewrite: Rewrite | None = None) -> Formatted:
    """The canonical text of ``text``, after ``rewrite`` when one is given.

    Like black's safe mode, the result is parsed again and must mean what the input (after the
    rewrite) means, comments included; otherwise it is UNSAFE and must not be written.
    """
    from orchdsl.lang.parser import parse

    parsed = parse(text, path)
    if not parsed.ok:
        return Formatted(Outcome.SYNTAX_ERROR, diagnostics=parsed.diagnostics)
    document = parsed.document
    if rewrite is not None:
        changed = rewrite(document.orchestration)
        if isinstance(changed, Refused):
            return Formatted(Outcome.REFUSED, diagnostics=changed.diagnostics)
        document = ast.Document(document.path, text, changed, document.comments,
                                document.trailing_comments)
    formatted = layout(document, newline=line_end(text))
    again = parse(formatted, path)
    if not again.ok or not same_document(document, again.document):
        return Formatted(Outcome.UNSAFE, text=formatted)
    return Formatted(Outcome.FORMATTED, text=formatted)


def line_end(text: str) -> str:
    """``\\r\\n`` for a file whose first line ends so (Windows editors), else ``\\n``."""
    first = text.find("\n")
    return "\r\n" if first > 0 and text[first - 1] == "\r" else "\n"
