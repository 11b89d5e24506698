"""The human format: ``path:line:col: error[E101]: message``, the source line, a caret under
the span, then ``note:`` and ``help:`` lines."""

from __future__ import annotations

from orchdsl.diagnostics import Diagnostic
from orchdsl.linter import LintReport

_COLORS = {"error": "\033[1;31m", "warning": "\033[1;33m", "caret": "\033[1;36m",
           "bold": "\033[1m", "reset": "\033[0m"}


def source_lines(text: str) -> list[str]:
    """Lines as the parser numbers them: split at \\n only (str.splitlines also splits at form
    feeds and Unicode line separators, which would show the wrong line under a caret)."""
    return [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]


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
        source = lines[line - 1]
        # Tabs widen differently per terminal; show them as 4 spaces and move the caret along.
        prefix = source[:column - 1].expandtabs(4)
        width = (end_column - column) if end_line == line else len(source) - column + 1
        shown = source.expandtabs(4)
        gutter = str(line)
        caret = " " * len(prefix) + "^" * max(width, 1)
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
