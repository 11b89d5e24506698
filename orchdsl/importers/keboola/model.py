"""What was read from Keboola's JSON, typed: the flow (of any of the three kinds) with its
phases and tasks, and the schedules and notification subscriptions that go with it.

Ids are strings (``123`` and ``"123"`` are one id). Every value carries where it was read and
the findings made while reading it; nothing here knows orchdsl's syntax.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from orchdsl.importers.keboola.findings import Finding, Where


class FlowKind(enum.Enum):
    LEGACY = "a legacy Orchestrator orchestration"
    FLOW = "a Flow (keboola.orchestrator)"
    CONDITIONAL = "a conditional flow (keboola.flow)"


class TaskType(enum.Enum):
    JOB = "job"
    NOTIFICATION = "notification"
    VARIABLE = "variable"
    OTHER = "other"  # componentUrl, configData, an unknown type: nothing to start


@dataclass(frozen=True, slots=True)
class Job:
    """The Keboola job a task starts."""

    component: str
    config: str
    tag: str = ""
    mode: str = "run"
    rows: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Retry:
    """A conditional flow's retry strategy (linear: the same delay before every retry)."""

    retries: int
    delay_s: int
    retry_on: tuple[str, ...] = ()  # error-message conditions, as compact JSON


@dataclass(frozen=True, slots=True)
class Task:
    id: str
    name: str
    phase: str | None
    type: TaskType
    where: Where
    job: Job | None = None
    enabled: bool = True
    continue_on_failure: bool = False
    timeout_min: int | None = None
    retry: Retry | None = None
    delay_s: int | None = None
    variable: tuple[str, str] | None = None  # a static variable task: (name, value)
    summary: str = ""  # what a task that is not converted did, for its comment
    findings: tuple[Finding, ...] = ()

    @property
    def label(self) -> str:
        return f'task {self.id} ("{self.name}")' if self.name else f"task {self.id}"


@dataclass(frozen=True, slots=True)
class Condition:
    """One node of a conditional flow's condition tree, as Keboola writes it."""

    type: str  # operator, const, task, phase, variable, function, ...
    raw: str  # the node as compact JSON, for messages
    operator: str = ""
    operands: tuple[Condition, ...] = ()
    value: object = None
    task: str = ""
    phase: str = ""
    tasks: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Transition:
    goto: str | None  # None ends the flow
    where: Where
    condition: Condition | None = None
    name: str = ""


@dataclass(frozen=True, slots=True)
class Phase:
    id: str
    name: str
    where: Where
    description: str = ""
    depends_on: tuple[str, ...] = ()
    next: tuple[Transition, ...] = ()
    retry: Retry | None = None
    findings: tuple[Finding, ...] = ()

    @property
    def label(self) -> str:
        return f'phase {self.id} ("{self.name}")'


@dataclass(frozen=True, slots=True)
class Schedule:
    cron: str
    timezone: str
    where: Where
    enabled: bool = True
    target_component: str = ""
    target_config: str = ""
    label: str = "schedule"
    findings: tuple[Finding, ...] = ()


@dataclass(frozen=True, slots=True)
class Subscription:
    """A notification subscription, or a legacy orchestration's notification.

    ``event`` is the Notification API's name (``job-failed``...); legacy channels are read into
    the same names. ``tolerance`` is in percent over the average duration."""

    event: str
    target: str
    where: Where
    tolerance: float | None = None
    component: str = ""  # the job.component.id filter, if any
    config: str = ""  # the job.configuration.id filter, if any
    label: str = "notification"
    findings: tuple[Finding, ...] = ()


@dataclass(frozen=True, slots=True)
class Flow:
    kind: FlowKind
    name: str
    where: Where
    config_id: str = ""
    description: str = ""
    phases: tuple[Phase, ...] = ()
    tasks: tuple[Task, ...] = ()
    schedules: tuple[Schedule, ...] = ()
    subscriptions: tuple[Subscription, ...] = ()
    findings: tuple[Finding, ...] = ()


@dataclass(frozen=True, slots=True)
class Input:
    """What one input file held, for the header comment of the converted file."""

    path: str
    what: str  # 'a Flow (keboola.orchestrator configuration 123)'
    flow: Flow | None = None
    schedules: tuple[Schedule, ...] = ()
    subscriptions: tuple[Subscription, ...] = ()
    findings: tuple[Finding, ...] = ()
