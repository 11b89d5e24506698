"""The typed syntax tree of a .orch file: frozen dataclasses, each with its source span.

The tree keeps everything a formatter needs to print the file again: every clause in file
order (phases among the other clauses), repeated clauses and options (the checks report them),
string literals as written, and comments attached to the node they precede or follow.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Union

from orchdsl.lang.source import Span

# --------------------------------------------------------------------------------------------
# Comments
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Comment:
    text: str  # as written, starting with "#"
    span: Span


@dataclass(frozen=True, slots=True)
class Comments:
    """Comments on the lines before a node (``leading``) and at the end of its last line."""

    leading: tuple[Comment, ...] = ()
    trailing: Comment | None = None


NO_COMMENTS = Comments()


@dataclass(frozen=True, slots=True, kw_only=True)
class Node:
    span: Span
    comments: Comments = NO_COMMENTS


# --------------------------------------------------------------------------------------------
# Lexical values
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Word(Node):
    """A name as written: a task, param, event or mode name."""

    text: str


@dataclass(frozen=True, slots=True)
class Interpolation:
    """``${name}`` or ``${env.NAME}`` inside a string."""

    name: str
    span: Span
    well_formed: bool = True  # ``${name}`` or ``${env.NAME}``; else reported as a syntax error

    @property
    def env_var(self) -> str | None:
        return self.name[4:] if self.name.startswith("env.") else None


@dataclass(frozen=True, slots=True, kw_only=True)
class StringLit(Node):
    raw: str  # as written, quotes included
    parts: tuple[str | Interpolation, ...]  # decoded text and interpolations, in order

    @property
    def value(self) -> str:
        """The decoded text, interpolations written back as ``${name}``."""
        return "".join(p if isinstance(p, str) else "${" + p.name + "}" for p in self.parts)

    @property
    def interpolations(self) -> tuple[Interpolation, ...]:
        return tuple(p for p in self.parts if isinstance(p, Interpolation))


@dataclass(frozen=True, slots=True, kw_only=True)
class Duration(Node):
    text: str
    milliseconds: int | None  # None when the text is not a valid duration (see rule E106)

    @property
    def seconds(self) -> float | None:
        return None if self.milliseconds is None else self.milliseconds / 1000


@dataclass(frozen=True, slots=True, kw_only=True)
class Integer(Node):
    value: int


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


TaskOption = Union[TimeoutOption, RetriesOption, ContinueOnFailureOption, DisabledOption,
                   CwdOption, EnvOption, NeedsOption]

# The keyword that starts each option, for messages and for the formatter.
OPTION_KEYWORDS: dict[type, str] = {
    TimeoutOption: "timeout", RetriesOption: "retries",
    ContinueOnFailureOption: "continue_on_failure", DisabledOption: "disabled",
    CwdOption: "cwd", EnvOption: "env", NeedsOption: "needs",
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

    def strings(self) -> tuple[StringLit, ...]:
        """Every string of the task that is interpolated at run time."""
        action = self.action
        found: list[StringLit] = []
        if isinstance(action, RunShell):
            found.append(action.command)
        elif isinstance(action, RunArgv):
            found.extend(action.argv)
        for option in self.options:
            if isinstance(option, CwdOption):
                found.append(option.path)
            elif isinstance(option, EnvOption):
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
