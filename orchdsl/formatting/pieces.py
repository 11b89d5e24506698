"""The formatter's pieces: a node's words, each with where it stood in the source, and the
lines they take when comments sit between them (``flow``). ``orchdsl.formatting.words`` and
``orchdsl.formatting.condition_words`` cut nodes into pieces.

A clause or a task is cut into pieces: its words in order, each with where it stood in the
source (``,`` and ``=`` go with the word before them; the brackets of an argv list are pieces,
because a comment before ``]`` is inside the action and one after it is not). Without comments
the pieces are joined on one line. The comments inside a node go back
between the pieces by source position, so that a comment after word X is printed after X and
before the word that followed it (docs/language.md, "fmt"):

- a comment that ended a line with code on it ends the line of the word before it again; one
  that stood on a line of its own gets a line of its own;
- the word after a comment starts a continuation line;
- options (a task's, a schedule's) start lines of their own, one level deeper, unless the
  option, the word before it and the comment after it were written on one line: they stay on
  one line, so a ``# orchdsl: ignore[...]`` still covers every word it covered. A break inside
  an option goes one more level deeper.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from orchdsl.lang import ast
from orchdsl.formatting.strings import spell

INDENT = "    "
GAP = "  "  # between code and a comment at the end of its line


@dataclass(frozen=True, slots=True)
class Piece:
    """One word, with the punctuation printed around it and where it stood in the source."""

    body: str | ast.StringLit  # a string is spelt for the indentation of its line
    start: int  # source offset: orders the piece among the comments
    line: int
    end_line: int
    depth: int = 1  # levels under the node's line, for a continuation line it starts
    option: bool = False  # the first word of an option: starts a line of its own
    after: str = ""  # a comma, " ="
    joined: str = " "  # between it and the word before it on the same line

    def text(self, indent: str) -> str:
        body = self.body if isinstance(self.body, str) else spell(self.body, indent)
        return body + self.after


class Source:
    """The text the spans point into: where a keyword that has no node of its own stands."""

    _GAP = re.compile(r"(?:[\s,=]|#[^\n]*)*")

    def __init__(self, text: str) -> None:
        self.text = text
        self._newlines: list[int] | None = None

    def keyword(self, word: str, after: int, fallback: ast.Node, depth: int = 1) -> Piece:
        """``word``, the first thing after offset ``after`` but blanks, commas and comments."""
        at = self._GAP.match(self.text, after).end()
        if not self.text.startswith(word, at):  # the spans do not point into this text
            return keyword_piece(word, fallback.span, depth)
        line = self._line(at)
        return Piece(word, at, line, line, depth)

    def symbol(self, word: str, after: int, fallback: ast.Node, depth: int = 1,
               skip: str = "") -> Piece:
        """``word`` (an operator such as ``==``, a keyword), the first thing after offset
        ``after`` but blanks, comments and the characters of ``skip``."""
        gap = re.compile(rf"(?:\s|#[^\n]*|[{re.escape(skip)}])*" if skip else r"(?:\s|#[^\n]*)*")
        at = gap.match(self.text, after).end()
        if not self.text.startswith(word, at):
            return keyword_piece(word, fallback.span, depth)
        line = self._line(at)
        return Piece(word, at, line, line, depth)

    def _line(self, offset: int) -> int:
        if self._newlines is None:
            self._newlines = [m.start() for m in re.finditer("\n", self.text)]
        return bisect.bisect_left(self._newlines, offset) + 1


def one_line(pieces: list[Piece], indent: str) -> str:
    return flow(pieces, (), indent)[0]


def flow(pieces: list[Piece], comments, indent: str, options_apart: bool = False) -> list[str]:
    """The lines of ``pieces`` (the first starts at ``indent``) with ``comments`` between
    them; with ``options_apart`` (or comments) each option starts a line of its own."""
    items = sorted([*pieces, *comments], key=_start)
    apart = options_apart or bool(comments)
    lines: list[str] = []
    line: str | None = None
    line_indent = indent
    previous: Piece | None = None
    for index, item in enumerate(items):
        if isinstance(item, ast.Comment):
            text = item.text.rstrip()
            if line is not None and previous is not None and item.span.line == previous.end_line:
                lines.append(line.rstrip() + GAP + text)
            else:
                if line is not None:
                    lines.append(line.rstrip())
                following = next((p for p in items[index:] if isinstance(p, Piece)), previous)
                lines.append(indent + INDENT * following.depth + text)
            line = None
            continue
        if (line is not None and apart and item.option
                and not _shares_line(previous, item, items[index + 1:])):
            lines.append(line.rstrip())
            line = None
        if line is None:
            line_indent = indent + INDENT * item.depth
            line = line_indent + item.text(line_indent)
        else:
            line += item.joined + item.text(line_indent)
        previous = item
    if line is not None:
        lines.append(line.rstrip())
    return lines


def _start(item: Piece | ast.Comment) -> int:
    return item.start if isinstance(item, Piece) else item.span.start


def _shares_line(previous: Piece, option: Piece, rest) -> bool:
    """The option, the word before it and the next comment were written on one line."""
    comment = next((c for c in rest if isinstance(c, ast.Comment)), None)
    return comment is not None and previous.end_line == option.line == comment.span.line


def keyword_piece(text: str, span, depth: int = 1, option: bool = False) -> Piece:
    """A keyword at the start of ``span``."""
    return Piece(text, span.start, span.line, span.line, depth, option)


def node_piece(node: ast.Node, body: str | ast.StringLit | None = None, depth: int = 1,
          after: str = "") -> Piece:
    """A word that is a node: its text, or ``body`` (a string literal, a number)."""
    span = node.span
    text = body if body is not None else node.text
    return Piece(text, span.start, span.line, span.end_line, depth, after=after)


def listed(nodes, depth: int = 1, body=None) -> list[Piece]:
    """Comma-separated words, the comma with the word before it."""
    last = len(nodes) - 1
    return [node_piece(n, body(n) if body else None, depth, after="" if i == last else ",")
            for i, n in enumerate(nodes)]
