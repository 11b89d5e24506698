"""Matrix instances (docs/reference.md, "Matrix"): the one definition of how a task with
``matrix`` clauses fans out, for lint, the graph, the planner and the runtime alike.

A task's clauses multiply in clause order, the first clause varying slowest. An instance is
named ``<task>.<value>`` (its values joined by ``.`` in clause order) when every value of it
matches ``[A-Za-z0-9_-]+``, else ``<task>.<n>``, ``n`` the 1-based index of its combination.
Where those names would not be unique (a dynamic matrix over an output with a line twice, or
values such as ``"2"`` and ``"a b"``), every instance of the task is named ``<task>.<n>``
(docs/language.md, "Matrix instances").

    >>> [i.name for i in instances("regions", [("region", ["eu", "us"]), ("tier", ["gold"])])]
    ['regions.eu.gold', 'regions.us.gold']
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Sequence

if TYPE_CHECKING:  # the runner expands matrices without loading the syntax tree's module
    from orchdsl.lang import ast

__all__ = ["MAX_INSTANCES", "Clause", "Instance", "TooManyInstances", "count", "instances",
           "instance_name", "is_plain_value", "lines", "static_clauses", "static_instances",
           "task_clauses"]

MAX_INSTANCES = 10_000  # per task; GitLab stops at 200
_PLAIN_VALUE = re.compile(r"[A-Za-z0-9_-]+\Z")

Clause = tuple[str, Sequence[str]]  # (matrix name, its values in order)


@dataclass(frozen=True, slots=True)
class Instance:
    """One combination of a task's matrix values: ``values`` are ``(matrix name, value)`` in
    clause order, ``index`` the 1-based number of the combination."""

    name: str
    values: tuple[tuple[str, str], ...]
    index: int

    def value(self, matrix: str) -> str:
        """The instance's value of one matrix (``${matrix}`` in the task's strings)."""
        return next(v for n, v in self.values if n == matrix)


class TooManyInstances(ValueError):
    """The clauses would make more than ``MAX_INSTANCES`` instances; ``count`` says how many."""

    def __init__(self, task: str, count: int):
        super().__init__(f'task "{task}" would run as {count:,} matrix instances; at most '
                         f"{MAX_INSTANCES:,} are allowed")
        self.task = task
        self.count = count


def is_plain_value(value: str) -> bool:
    """A value that may stand in an instance's name (``[A-Za-z0-9_-]+``)."""
    return _PLAIN_VALUE.match(value) is not None


def instance_name(task: str, values: Sequence[str], index: int) -> str:
    """The name of one instance by the rule alone (``instances`` also keeps names unique)."""
    if values and all(is_plain_value(v) for v in values):
        return ".".join([task, *values])
    return f"{task}.{index}"


def count(clauses: Sequence[Clause]) -> int:
    """How many instances the clauses make, without making them (0 when one list is empty,
    and for no clause: a task without a matrix makes no instance)."""
    return math.prod(len(values) for _, values in clauses) if clauses else 0


def instances(task: str, clauses: Sequence[Clause]) -> list[Instance]:
    """Every instance of ``task``, the first clause varying slowest. No clause: no instance;
    an empty list: no instance (a dynamic matrix over an empty output is skipped). Raises
    TooManyInstances past ``MAX_INSTANCES``."""
    total = count(clauses)
    if total > MAX_INSTANCES:
        raise TooManyInstances(task, total)
    if not clauses:
        return []
    names = [name for name, _ in clauses]
    combinations = list(itertools.product(*(values for _, values in clauses)))
    shown = [instance_name(task, combo, n) for n, combo in enumerate(combinations, 1)]
    if len(set(shown)) < len(shown):
        shown = [f"{task}.{n}" for n in range(1, len(combinations) + 1)]
    return [Instance(name, tuple(zip(names, combo)), n)
            for n, (name, combo) in enumerate(zip(shown, combinations), 1)]


def lines(output: str) -> list[str]:
    """The values a dynamic matrix takes from an output: one per line that holds more than
    blanks, as written (a CRLF line loses its CR)."""
    found = []
    for line in output.split("\n"):
        line = line[:-1] if line.endswith("\r") else line
        if line.strip():
            found.append(line)
    return found


def static_clauses(task: ast.Task) -> list[Clause] | None:
    """The task's clauses when every one is a list; None when one takes its values ``from``
    an output."""
    if any(m.is_dynamic for m in task.matrices):
        return None
    return [(m.name.text, [v.value for v in m.values or ()]) for m in task.matrices]


def static_instances(task: ast.Task) -> list[Instance] | None:
    """The instances of a task whose matrices are all lists; None for a task without a matrix
    and for one with a dynamic clause (its instances are known when its phase starts:
    ``task_clauses``). Raises TooManyInstances past ``MAX_INSTANCES``."""
    clauses = static_clauses(task)
    if not clauses:
        return None
    return instances(task.name.text, clauses)


def task_clauses(task: ast.Task, output: Callable[[ast.Reference], str]) -> list[Clause]:
    """The task's clauses with each dynamic one's values read from its output:
    ``output(reference)`` gives the value of ``tasks.<task>.outputs.<name>`` (the runtime's
    to look up). ``instances(task.name.text, task_clauses(task, output))`` then gives them."""
    found: list[Clause] = []
    for matrix in task.matrices:
        if matrix.source is not None:
            found.append((matrix.name.text, lines(output(matrix.source))))
        else:
            found.append((matrix.name.text, [v.value for v in matrix.values or ()]))
    return found
