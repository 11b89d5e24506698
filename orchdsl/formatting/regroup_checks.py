"""What a rewrite that moves tasks between phases must keep (docs/language.md, "fmt"): every
task a task depends on still runs in an earlier phase, and every phase condition still means
what it meant.

A task depends on the tasks it ``needs`` (E110), names in its ``when`` (``tasks.crm...``,
``failed(crm)``: E119), reads an output of in its strings (``${tasks.crm.outputs.rows}``:
E118) and takes a dynamic matrix from (E120): all must run before it (docs/reference.md). A
phase's ``when`` decides for its tasks, reads "the tasks before" (``failed()``), and a
condition may name a phase (``failed("Extract")``): a rewrite that changes which tasks are in
such a phase, or before it, would change what the condition means.
"""

from __future__ import annotations

from dataclasses import dataclass

from orchdsl.lang import ast
from orchdsl.lang.diagnostics import Diagnostic, error
from orchdsl.lang.source import Span


@dataclass(frozen=True, slots=True)
class Dependency:
    """One task that ``task`` names and that must run before it."""

    name: str  # the task, without a matrix instance (load, for tasks.load.eu.outputs.x)
    span: Span
    how: str  # "needs", "when", "output", "matrix"


CODES = {"needs": "E110", "when": "E119", "output": "E118", "matrix": "E120"}
_READS = {"when": "names", "output": "reads an output of", "matrix": "takes its matrix from"}


def dependencies(task: ast.Task) -> list[Dependency]:
    found = [Dependency(w.text, w.span, "needs") for w in task.needs]
    if task.when is not None:
        found.extend(Dependency(name, span, "when") for name, span in _condition_tasks(task.when))
    for string in task.strings():
        for interpolation in string.interpolations:
            if interpolation.output_ref is not None:
                name = interpolation.output_ref[0].split(".")[0]
                found.append(Dependency(name, interpolation.span, "output"))
    for matrix in task.matrices:
        if matrix.source is not None and matrix.source.task_name is not None:
            found.append(Dependency(matrix.source.task_name, matrix.source.span, "matrix"))
    return found


def _condition_tasks(when: ast.When):
    for reference in ast.references(when.condition):
        if reference.task_name is not None:
            yield reference.task_name, reference.span
    for call in ast.status_calls(when.condition):
        for arg in call.args:
            if isinstance(arg, ast.Word):
                yield arg.text.split(".")[0], arg.span


def later_dependency(task: ast.Task, dependency: Dependency, phase: str, needed_phase: str,
                     flag: str) -> Diagnostic:
    """``task`` would no longer run after the task it depends on."""
    where = (f'both would be in phase "{phase}"' if phase == needed_phase
             else f'"{dependency.name}" would be in the later phase "{needed_phase}"')
    if dependency.how == "needs":
        return error(CODES["needs"], f'task "{task.name.text}" needs "{dependency.name}", but '
                                     f"after {flag} {where}", dependency.span,
                     "needs may only name tasks of earlier phases: remove it, or move the tasks "
                     "by hand")
    return error(CODES[dependency.how], f'task "{task.name.text}" {_READS[dependency.how]} '
                                        f'"{dependency.name}", but after {flag} {where}',
                 dependency.span, "a task may only depend on tasks of earlier phases: move the "
                                  "tasks by hand")


def changed_conditions(before: ast.Orchestration, after: ast.Orchestration,
                       flag: str) -> list[Diagnostic]:
    """A phase with a ``when``, or a phase a condition names, whose tasks (or the tasks before
    it) the rewrite would change."""
    old, new = _membership(before), _membership(after)
    found = []
    for phase in before.phases:
        name = phase.name.value
        if phase.when is not None and old.get(name) != new.get(name):
            found.append(error(CODES["when"], f'phase "{name}" has a condition, and {flag} would '
                                              "change which tasks it decides for", phase.when.span,
                               "move its tasks by hand, or remove the condition first"))
    for named in _named_phases(before):
        name = named.value
        if old.get(name) != new.get(name):
            found.append(error(CODES["when"], f'a condition names phase "{name}", whose tasks '
                                              f"{flag} would change", named.span,
                               "name the tasks instead of the phase, or move the tasks by hand"))
    return found


def _membership(orchestration: ast.Orchestration) -> dict[str, tuple]:
    """Each phase name: (its tasks, the tasks of the phases before it)."""
    seen: list[str] = []
    found: dict[str, tuple] = {}
    for phase in orchestration.phases:
        names = [t.name.text for t in phase.tasks]
        found.setdefault(phase.name.value, (tuple(names), frozenset(seen)))
        seen.extend(names)
    return found


def _named_phases(orchestration: ast.Orchestration):
    conditions = [p.when for p in orchestration.phases] + [t.when for t in orchestration.tasks]
    for when in filter(None, conditions):
        for call in ast.status_calls(when.condition):
            yield from (a for a in call.args if isinstance(a, ast.StringLit))
