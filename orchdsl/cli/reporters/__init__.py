"""Output formats of ``orchdsl lint``: one class per format behind one interface, by name."""

from __future__ import annotations

import importlib
from typing import Protocol

from orchdsl.check.linter import LintReport

FORMATS = {
    "text": ("orchdsl.cli.reporters.text", "TextReporter"),
    "json": ("orchdsl.cli.reporters.json_format", "JsonReporter"),
    "sarif": ("orchdsl.cli.reporters.sarif", "SarifReporter"),
    "github": ("orchdsl.cli.reporters.github", "GithubReporter"),
}


class Reporter(Protocol):
    def render(self, report: LintReport) -> str:
        """The whole output for a report, ending with a newline when not empty."""


def reporter(name: str, *, color: bool = False) -> Reporter:
    module, cls = FORMATS[name]
    return getattr(importlib.import_module(module), cls)(color=color)
