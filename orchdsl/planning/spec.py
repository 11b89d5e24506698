"""The executable plan: what a run of a file does, every task resolved once into a typed,
immutable spec (docs/language.md, "Running").

The plan is what runs: the coordinator executes it, ``--dry-run`` shows it, the notifier and
the job store read it. It holds no syntax tree and no graph, and no value that is only known
when a job runs: secrets, ``${env.NAME}``, ``${job.id}`` and task outputs stay references
(``Ref``) inside ``Template``s, bound by the runner when the job or the task starts. So a plan
is safe to show and to keep (it holds no secret), and the same plan serves every run.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Mapping, Union

if TYPE_CHECKING:  # loaded with the first plan that has a condition (pickle loads it too)
    from orchdsl.planning.conditions import Condition


class RefKind(str, enum.Enum):
    PARAM = "param"
    SECRET = "secret"
    ENV = "env"  # ${env.NAME}: the runner's environment
    JOB = "job"  # ${job.id}, ${job.fire_time}, ${job.fire_date}
    OUTPUT = "output"  # ${tasks.T.outputs.NAME}
    MATRIX = "matrix"  # ${name} of a matrix clause: the instance's value


@dataclass(frozen=True, slots=True)
class Ref:
    """A value a template needs. ``name`` is the key the runner binds it under, as written
    inside ``${...}``: ``day``, ``env.HOME``, ``job.id``, ``tasks.crm.outputs.rows``."""

    name: str
    kind: RefKind

    @property
    def env_var(self) -> str | None:
        return self.name[4:] if self.kind is RefKind.ENV else None

    @property
    def output(self) -> tuple[str, str] | None:
        """(task, output name) of an output reference."""
        if self.kind is not RefKind.OUTPUT:
            return None
        task, _, name = self.name[len("tasks."):].rpartition(".outputs.")
        return task, name


@dataclass(frozen=True, slots=True)
class Template:
    """A string of the file: literal text and references, in order."""

    parts: tuple[Union[str, Ref], ...]

    @property
    def refs(self) -> tuple[Ref, ...]:
        return tuple(p for p in self.parts if isinstance(p, Ref))

    @property
    def literal(self) -> str | None:
        """The text when it holds no reference (most strings): no binding needed."""
        if not self.parts:
            return ""
        if len(self.parts) == 1 and isinstance(self.parts[0], str):
            return self.parts[0]
        return None

    @property
    def written(self) -> str:
        """As the file writes it, references as ``${name}``."""
        return "".join(p if isinstance(p, str) else "${" + p.name + "}" for p in self.parts)

    def render(self, values: Mapping[str, str]) -> str:
        """The text with each reference's value (KeyError: a value that is not bound)."""
        literal = self.literal
        if literal is not None:
            return literal
        return "".join(p if isinstance(p, str) else values[p.name] for p in self.parts)


# -- actions ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ShellAction:
    """``run "<command>"``: run with ``/bin/sh -c``, or directly when the command is plain
    (see planning.shell); values travel in the environment, never as command text."""

    command: Template
    argv: tuple[str, ...] | None = None  # planned already: a plain command without references

    name = "run"


@dataclass(frozen=True, slots=True)
class ArgvAction:
    """``run ["argv0", ...]``: executed directly, no shell."""

    argv: tuple[Template, ...]

    name = "run"


@dataclass(frozen=True, slots=True)
class CallAction:
    """``call "package.module:function"``: data, not a live function, so any executor can run
    it; the module is looked up in ``folder`` first, then on sys.path."""

    target: str
    module: str
    function: str
    folder: str

    name = "call"


@dataclass(frozen=True, slots=True)
class NestedAction:
    """``orchestration "<path>"``: another file's plan, run as a job of its own."""

    file: str  # as written in the file
    child: str  # the key of the child's plan in ``Plan.children`` (its real path)
    params: tuple[tuple[str, Template], ...] = ()  # ``param NAME = "value"`` of the task

    name = "orchestration"


Action = Union[ShellAction, ArgvAction, CallAction, NestedAction]


class Selected(str, enum.Enum):
    """Whether a planned task runs (not a run's states: see orchdsl.model)."""

    SELECTED = "selected"
    DISABLED = "disabled"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class TaskSpec:
    name: str
    phase: str
    phase_index: int
    kind: str | None
    action: Action
    cwd: str  # absolute, when it holds no reference (the common case)
    cwd_template: Template | None  # ``cwd`` with references, joined to ``folder`` at run time
    env: tuple[tuple[str, Template], ...]
    timeout_s: float | None
    retries: int
    backoff_s: float
    continue_on_failure: bool
    needs: tuple[str, ...]
    line: int
    label: str | None = None  # ``on "<label>"``: workers that offer it (docs/language.md)
    state: Selected = Selected.SELECTED
    reason: str | None = None  # why it does not run
    when: Condition | None = None
    matrix: "MatrixSpec | None" = None  # a matrix expanded when the task is reached
    instance_of: str | None = None  # the matrix task this instance is one of
    matrix_values: tuple[tuple[str, str], ...] = ()  # the instance's value of each matrix
    _refs: tuple[Ref, ...] | None = field(default=None, init=False, repr=False,
                                          compare=False)

    @property
    def runs(self) -> bool:
        return self.state is Selected.SELECTED

    @property
    def refs(self) -> tuple[Ref, ...]:
        """Every reference the task's templates hold, in order: worked out once (the
        planner does, so a cached plan holds them; bench_run W3)."""
        found = self._refs
        if found is None:
            found = tuple(r for t in self.templates for r in t.refs)
            object.__setattr__(self, "_refs", found)
        return found

    @property
    def templates(self) -> tuple[Template, ...]:
        """Every template of the task the runner fills in when it starts."""
        action = self.action
        found: list[Template] = []
        if isinstance(action, ShellAction):
            found.append(action.command)
        elif isinstance(action, ArgvAction):
            found.extend(action.argv)
        elif isinstance(action, NestedAction):
            found.extend(t for _, t in action.params)
        if self.cwd_template is not None:
            found.append(self.cwd_template)
        found.extend(t for _, t in self.env)
        return tuple(found)


@dataclass(frozen=True, slots=True)
class MatrixClause:
    name: str
    values: tuple[str, ...] | None  # a list
    source: str | None  # or ``tasks.<task>.outputs.<name>``: one value per line


@dataclass(frozen=True, slots=True)
class MatrixSpec:
    """The matrix of a task that takes values from an output: its instances are made when
    the task is reached (docs/reference.md, "Matrix")."""

    clauses: tuple[MatrixClause, ...]


@dataclass(frozen=True, slots=True)
class PhaseSpec:
    name: str
    tasks: tuple[str, ...]  # names, in file order (a static matrix's instances)
    when: Condition | None = None


@dataclass(frozen=True, slots=True)
class ScheduleSpec:
    cron: str
    timezone: str
    overlap: str  # queue | skip
    catchup: str  # none | last


@dataclass(frozen=True, slots=True)
class NotifySpec:
    events: tuple[str, ...]
    after_s: float | None
    targets: tuple[Template, ...]


@dataclass(frozen=True)
class Plan:
    name: str
    path: str  # as given
    folder: str  # absolute: where tasks run and call modules are found
    file_hash: str  # sha256 of the file's text
    description: str | None
    params: tuple[tuple[str, str], ...]  # every declared param with its value for this run
    secrets: tuple[str, ...]
    env_vars: tuple[str, ...]  # ${env.NAME} the selected tasks need
    concurrency: int | None
    timeout_s: float | None
    fail_fast: bool
    phases: tuple[PhaseSpec, ...]
    tasks: tuple[TaskSpec, ...]  # every task, in file order
    schedules: tuple[ScheduleSpec, ...]
    notifications: tuple[NotifySpec, ...]
    children: Mapping[str, "Plan"] = field(default_factory=dict)  # nested files, by real path
    warnings: tuple[str, ...] = ()
    selection: tuple[str, ...] = ()  # the selection flags, as given (recorded with the job)

    def task(self, name: str) -> TaskSpec:
        return self._by_name[name]

    @property
    def _by_name(self) -> dict[str, TaskSpec]:
        found = self.__dict__.get("_names")
        if found is None:
            found = {t.name: t for t in self.tasks}
            object.__setattr__(self, "_names", found)
        return found

    def phase_tasks(self, phase: PhaseSpec) -> tuple[TaskSpec, ...]:
        return tuple(self._by_name[n] for n in phase.tasks)
