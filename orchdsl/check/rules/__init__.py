"""Lint rules: each a small unit with a code, a slug, a default severity and a docstring that
``orchdsl lint --explain CODE`` prints. The registry is a plain dict filled by ``@rule``.

A rule is a function ``check(ctx) -> Iterator[Finding]``; the registry turns its findings into
diagnostics with the rule's code and severity.
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

from orchdsl.lang.diagnostics import Diagnostic, Fix, Note, Severity
from orchdsl.lang.source import Span

# The modules that hold rules, in the order their rules are listed.
RULE_MODULES = ("syntax", "names", "clauses", "values", "schedules", "notify", "tasks",
                "nested", "phases", "secrets", "calls", "outputs", "conditions", "matrices",
                "placement")


@dataclass(frozen=True, slots=True)
class Finding:
    span: Span
    message: str
    help: str | None = None
    notes: tuple[Note, ...] = ()
    fix: Fix | None = None  # the machine-applicable edit, where the help names one thing


@dataclass(frozen=True)
class Rule:
    code: str
    slug: str
    severity: Severity
    doc: str
    check: Callable[..., Iterable[Finding]] | None  # None: reported by the parser itself

    def run(self, ctx) -> Iterator[Diagnostic]:
        if self.check is None:
            return
        for found in self.check(ctx):
            yield Diagnostic(self.code, self.severity, found.message, found.span, found.help,
                             found.notes, found.fix)

    def explain(self) -> str:
        return f"{self.code} ({self.slug}), {self.severity.value}\n\n{self.doc}\n"


REGISTRY: dict[str, Rule] = {}


def rule(code: str, slug: str, severity: Severity = Severity.ERROR, *, checked: bool = True):
    """Register a rule; the function's docstring is its documentation."""

    def register(function):
        doc = inspect.cleandoc(function.__doc__ or "")
        REGISTRY[code] = Rule(code, slug, severity, doc, function if checked else None)
        return function

    return register


def repeats(nodes, key):
    """(node, first node with the same key) for every repeat; a key of None is no key."""
    first: dict[object, object] = {}
    for node in nodes:
        k = key(node)
        if k is None:
            continue
        if k in first:
            yield node, first[k]
        else:
            first[k] = node


def all_rules() -> dict[str, Rule]:
    for name in RULE_MODULES:
        importlib.import_module(f"orchdsl.check.rules.{name}")
    return dict(sorted(REGISTRY.items()))
