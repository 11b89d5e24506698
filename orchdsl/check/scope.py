"""What a task or a phase may name (docs/reference.md, "Conditions", "Scope"): the tasks of
earlier phases, the only tasks ``needs`` may name, each whole or as one of its matrix instances.

Rules E118, E119 and E120 ask ``Scope`` about a name as written (``crm``, ``load.eu``) and
turn the ``Problem`` it returns into a finding at the place they report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

from orchdsl.lang import ast, matrix
from orchdsl.lang.diagnostics import Note, did_you_mean


@dataclass(frozen=True, slots=True)
class Reader:
    """Who names a task: a task (``task``) of the phase ``phase``, or that phase's own
    condition (``task`` None)."""

    phase: int
    phase_name: str
    task: str | None = None

    @property
    def subject(self) -> str:
        return f'task "{self.task}"' if self.task else f'phase "{self.phase_name}"'

    @property
    def condition(self) -> str:
        return f"the condition of {self.subject}"


@dataclass(frozen=True, slots=True)
class Problem:
    message: str
    help: str | None = None
    notes: tuple[Note, ...] = ()


@dataclass
class Scope:
    orchestration: ast.Orchestration
    phase_of: dict[str, int] = field(init=False)  # task -> its phase's index (first definition)
    tasks: dict[str, ast.Task] = field(init=False)
    phase_index: dict[str, int] = field(init=False)  # phase name -> index (first definition)
    _instances: dict[str, frozenset[str] | None] = field(init=False, default_factory=dict)

    def __post_init__(self):
        self.phase_of, self.tasks, self.phase_index = {}, {}, {}
        for index, phase in enumerate(self.orchestration.phases):
            self.phase_index.setdefault(phase.name.value, index)
            for task in phase.tasks:
                self.phase_of.setdefault(task.name.text, index)
                self.tasks.setdefault(task.name.text, task)

    @property
    def phases(self) -> tuple[ast.Phase, ...]:
        return self.orchestration.phases

    def earlier_tasks(self, reader: Reader) -> list[str]:
        return [name for name, at in self.phase_of.items() if at < reader.phase]

    def instance_names(self, task: str) -> frozenset[str] | None:
        """The instances of a task with a static matrix; None when they are known only at run
        time (a dynamic matrix), or the lists are empty or make too many (E120 says so)."""
        if task not in self._instances:
            try:
                found = matrix.static_instances(self.tasks[task])
            except matrix.TooManyInstances:
                found = None
            self._instances[task] = frozenset(i.name for i in found) if found else None
        return self._instances[task]

    def task_problem(self, written: str, reader: Reader, says: str, *,
                     whole: str | None = None) -> Problem | None:
        """What is wrong with naming the task ``written`` (a task, or ``task.instance``), or
        None. ``says`` is what the message starts with (``task "load" reads an output of``);
        ``whole``, when given, is the help for naming a matrix task without one of its
        instances (None: the whole task may be named, as ``failed(load)`` does)."""
        base, _, instance = written.partition(".")
        if base not in self.tasks:
            earlier = self.earlier_tasks(reader)
            return Problem(f'{says} "{base}", which is no task',
                           did_you_mean(base, earlier) or did_you_mean(base, list(self.tasks))
                           or _earlier_help(earlier))
        late = self._not_before(base, reader, says)
        if late is not None:
            return late
        task = self.tasks[base]
        if instance:
            return self._instance_problem(task, written, says)
        if whole is not None and task.matrices:
            return Problem(f'{says} "{base}", which runs as {self._instances_shown(base)}: '
                           "name one of them", whole)
        return None

    def _not_before(self, base: str, reader: Reader, says: str) -> Problem | None:
        at = self.phase_of[base]
        if base == reader.task:
            return Problem(f'{says} "{base}" itself',
                           "a task may name only tasks of earlier phases, which have ended "
                           "when it starts")
        if at < reader.phase:
            return None
        if at == reader.phase:
            where = "of the same phase" if reader.task else "of its own phase"
        else:
            where = f'of the later phase "{self.phases[at].name.value}"'
        return Problem(f'{says} "{base}" {where}',
                       "only tasks of earlier phases have ended, and so can be named: move "
                       "one of them to another phase",
                       (Note(f'"{base}" is defined here', self.tasks[base].name.span),))

    def _instance_problem(self, task: ast.Task, written: str, says: str) -> Problem | None:
        base = task.name.text
        if not task.matrices:
            return Problem(f'{says} "{written}", but task "{base}" has no matrix',
                           f'name the task itself: "{base}"')
        names = self.instance_names(base)
        if names is None or written in names:
            return None
        return Problem(f'{says} "{written}", which is no instance of task "{base}"',
                       did_you_mean(written, sorted(names))
                       or "its instances: " + _listed(sorted(names)))

    def _instances_shown(self, task: str) -> str:
        names = self.instance_names(task)
        if names is None:
            return "matrix instances"
        return f"{len(names)} matrix instance{'s' if len(names) != 1 else ''}"

    def phase_problem(self, name: str, reader: Reader, says: str) -> Problem | None:
        """What is wrong with naming the phase ``name`` in ``failed("...")``, or None."""
        if name not in self.phase_index:
            earlier = [p.name.value for p in self.phases[:reader.phase]]
            return Problem(f'{says} "{name}", which is no phase',
                           did_you_mean(name, earlier)
                           or did_you_mean(name, list(self.phase_index))
                           or "name a phase before this one, in quotes")
        at = self.phase_index[name]
        if at < reader.phase:
            return None
        where = "its own phase" if at == reader.phase else "the later phase"
        return Problem(f'{says} {where} "{name}"',
                       "a condition may name only phases before its own, which have ended",
                       (Note(f'phase "{name}" is defined here', self.phases[at].name.span),))


def _earlier_help(earlier: list[str]) -> str:
    if not earlier:
        return "no task runs before it: only tasks of earlier phases can be named"
    return "tasks of earlier phases: " + _listed(earlier)


def _listed(names: list[str], most: int = 5) -> str:
    shown = ", ".join(names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")


def conditions(orchestration: ast.Orchestration) -> Iterator[tuple[Reader, ast.When]]:
    """Every ``when`` of the file, with who it decides for."""
    for index, phase in enumerate(orchestration.phases):
        if phase.when is not None:
            yield Reader(index, phase.name.value), phase.when
        for task in phase.tasks:
            if task.when is not None:
                yield Reader(index, phase.name.value, task.name.text), task.when


def task_readers(orchestration: ast.Orchestration) -> Iterator[tuple[Reader, ast.Task]]:
    for index, phase in enumerate(orchestration.phases):
        for task in phase.tasks:
            yield Reader(index, phase.name.value, task.name.text), task
