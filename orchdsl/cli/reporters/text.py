"""The human format: ``path:line:col: error[E101]: message``, the source line, a caret under
the span, then ``note:`` and ``help:`` lines."""

from __future__ import annotations

from orchdsl.lang.diagnostics import Diagnostic
from orchdsl.check.linter import LintReport

_COLORS = {"error": "\033[1;31m", "warning": "\033[1;33m", "caret": "\033[1;36m",
           "bold": "\033[1m", "reset": "\033[0m"}


def source_lines(text: str) -> list[str]:
    """Lines as the parser numbers them: split at \\n only (str.splitlines also splits at form
    feeds and Unicode line separators, which would show the wrong line under a caret)."""
    return [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]


SNIPPET_WIDTH = 160  # characters of a source line shown under a diagnostic


class TextReporter:
    def __init__(self, color: bool = False):
        self.color = color

    def render(self, report: LintReport) -> str:
        out: list[str] = []
        for file in report.files:
            lines = source_lines(file.text)
            for diagnostic in file.diagnostics:
                out.extend(self.diagnostic(diagnostic, lines))
        return "".join(line + "\n" for line in out)

    def diagnostic(self, d: Diagnostic, lines: list[str]) -> list[str]:
        span = d.span
        severity = self._paint(d.severity.value, d.severity.value)
        out = [f"{self._paint('bold', str(span))}: {severity}[{d.code}]: {d.message}"]
        out.extend(self.snippet(lines, span.line, span.column, span.end_line, span.end_column))
        for note in d.notes:
            out.append(f"  note: {note.message}: {note.span}")
        if d.help:
            out.append(f"  help: {d.help}")
        return out

    def snippet(self, lines: list[str], line: int, column: int, end_line: int,
                end_column: int) -> list[str]:
        if not 1 <= line <= len(lines):
            return []
        # Tabs widen differently per terminal: show them as 4 spaces and move the caret along.
        source = lines[line - 1].expandtabs(4)
        start = len(lines[line - 1][:column - 1].expandtabs(4))
        width = max((end_column - column) if end_line == line else len(source) - start, 1)
        # A very long line (a generated file, a minified string) is shown around the caret.
        left = max(0, min(start - 40, len(source) - SNIPPET_WIDTH))
        shown = source[left:left + SNIPPET_WIDTH]
        if left:
            shown, start = "..." + shown[3:], start - left
        if left + SNIPPET_WIDTH < len(source):
            shown = shown[:-3] + "..."
        width = max(min(width, len(shown) - start), 1)
        gutter = str(line)
        caret = " " * start + "^" * width
        return [f" {gutter} | {shown}", f" {' ' * len(gutter)} | {self._paint('caret', caret)}"]

    def _paint(self, style: str, text: str) -> str:
        return f"{_COLORS[style]}{text}{_COLORS['reset']}" if self.color else text


def summary(report: LintReport) -> str | None:
    """The closing line on stderr, or None when no file could be read (the errors say it)."""
    checked = len(report.files)
    if not checked:
        return None
    files = f"{checked} file{'s' if checked != 1 else ''} checked"
    unreadable = len(report.unreadable)
    counts = [f"{report.errors} error{'s' if report.errors != 1 else ''}",
              f"{report.warnings} warning{'s' if report.warnings != 1 else ''}"]
    if unreadable:
        counts.append(f"{unreadable} path{'s' if unreadable != 1 else ''} not readable")
    if not report.errors and not report.warnings and not unreadable:
        return f"{files}: no problems"
    return f"{files}: {', '.join(counts)}"
