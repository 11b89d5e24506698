"""``--format github``: GitHub Actions workflow commands, shown as annotations on the diff.

``::error file=x.orch,line=3,col=5,endLine=3,endColumn=9,title=E101::duplicate task "crm"``
"""

from __future__ import annotations

from orchdsl.lang.diagnostics import Diagnostic
from orchdsl.check.linter import LintReport


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(d: Diagnostic) -> str:
    s = d.span
    properties = {"file": s.path, "line": s.line, "col": s.column, "endLine": s.end_line,
                  "endColumn": s.end_column, "title": f"orchdsl {d.code}"}
    fields = ",".join(f"{k}={_escape_property(str(v))}" for k, v in properties.items())
    message = d.message_with_notes() + (f"\nhelp: {d.help}" if d.help else "")
    return f"::{d.severity.value} {fields}::{_escape_data(message)}"


class GithubReporter:
    def __init__(self, color: bool = False):
        pass

    def render(self, report: LintReport) -> str:
        return "".join(command(d) + "\n" for d in report.diagnostics)
