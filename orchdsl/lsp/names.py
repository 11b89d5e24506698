"""The names a file declares, for completion and hover: its tasks (with their phase), phases,
params and secrets, matrix names, and the outputs each task is known to set.

A task's outputs are known from the file itself, where another task reads them
(``${tasks.crm.outputs.rows}``, ``when tasks.crm.outputs.rows > 0``, ``matrix f from
tasks.list.outputs.files``), and for a ``call`` task from the dict its function returns, when
its source says so plainly (``orchdsl.lsp.call_outputs``): a ``run`` task's outputs are
whatever its command appends to ``$ORCHDSL_OUTPUT``, which no reading of the file can know.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from orchdsl.lang import ast


@dataclass(frozen=True)
class TaskName:
    task: ast.Task
    phase: int  # the index of its phase
    phase_name: str


@dataclass
class Names:
    tasks: dict[str, TaskName] = field(default_factory=dict)
    phases: list[str] = field(default_factory=list)
    declared: dict[str, ast.Param | ast.Secret] = field(default_factory=dict)
    outputs: dict[str, set[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, document: ast.Document, path: str) -> Names:
        names = cls()
        orchestration = document.orchestration
        if orchestration is None:
            return names
        for clause in orchestration.clauses:
            if isinstance(clause, (ast.Param, ast.Secret)):
                names.declared.setdefault(clause.name.text, clause)
        for index, phase in enumerate(orchestration.phases):
            names.phases.append(phase.name.value)
            for task in phase.tasks:
                names.tasks.setdefault(task.name.text, TaskName(task, index, phase.name.value))
        names._read_outputs(orchestration, os.path.dirname(path))
        return names

    def earlier(self, phase: str | None) -> list[str]:
        """The tasks of the phases before ``phase`` (every task when it is not known): the
        only ones ``needs``, conditions and output references may name."""
        if phase not in self.phases:
            return list(self.tasks)
        index = self.phases.index(phase)
        return [name for name, task in self.tasks.items() if task.phase < index]

    def outputs_of(self, task: str) -> list[str]:
        return sorted(self.outputs.get(task.split(".")[0], ()))

    def _read_outputs(self, orchestration: ast.Orchestration, folder: str) -> None:
        from orchdsl.lsp.call_outputs import returned_keys

        for task in orchestration.tasks:
            for reference in _output_references(task):
                task_name, output = reference
                self.outputs.setdefault(task_name.split(".")[0], set()).add(output)
            if isinstance(task.action, ast.Call):
                keys = returned_keys(folder, task.action.target.value)
                self.outputs.setdefault(task.name.text, set()).update(keys)
        for phase in orchestration.phases:
            if phase.when is not None:
                for ref in ast.references(phase.when.condition):
                    if ref.output is not None:
                        self.outputs.setdefault(ref.task_name, set()).add(ref.output)


def _output_references(task: ast.Task):
    for string in task.strings():
        for part in string.interpolations:
            if part.output_ref is not None:
                yield part.output_ref
    conditions = [task.when.condition] if task.when else []
    for reference in [r for c in conditions for r in ast.references(c)] + [
            m.source for m in task.matrices if m.source is not None]:
        if reference.output is not None:
            yield reference.task, reference.output
