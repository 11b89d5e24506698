"""``--format sarif``: SARIF 2.1.0, for GitHub code scanning and other SARIF viewers."""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import quote

from orchdsl._version import __version__
from orchdsl.lang.diagnostics import Diagnostic
from orchdsl.check.linter import LintReport
from orchdsl.lang.source import Span

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/orchdsl/orchdsl"


class SarifReporter:
    def __init__(self, color: bool = False):
        pass

    def render(self, report: LintReport) -> str:
        from orchdsl.check.rules import all_rules

        rules = list(all_rules().values())
        index = {r.code: i for i, r in enumerate(rules)}
        run = {
            "tool": {"driver": {
                "name": "orchdsl", "version": __version__, "informationUri": INFORMATION_URI,
                "rules": [_rule(r) for r in rules],
            }},
            # SARIF 2.1.0 §3.14.27: a run with results SHALL say how columns are counted. The
            # parser counts characters of the decoded text: code points, not UTF-16 units.
            "columnKind": "unicodeCodePoints",
            "originalUriBaseIds": {"%SRCROOT%": {"uri": Path.cwd().as_uri() + "/"}},
            "results": [_result(d, index) for d in report.diagnostics],
        }
        document = {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _rule(rule) -> dict:
    summary = rule.doc.split("\n\n", 1)[0].replace("\n", " ")
    level = "error" if rule.severity.value == "error" else "warning"
    return {"id": rule.code, "name": rule.slug, "shortDescription": {"text": summary},
            "fullDescription": {"text": rule.doc}, "defaultConfiguration": {"level": level},
            "help": {"text": rule.doc}}


def _result(d: Diagnostic, index: dict[str, int]) -> dict:
    text = d.message + (f" (help: {d.help})" if d.help else "")
    result = {"ruleId": d.code, "ruleIndex": index.get(d.code, 0), "level": d.severity.value,
              "message": {"text": text}, "locations": [_location(d.span)]}
    if d.notes:
        result["relatedLocations"] = [
            dict(_location(n.span), id=i, message={"text": n.message})
            for i, n in enumerate(d.notes)]
    return result


def _location(span: Span) -> dict:
    region = {"startLine": span.line, "startColumn": span.column, "endLine": span.end_line,
              "endColumn": span.end_column}
    return {"physicalLocation": {"artifactLocation": _artifact(span.path), "region": region}}


def _artifact(path: str) -> dict:
    if path == "-":
        return {"uri": "stdin"}
    relative = os.path.relpath(path)
    if relative.startswith(".."):
        return {"uri": Path(path).resolve().as_uri()}
    return {"uri": quote(relative.replace(os.sep, "/")), "uriBaseId": "%SRCROOT%"}
