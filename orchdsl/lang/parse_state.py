"""What one parse collects besides the tree: the comments and the diagnostics that the
transformer and the lexer callbacks report.

It lives in a context variable because lark's transformer and lexer callbacks are fixed when
the (shared, cached) parser is built; ``orchdsl.lang.parser.parse`` sets it for each parse.
"""

from __future__ import annotations

import contextvars
import re
from dataclasses import dataclass, field

from orchdsl.lang import ast
from orchdsl.lang.diagnostics import Diagnostic, Fix, error
from orchdsl.lang.lexical import StringLocator
from orchdsl.lang.source import Span


@dataclass
class ParseState:
    path: str
    text: str = ""
    comments: list[ast.Comment] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    # An empty string right before a quote was read (see ``note_empty_string``).
    long_string_risk: bool = False


STATE: contextvars.ContextVar[ParseState] = contextvars.ContextVar("orchdsl_parse_state")


def current() -> ParseState:
    return STATE.get()


def report(message: str, span: Span, help: str | None = None, fix: Fix | None = None) -> None:
    """A syntax error (E001) found while building the tree."""
    current().diagnostics.append(error("E001", message, span, help, fix=fix))


def token_span(token, path: str | None = None) -> Span:
    return Span(path if path is not None else STATE.get().path, token.line, token.column,
                token.end_line, token.end_column, token.start_pos, token.end_pos)


def keep_comment(token) -> None:
    """The lexer's callback for ``COMMENT``: comments are kept for the formatter."""
    state = current()
    comment = ast.Comment(str(token), token_span(token, state.path))
    state.comments.append(comment)
    report_control_characters(str(token), token)


def note_empty_string(token):
    """The lexer's callback for ``STRING`` and ``RAW_STRING``: ``""`` followed by ``"`` is read
    so only because no ``\"\"\"`` closes a long string that would start there, which text
    anywhere after it can change. A parse of part of a file (``parser.parse_fragment``) cannot
    know that, so it gives up on such a text."""
    if token.end_pos - token.start_pos <= 3 and str(token) in ('""', 'r""'):
        state = current()
        if state.text.startswith('"', token.end_pos):
            state.long_string_risk = True
    return token


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")  # tab, LF, FF and CR are fine (CRLF files)


def report_control_characters(text: str, token) -> None:
    """A control character (an escape sequence, a bell) would reach terminals as it is."""
    match = _CONTROL.search(text)
    if match:
        locate = StringLocator(current().path, text, token.line, token.column, token.start_pos)
        report(f"control character U+{ord(match.group()):04X} in the file",
               locate.span(match.start(), match.start() + 1),
               "write \\t or \\n in a string instead, or remove it")


def source_text(span: Span) -> str:
    """The text a span covers, each line break (with the indentation around it and any comment
    before it) read as one space: how a condition is quoted in a reason."""
    state = current()
    pieces, position = [], span.start
    for comment in state.comments:
        if span.start <= comment.span.start < span.end:
            pieces.append(state.text[position:comment.span.start])
            position = comment.span.end
    pieces.append(state.text[position:span.end])
    return re.sub(r"[ \t\r]*\n\s*", " ", "".join(pieces)).strip()
