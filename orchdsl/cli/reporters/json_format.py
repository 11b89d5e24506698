"""``--format json``: one document, ``{"version": 1, "diagnostics": [...]}`` (docs/reference.md,
"Conventions of every command").

Each diagnostic has exactly the keys ``path line column end_line end_column severity code
message help fix`` (``help`` and ``fix`` may be null); lines and columns are 1-based,
``end_column`` exclusive. ``fix`` (new in ``"version": 1``, so older readers ignore it) is the
machine-applicable change where the help names one: ``{"title", "edits": [{"line", "column",
"end_line", "end_column", "text"}]}``, each edit replacing its span with its text.
"""

from __future__ import annotations

import json

from orchdsl.lang.diagnostics import Diagnostic, Fix
from orchdsl.check.linter import LintReport

VERSION = 1


def diagnostic_dict(d: Diagnostic) -> dict:
    s = d.span
    message = d.message_with_notes()
    return {"path": s.path, "line": s.line, "column": s.column, "end_line": s.end_line,
            "end_column": s.end_column, "severity": d.severity.value, "code": d.code,
            "message": message, "help": d.help, "fix": fix_dict(d.fix)}


def fix_dict(fix: Fix | None) -> dict | None:
    if fix is None:
        return None
    return {"title": fix.title, "edits": [
        {"line": e.span.line, "column": e.span.column, "end_line": e.span.end_line,
         "end_column": e.span.end_column, "text": e.text} for e in fix.edits]}


class JsonReporter:
    def __init__(self, color: bool = False):
        pass

    def render(self, report: LintReport) -> str:
        document = {"version": VERSION,
                    "diagnostics": [diagnostic_dict(d) for d in report.diagnostics]}
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
