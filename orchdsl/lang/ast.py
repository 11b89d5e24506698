"""The typed syntax tree of a .orch file: frozen dataclasses, each with its source span.

The tree keeps everything a formatter needs to print the file again: every clause in file
order (phases among the other clauses), repeated clauses and options (the checks report them),
string literals as written, and comments attached to the node they precede or follow.

Three modules hold it, and this one re-exports the other two, so ``ast.X`` names every class:
``orchdsl.lang.nodes`` (comments, ``Node``, names, strings, interpolations, durations,
integers), ``orchdsl.lang.conditions`` (``When`` and the nodes of a condition, language 1.1)
and this one (tasks, their actions and options, the orchestration's clauses).

Language 1.1 adds to 1.0 (docs/reference.md): ``Phase.when``; the task options
``WhenOption``, ``MatrixOption``, ``OnOption`` and ``ParamOption`` with the ``Task`` properties
``when``, ``matrices``, ``on`` and ``params``; raw strings (``StringLit.is_raw``); and the
interpolations ``${tasks.<task>.outputs.<name>}`` and ``${job.<value>}``
(``Interpolation.output_ref``, ``Interpolation.job_value``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Union

from orchdsl.lang.conditions import (COMPARISONS, MAX_DEPTH, REFERENCE_ROOTS, STATUS_FUNCTIONS,
                                     BoolLit, BoolOp, Comparison, Condition, Not, Operand,
                                     Reference, StatusCall, When, depth, parts, references,
                                     status_calls, walk)
from orchdsl.lang.nodes import (JOB_VALUES, NO_COMMENTS, Comment, Comments, Duration, Integer,
                                Interpolation, Node, StringLit, Word)
from orchdsl.lang.source import Span

__all__ = [
    "COMPARISONS", "MAX_DEPTH", "REFERENCE_ROOTS", "STATUS_FUNCTIONS", "JOB_VALUES", "NO_COMMENTS",
    "BoolLit", "BoolOp", "Comparison", "Condition", "Not", "Operand", "Reference", "StatusCall",
    "When", "depth", "parts", "references", "status_calls", "walk", "Comment", "Comments",
    "Duration", "Integer", "Interpolation", "Node", "StringLit", "Word", "Span", "Kind",
    "RunShell", "RunArgv", "Call", "Nested", "Action", "TimeoutOption", "RetriesOption",
    "ContinueOnFailureOption", "DisabledOption", "CwdOption", "EnvOption", "NeedsOption",
    "WhenOption", "MatrixOption", "OnOption", "ParamOption", "TaskOption", "OPTION_KEYWORDS",
    "Task", "Description", "ScheduleOption", "Schedule", "Notify", "Concurrency", "JobTimeout",
    "FailFast", "Param", "Secret", "Phase", "Clause", "CLAUSE_KEYWORDS", "Orchestration",
    "Document"
]

# --------------------------------------------------------------------------------------------
# Tasks
# --------------------------------------------------------------------------------------------


class Kind(enum.Enum):
    """The component type of Keboola's ETL scheme, in the order phases should follow."""

    EXTRACTOR = "extractor"
    TRANSFORMATION = "transformation"
    WRITER = "writer"
    APPLICATION = "application"


@dataclass(frozen=True, slots=True, kw_only=True)
class RunShell(Node):
    command: StringLit


@dataclass(frozen=True, slots=True, kw_only=True)
class RunArgv(Node):
    argv: tuple[StringLit, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Call(Node):
    target: StringLit


@dataclass(frozen=True, slots=True, kw_only=True)
class Nested(Node):
    path: StringLit


Action = Union[RunShell, RunArgv, Call, Nested]


@dataclass(frozen=True, slots=True, kw_only=True)
class TimeoutOption(Node):
    duration: Duration


@dataclass(frozen=True, slots=True, kw_only=True)
class RetriesOption(Node):
    count: Integer
    backoff: Duration | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ContinueOnFailureOption(Node):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class DisabledOption(Node):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class CwdOption(Node):
    path: StringLit


@dataclass(frozen=True, slots=True, kw_only=True)
class EnvOption(Node):
    name: Word
    value: StringLit


@dataclass(frozen=True, slots=True, kw_only=True)
class NeedsOption(Node):
    names: tuple[Word, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class WhenOption(When):
    """``when <condition>`` as a task option: a ``When`` (the same fields), kept apart from a
    phase's condition by its type."""


@dataclass(frozen=True, slots=True, kw_only=True)
class MatrixOption(Node):
    """``matrix <name> = ["a", "b"]`` (``values``; ``()`` for an empty list, which lint
    reports) or ``matrix <name> from tasks.<task>.outputs.<output>`` (``source``): exactly one
    of the two is set."""

    name: Word
    values: tuple[StringLit, ...] | None = None
    source: Reference | None = None

    @property
    def is_dynamic(self) -> bool:
        return self.source is not None


@dataclass(frozen=True, slots=True, kw_only=True)
class OnOption(Node):
    """``on "<label>"``: run only on workers that offer the label."""

    label: StringLit


@dataclass(frozen=True, slots=True, kw_only=True)
class ParamOption(Node):
    """``param <name> = "<value>"`` as a task option: a param passed to a nested
    orchestration (the grammar takes it on any task; lint judges)."""

    name: Word
    value: StringLit


TaskOption = Union[TimeoutOption, RetriesOption, ContinueOnFailureOption, DisabledOption,
                   CwdOption, EnvOption, NeedsOption, WhenOption, MatrixOption, OnOption,
                   ParamOption]

# The keyword that starts each option, for messages and for the formatter.
OPTION_KEYWORDS: dict[type, str] = {
    TimeoutOption: "timeout", RetriesOption: "retries",
    ContinueOnFailureOption: "continue_on_failure", DisabledOption: "disabled",
    CwdOption: "cwd", EnvOption: "env", NeedsOption: "needs", WhenOption: "when",
    MatrixOption: "matrix", OnOption: "on", ParamOption: "param",
}


def _first(options: tuple, cls: type):
    return next((o for o in options if isinstance(o, cls)), None)


@dataclass(frozen=True, slots=True, kw_only=True)
class Task(Node):
    name: Word
    kind: Kind | None
    kind_span: Span | None
    action: Action
    options: tuple[TaskOption, ...] = ()

    @property
    def timeout(self) -> TimeoutOption | None:
        return _first(self.options, TimeoutOption)

    @property
    def timeout_s(self) -> float | None:
        return self.timeout.duration.seconds if self.timeout else None

    @property
    def retry_count(self) -> int:
        return self.retries.count.value if self.retries else 0

    @property
    def backoff_s(self) -> float:
        """The delay before the first retry (0 without ``backoff``)."""
        backoff = self.retries.backoff if self.retries else None
        return (backoff.seconds or 0.0) if backoff else 0.0

    @property
    def retries(self) -> RetriesOption | None:
        return _first(self.options, RetriesOption)

    @property
    def continue_on_failure(self) -> bool:
        return _first(self.options, ContinueOnFailureOption) is not None

    @property
    def disabled(self) -> bool:
        return _first(self.options, DisabledOption) is not None

    @property
    def cwd(self) -> CwdOption | None:
        return _first(self.options, CwdOption)

    @property
    def env(self) -> tuple[EnvOption, ...]:
        return tuple(o for o in self.options if isinstance(o, EnvOption))

    @property
    def needs(self) -> tuple[Word, ...]:
        return tuple(w for o in self.options if isinstance(o, NeedsOption) for w in o.names)

    @property
    def when(self) -> WhenOption | None:
        return _first(self.options, WhenOption)

    @property
    def matrices(self) -> tuple[MatrixOption, ...]:
        """The ``matrix`` options in clause order (the first varies slowest)."""
        return tuple(o for o in self.options if isinstance(o, MatrixOption))

    @property
    def on(self) -> OnOption | None:
        return _first(self.options, OnOption)

    @property
    def params(self) -> tuple[ParamOption, ...]:
        return tuple(o for o in self.options if isinstance(o, ParamOption))

    def strings(self) -> tuple[StringLit, ...]:
        """Every string of the task that is interpolated at run time: its command or argv,
        ``cwd``, ``env`` values and ``param`` values (docs/language.md). Not a ``call``
        target, a nested path, an ``on`` label, matrix values or a condition's literals."""
        action = self.action
        found: list[StringLit] = []
        if isinstance(action, RunShell):
            found.append(action.command)
        elif isinstance(action, RunArgv):
            found.extend(action.argv)
        for option in self.options:
            if isinstance(option, CwdOption):
                found.append(option.path)
            elif isinstance(option, (EnvOption, ParamOption)):
                found.append(option.value)
        return tuple(found)


# --------------------------------------------------------------------------------------------
# Orchestration-level clauses
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Description(Node):
    text: StringLit


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduleOption(Node):
    keyword: str  # "timezone", "overlap" or "catchup"
    value: StringLit | Word


@dataclass(frozen=True, slots=True, kw_only=True)
class Schedule(Node):
    cron: StringLit
    options: tuple[ScheduleOption, ...] = ()

    def option(self, keyword: str) -> ScheduleOption | None:
        return next((o for o in self.options if o.keyword == keyword), None)

    @property
    def timezone(self) -> str:
        """The IANA zone the cron is read in; UTC when none is given."""
        option = self.option("timezone")
        if option is not None and isinstance(option.value, StringLit):
            return option.value.value
        return "UTC"


@dataclass(frozen=True, slots=True, kw_only=True)
class Notify(Node):
    events: tuple[Word, ...]
    after: Duration | None
    targets: tuple[StringLit, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Concurrency(Node):
    value: Integer


@dataclass(frozen=True, slots=True, kw_only=True)
class JobTimeout(Node):
    duration: Duration


@dataclass(frozen=True, slots=True, kw_only=True)
class FailFast(Node):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class Param(Node):
    name: Word
    default: StringLit


@dataclass(frozen=True, slots=True, kw_only=True)
class Secret(Node):
    name: Word


@dataclass(frozen=True, slots=True, kw_only=True)
class Phase(Node):
    name: StringLit
    when: When | None = None  # phase "<name>" when <condition> { ... }
    tasks: tuple[Task, ...] = ()
    opening_comment: Comment | None = None  # at the end of the line of "{"
    closing_comments: tuple[Comment, ...] = ()  # after the last task, before "}"


Clause = Union[Description, Schedule, Notify, Concurrency, JobTimeout, FailFast, Param, Secret,
               Phase]

# The keyword that starts each clause, for messages and for the formatter.
CLAUSE_KEYWORDS: dict[type, str] = {
    Description: "description", Schedule: "schedule", Notify: "notify",
    Concurrency: "concurrency", JobTimeout: "timeout", FailFast: "fail_fast", Param: "param",
    Secret: "secret", Phase: "phase",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Orchestration(Node):
    name: StringLit
    clauses: tuple[Clause, ...] = ()  # in file order
    opening_comment: Comment | None = None  # at the end of the line of "{"
    closing_comments: tuple[Comment, ...] = ()  # after the last clause, before "}"

    def of_type(self, cls: type) -> tuple:
        return tuple(c for c in self.clauses if isinstance(c, cls))

    @property
    def phases(self) -> tuple[Phase, ...]:
        return self.of_type(Phase)

    @property
    def tasks(self) -> tuple[Task, ...]:
        return tuple(t for p in self.phases for t in p.tasks)

    @property
    def schedules(self) -> tuple[Schedule, ...]:
        return self.of_type(Schedule)

    @property
    def notifications(self) -> tuple[Notify, ...]:
        return self.of_type(Notify)

    @property
    def params(self) -> tuple[Param, ...]:
        return self.of_type(Param)

    @property
    def secrets(self) -> tuple[Secret, ...]:
        return self.of_type(Secret)

    @property
    def description(self) -> str | None:
        found = self.of_type(Description)
        return found[0].text.value if found else None


@dataclass(frozen=True, slots=True)
class Document:
    """One parsed file: its orchestration (None when the file does not parse), every comment,
    and the comments after the orchestration's closing brace."""

    path: str
    text: str
    orchestration: Orchestration | None
    comments: tuple[Comment, ...] = ()
    trailing_comments: tuple[Comment, ...] = field(default=())
