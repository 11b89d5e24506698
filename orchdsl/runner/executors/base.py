"""The executor seam: where one attempt of a task runs (docs/language.md, "Beyond one machine").

The coordinator decides *what* runs *when*; an executor runs one attempt of a task and says
how it went. The cut is as narrow as httpx's transport: ``start(work, sink)`` begins an
attempt and returns a ``Handle`` whose ``cancel()`` stops it; the executor reports through
the ``Sink``: ``started(...)`` once the attempt runs, what it prints into ``sink.stdout`` and
``sink.stderr``, and ``finished(outcome)`` exactly once, in the trio thread. A ``Work`` is
data only (argv, environment, a call's module and function by name), so an executor may
run it anywhere: a local process, a thread of this process, a Dask worker.

The data classes here are made for every attempt, a few times each, so they are slotted and
not frozen (a frozen dataclass's ``__init__`` costs two to three times more: bench_run W3);
nothing changes one once it is made.

Each executor enforces the attempt's timeout itself (it knows how to stop its kind of work:
SIGTERM to the process group, then SIGKILL after ``grace_s``) and reports it as an outcome
with the reason ``timed out after <duration>``.
"""

from __future__ import annotations

import abc
import contextlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, Mapping, Protocol

import trio


@dataclass(slots=True)
class ProcessWork:
    """A command: ``argv`` run in ``cwd`` in a process group of its own."""

    argv: tuple[str, ...]
    cwd: str
    env: Mapping[str, str]  # added to the executor's environment (secrets, env entries, values)


@dataclass(slots=True)
class CallWork:
    """A Python function, by name: ``module:function`` with ``folder`` first on sys.path."""

    module: str
    function: str
    folder: str
    kwargs: Mapping[str, str]


@dataclass(slots=True)
class NestedWork:
    """Another orchestration's plan, run as a job of its own (its own coordinator)."""

    plan: object  # orchdsl.planning.spec.Plan
    params: Mapping[str, str]


@dataclass(slots=True)
class Work:
    job_id: int
    task: str
    attempt: int
    what: ProcessWork | CallWork | NestedWork
    timeout_s: float | None
    grace_s: float
    label: str | None = None  # ``on "<label>"``: where it may run
    stops_job: bool = True  # a failure stops the job (no continue_on_failure, no retry left)


@dataclass(slots=True)
class Outcome:
    """How an attempt ended. ``reason`` says why it failed when the exit code does not (a
    timeout, a signal, an exception); ``outputs`` are what it published (not masked: later
    tasks get the real values; the runner masks what it keeps and shows)."""

    exit_code: int | None
    reason: str | None = None
    outputs: Mapping[str, str] = field(default_factory=dict)
    at: datetime | None = None  # when it ended, when the executor knows better than "now"

    @property
    def succeeded(self) -> bool:
        return self.exit_code == 0 and self.reason is None


@dataclass(slots=True)
class Placement:
    """Where an attempt runs, once it does: recorded per attempt."""

    pid: int | None = None  # the process group of a local command
    host: str | None = None
    worker: str | None = None
    at: datetime | None = None  # when it started, when the executor knows better than "now"


class Output(Protocol):
    def write(self, text: str) -> None: ...

    def write_bytes(self, data: bytes) -> None: ...


class Sink(Protocol):
    """The coordinator's ear on one attempt. ``stdout``/``stderr`` may be written from any one
    thread at a time; ``started`` and ``finished`` are called in the trio thread."""

    stdout: Output
    stderr: Output
    # How a line printed in another thread reaches the trio thread: None for trio's own
    # run_sync_soon; an executor that orders lines with its own events sets it.
    hop: Callable[[Callable[[], None]], None] | None

    def started(self, placement: Placement) -> None: ...

    def finished(self, outcome: Outcome) -> None: ...


class Handle(Protocol):
    def cancel(self) -> None:
        """Stop the attempt (fail_fast, job timeout, a signal): it ends soon with an outcome
        saying ``cancelled``; what it printed until then is kept."""


class Executor(abc.ABC):
    """Runs attempts. ``open`` is entered once per job, in the job's nursery; ``start`` is
    called in the trio thread and must not block."""

    #: Whether it takes works before a concurrency slot is free and staffs its own workers
    #: with slots (see runner.slots): the in-process calls executor does, so that calls run
    #: back to back without a trip through trio between them (bench_run W3).
    async def open(self, nursery: trio.Nursery) -> None:
        """Get ready (connect to a cluster: fail here, before any task starts)."""

    @abc.abstractmethod
    def start(self, work: Work, sink: Sink) -> Handle: ...

    def can_run(self, work: Work) -> bool:
        """Whether this executor runs that kind of work (the coordinator asks each in turn,
        once per kind: ProcessWork, CallWork, NestedWork)."""
        return True

    # An executor may take works before a concurrency slot is free and staff its own
    # workers with slots: the in-process one does, so that calls run back to back without
    # a trip through trio between them (bench_run W3).

    def takes_queued(self, work: Work) -> bool:
        """Whether ``start`` may be called for ``work`` without a free slot."""
        return False

    def staff(self, slots) -> None:
        """Take free slots (orchdsl.runner.slots) for the works queued with it."""

    #: A context in which what the sinks hear is acted on once, at its end (the coordinator
    #: sets it before ``open``): for an executor that hands on many reports at once.
    batched: Callable = staticmethod(contextlib.nullcontext)

    def take_back(self) -> list[Work]:
        """The works it queued that did not start: they will not (the job stops)."""
        return []

    async def aclose(self) -> None:
        """Every attempt has finished; release what ``open`` took."""


class ExecutorError(Exception):
    """An executor cannot be used (an unreachable cluster): the run fails before any task."""

