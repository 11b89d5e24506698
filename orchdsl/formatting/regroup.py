"""Rewrites that move tasks between phases, as AST → AST transforms (docs/reference.md, ``fmt``).

``group_by_kind`` is Keboola's "Group tasks into phases by component type": every task goes to
the Extract, Transform, Write or Apps phase of its kind, in file order. ``move_task`` is its
"move selected tasks between phases". Both refuse, with diagnostics naming the tasks, rather
than write a file where a task would depend on one of the same or a later phase (``needs``,
conditions, outputs, matrices: ``regroup_checks``), whose tasks have nowhere to go, or (for
``group_by_kind``) where a phase condition would decide for other tasks. No comment is
dropped: the comments of a phase that disappears go with its first task.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from orchdsl.lang import ast
from orchdsl.lang.diagnostics import Diagnostic, did_you_mean, error
from orchdsl.formatting.regroup_checks import changed_conditions, dependencies, later_dependency

# The phases of Keboola's ETL scheme, in order, and the kind each one holds.
PHASE_OF_KIND = {ast.Kind.EXTRACTOR: "Extract", ast.Kind.TRANSFORMATION: "Transform",
                 ast.Kind.WRITER: "Write", ast.Kind.APPLICATION: "Apps"}
KINDLESS = "E117"  # a task without a kind cannot be grouped by kind
# What `orchdsl lint --explain E117` prints: no lint rule reports this code, fmt does.
KINDLESS_EXPLAINED = """\
E117 (reported by orchdsl fmt --group-by-kind, not by lint)

A task has no kind (extractor, transformation, writer, application), so
`orchdsl fmt --group-by-kind` cannot tell which phase (Extract, Transform,
Write, Apps) it belongs in. The file is left as it was; every such task is named.

Bad:
    task crm run "python3 extract_db.py"

Good:
    task crm extractor run "python3 extract_db.py"
"""


@dataclass(frozen=True, slots=True)
class Refused:
    """Why a rewrite was not made; the file is left as it was."""

    diagnostics: tuple[Diagnostic, ...]


class UnknownTask(ValueError):
    """``--move`` names no task of the file (a usage error)."""


# -- group by kind --------------------------------------------------------------------------


def group_by_kind(orchestration: ast.Orchestration) -> ast.Orchestration | Refused:
    tasks = orchestration.tasks
    if not tasks:
        return orchestration
    order = list(PHASE_OF_KIND)
    rank = {t.name.text: order.index(t.kind) for t in reversed(tasks) if t.kind is not None}
    problems = [_kindless(task) for task in tasks if task.kind is None]
    for task in tasks:
        own = order.index(task.kind) if task.kind is not None else None
        problems.extend(
            later_dependency(task, dependency, PHASE_OF_KIND[task.kind],
                             PHASE_OF_KIND[order[rank[dependency.name]]], FLAG)
            for dependency in dependencies(task)
            if own is not None and dependency.name in rank and rank[dependency.name] >= own)
    if not problems:
        regrouped = _regrouped(orchestration)
        problems = changed_conditions(orchestration, regrouped, FLAG)
    if problems:
        problems.sort(key=Diagnostic.sort_key)
        return Refused(tuple(problems))
    return regrouped


FLAG = "--group-by-kind"


def _regrouped(orchestration: ast.Orchestration) -> ast.Orchestration:
    phases = orchestration.phases
    kept = {}  # phase name -> the existing phase that keeps its name, header and comments
    for phase in phases:
        kept.setdefault(phase.name.value, phase)
    members: dict[str, list[ast.Task]] = {name: [] for name in PHASE_OF_KIND.values()}
    orphans: list[ast.Comment] = []
    for phase in phases:
        is_kept = kept.get(phase.name.value) is phase and phase.name.value in members
        moved = list(phase.tasks) if is_kept else _with_phase_comments(phase, orphans)
        for task in moved:
            members[PHASE_OF_KIND[task.kind]].append(task)
    new_phases = []
    for name, tasks in members.items():
        if tasks:
            base = kept.get(name) or _new_phase(name, phases[0].span)
            new_phases.append(replace(base, tasks=tuple(tasks)))
    if orphans:
        first = new_phases[0]
        new_phases[0] = replace(first, comments=ast.Comments(
            tuple(orphans) + first.comments.leading, first.comments.trailing))
    return _with_phases(orchestration, new_phases)


def _with_phase_comments(phase: ast.Phase, orphans: list[ast.Comment]) -> list[ast.Task]:
    """The tasks of a phase that disappears, the first one leading with the phase's comments
    (or, for an empty phase, the comments added to ``orphans``)."""
    comments = [*phase.comments.leading, *filter(None, [phase.opening_comment]),
                *phase.closing_comments, *filter(None, [phase.comments.trailing])]
    tasks = list(phase.tasks)
    if not comments:
        return tasks
    if not tasks:
        orphans.extend(comments)
        return tasks
    first = tasks[0]
    tasks[0] = replace(first, comments=ast.Comments(tuple(comments) + first.comments.leading,
                                                    first.comments.trailing))
    return tasks


def _with_phases(orchestration: ast.Orchestration, phases: list[ast.Phase]) -> ast.Orchestration:
    """The phases in place of the old ones, where the first of those was."""
    clauses = list(orchestration.clauses)
    first = next(i for i, c in enumerate(clauses) if isinstance(c, ast.Phase))
    others = [c for c in clauses if not isinstance(c, ast.Phase)]
    before = sum(1 for c in clauses[:first] if not isinstance(c, ast.Phase))
    return replace(orchestration, clauses=tuple(others[:before] + phases + others[before:]))


def _new_phase(name: str, span) -> ast.Phase:
    """A phase named ``name``, spelt with the escapes it needs (a name from the command line
    may hold a quote or a ``$``)."""
    escaped = "".join(_ESCAPED.get(char, char) for char in name)
    return ast.Phase(span=span, name=ast.StringLit(span=span, raw=f'"{escaped}"', parts=(name,)))


_ESCAPED = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "$": "\\$"}


def _kindless(task: ast.Task) -> Diagnostic:
    return error(KINDLESS, f'task "{task.name.text}" has no kind, so --group-by-kind cannot '
                           "place it", task.name.span,
                 "give it a kind (extractor, transformation, writer or application)")


# -- move one task --------------------------------------------------------------------------


def move_task(orchestration: ast.Orchestration, name: str,
              phase_name: str) -> ast.Orchestration | Refused:
    """The task ``name`` moved to the end of the phase ``phase_name``, which is added after
    the last phase when there is none of that name. A phase left empty goes, unless it holds
    comments. Raises UnknownTask when no task is called ``name``."""
    tasks = orchestration.tasks
    task = next((t for t in tasks if t.name.text == name), None)
    if task is None:
        hint = did_you_mean(name, [t.name.text for t in tasks])
        raise UnknownTask(f'no task "{name}" in this file' + (f" ({hint})" if hint else ""))
    phases = list(orchestration.phases)
    source = next(p for p in phases if task in p.tasks)
    if source.name.value == phase_name:
        return orchestration
    target = next((p for p in phases if p.name.value == phase_name), None)
    order = [p.name.value for p in phases] + ([] if target else [phase_name])
    broken = _needs_after_move(orchestration, task, source, order.index(phase_name), order)
    if broken:
        return Refused(tuple(broken))
    return _moved(orchestration, task, source, target, phase_name)


def _needs_after_move(orchestration, moved: ast.Task, source: ast.Phase, new_index: int,
                      order: list[str]) -> list[Diagnostic]:
    index = {}
    for number, phase in enumerate(orchestration.phases):
        for task in phase.tasks:
            index.setdefault(task.name.text, new_index if task is moved else number)
    found = []
    for number, phase in enumerate(orchestration.phases):
        for task in phase.tasks:
            own = new_index if task is moved else number
            for dependency in dependencies(task):
                name = dependency.name
                involved = task is moved or name == moved.name.text
                if involved and name in index and index[name] >= own:
                    found.append(later_dependency(task, dependency, order[own], order[index[name]],
                                                  "--move"))
    return found


def _moved(orchestration: ast.Orchestration, task: ast.Task, source: ast.Phase,
           target: ast.Phase | None, phase_name: str) -> ast.Orchestration:
    clauses = []
    for clause in orchestration.clauses:
        if clause is source:
            left = replace(source, tasks=tuple(t for t in source.tasks if t is not task))
            if left.tasks or _has_comments(left):
                clauses.append(left)
        elif clause is target:
            clauses.append(replace(target, tasks=target.tasks + (task,)))
        else:
            clauses.append(clause)
    if target is None:
        phase_positions = [i for i, c in enumerate(clauses) if isinstance(c, ast.Phase)]
        after_last = phase_positions[-1] + 1 if phase_positions else len(clauses)
        clauses.insert(after_last, replace(_new_phase(phase_name, source.span), tasks=(task,)))
    return replace(orchestration, clauses=tuple(clauses))


def _has_comments(phase: ast.Phase) -> bool:
    return bool(phase.comments.leading or phase.comments.trailing or phase.opening_comment
                or phase.closing_comments)
