"""What a rule sees: one parsed file, its orchestration, and the loader for nested files."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cached_property

from orchdsl.check.scope import Scope
from orchdsl.lang import ast
from orchdsl.lang.loader import Loader


@dataclass
class LintContext:
    document: ast.Document
    loader: Loader
    now: datetime = field(default_factory=lambda: datetime.now(timezone.utc))  # for W207

    @property
    def orchestration(self) -> ast.Orchestration:
        assert self.document.orchestration is not None, "rules run only on parsed files"
        return self.document.orchestration

    @cached_property
    def phase_of_task(self) -> dict[str, int]:
        """Task name -> index of its phase (first definition wins, as for duplicates)."""
        found: dict[str, int] = {}
        for index, phase in enumerate(self.orchestration.phases):
            for task in phase.tasks:
                found.setdefault(task.name.text, index)
        return found

    @cached_property
    def declared(self) -> dict[str, ast.Param | ast.Secret]:
        """Param and secret names -> their first declaration."""
        found: dict[str, ast.Param | ast.Secret] = {}
        for clause in self.orchestration.clauses:
            if isinstance(clause, (ast.Param, ast.Secret)):
                found.setdefault(clause.name.text, clause)
        return found

    @cached_property
    def scope(self) -> Scope:
        """What the tasks and phases of the file may name (orchdsl.check.scope)."""
        return Scope(self.orchestration)

    @property
    def is_scheduled(self) -> bool:
        return bool(self.orchestration.schedules)
