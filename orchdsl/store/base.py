"""The job store's interfaces (docs/language.md, "The job store"): a ``StoreReader`` that
only ever reads (the history commands, the dashboard) and a ``JobStore`` that records jobs
as they run (runs, the scheduler). Records are the model's own types (orchdsl.model); one
``StoreError`` says what went wrong in words a user can act on.

Implementations live beside this module: ``sqlite`` (the embedded default) and
``postgres`` (a server that several hosts share), both on the SQL of ``sql_reader`` and
``sql_writer``; the fire claims that let several schedulers share a store are in ``claims``.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from datetime import datetime

from orchdsl.model import Attempt, Delivery, JobResult, TaskResult


class StoreError(Exception):
    """The store cannot be used: a foreign or corrupt file, a newer schema, no permission, a
    full disk (exit 2). The message names the store and says what to do."""


@dataclass(frozen=True)
class Runner:
    """Who runs a job: enough to tell, from another process, whether it still lives. A pid
    means something only in its own PID namespace on its own boot of its own host."""

    host: str
    pid: int
    pid_started: str | None = None  # clock ticks since boot (/proc/PID/stat), against reuse
    boot_id: str | None = None
    pid_namespace: str | None = None


@dataclass(frozen=True)
class JobQuery:
    file: str | None = None  # absolute path
    state: str | None = None
    trigger: str | None = None
    before_id: int | None = None  # pagination: jobs older than this one
    limit: int = 20


@dataclass(frozen=True)
class TaskPage:
    """Which of a job's tasks to read (the dashboard's job page): in the job's order, from
    ``offset``, at most ``limit``, only those of ``phase`` and in ``state`` when given."""

    offset: int = 0
    limit: int = 500
    phase: str | None = None
    state: str | None = None


@dataclass(frozen=True)
class PhaseSpan:
    """A phase of a job in brief: how many tasks it has in each state, and the span of their
    attempts (``running``: attempts not finished yet)."""

    name: str
    tasks: int
    states: tuple[tuple[str, int], ...]  # (state, how many), in the order of TaskState
    started_at: datetime | None
    finished_at: datetime | None
    running: int = 0


@dataclass(frozen=True)
class Prune:
    """Which jobs ``orchdsl prune`` removes: finished before ``before``, or beyond the newest
    ``keep_last`` of each file; only those of ``files`` when given."""

    before: datetime | None = None
    keep_last: int | None = None
    files: tuple[str, ...] = ()
    dry_run: bool = False


@dataclass
class Changes:
    """What a recorder writes in one transaction: jobs, tasks and attempts as they are now."""

    jobs: list[JobResult] = field(default_factory=list)
    tasks: list[tuple[int, TaskResult]] = field(default_factory=list)
    attempts: list[tuple[int, str, Attempt]] = field(default_factory=list)
    heartbeats: list[int] = field(default_factory=list)  # running jobs still alive
    # A task whose matrix was made when it was reached: (job id, its name, its instances),
    # which take its place (and its position).
    expansions: list[tuple[int, str, list[TaskResult]]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.jobs or self.tasks or self.attempts or self.heartbeats
                    or self.expansions)


@dataclass(frozen=True)
class Unfinished:
    """A job left ``waiting`` or ``processing``, as recovery sees it."""

    job_id: int
    runner: Runner
    token: str | None
    heartbeat_at: datetime | None
    groups: tuple[tuple[int, str | None], ...]  # (process group, its leader's start time)
    # Seconds since its last heartbeat on the store's own clock (hosts' clocks may differ).
    silent_s: float | None = None


class StoreReader(abc.ABC):
    location: str  # as shown: a path, or a URL without its password

    @abc.abstractmethod
    def jobs(self, query: JobQuery = JobQuery()) -> list[JobResult]:
        """Jobs newest first, without their tasks."""

    @abc.abstractmethod
    def job(self, job_id: int) -> JobResult | None:
        """One job with its tasks, attempts, deliveries and the ids of its nested jobs."""

    def job_page(self, job_id: int, page: TaskPage) -> tuple[JobResult, int] | None:
        """The job as ``job`` gives it but with only the tasks of ``page``, and how many of
        its tasks match the page's phase and state. This default reads the whole job; a
        store that can do better overrides it."""
        job = self.job(job_id)
        if job is None:
            return None
        matching = [t for t in job.tasks.values() if page.phase in (None, t.phase)
                    and page.state in (None, t.state.value)]
        job.tasks = {t.name: t for t in matching[page.offset:page.offset + page.limit]}
        return job, len(matching)

    def phase_spans(self, job_id: int) -> list[PhaseSpan]:
        """Each phase of the job, in the job's order, in brief. This default reads the
        whole job; a store that can do better overrides it."""
        job = self.job(job_id)
        return phase_spans_of(job.tasks.values()) if job else []

    @abc.abstractmethod
    def previous_job(self, file: str, before_id: int) -> JobResult | None:
        """The last job of ``file`` before ``before_id`` that ran to an end (not nested, not
        a skipped fire): what the ``fixed`` notification compares with."""

    @abc.abstractmethod
    def success_durations(self, file: str, before_id: int | None = None,
                          last: int = 20) -> list[float]:
        """Seconds taken by the last ``last`` successful jobs of a file, newest first."""

    @abc.abstractmethod
    def last_fire(self, file: str, key: str) -> datetime | None: ...

    @abc.abstractmethod
    def succeeded_fires(self, file: str) -> dict[datetime, int]:
        """The fires of ``file`` a job ran successfully (success or warning), by their time in
        UTC: the job's id (what a backfill leaves out)."""

    @abc.abstractmethod
    def unfinished(self) -> list[Unfinished]:
        """The jobs whose runner has not marked them finished."""

    @abc.abstractmethod
    def logs(self, job_id: int, after_id: int = 0) -> list:
        """The job's log chunks (store.logs.LogChunk) written after chunk ``after_id``, in
        the order they were written."""

    def close(self) -> None: ...


def phase_spans_of(tasks) -> list[PhaseSpan]:
    from orchdsl.model import TaskState

    found: dict[str, list] = {}
    for task in tasks:
        found.setdefault(task.phase, []).append(task)
    spans = []
    for name, members in found.items():
        counts = {s.value: 0 for s in TaskState}
        for task in members:
            counts[task.state.value] += 1
        attempts = [a for t in members for a in t.attempts]
        ends = [a.finished_at for a in attempts if a.finished_at]
        spans.append(PhaseSpan(name, len(members), tuple((k, v) for k, v in counts.items() if v),
                               min((a.started_at for a in attempts), default=None),
                               max(ends, default=None),
                               sum(a.finished_at is None for a in attempts)))
    return spans


class JobStore(StoreReader):
    @abc.abstractmethod
    def create_job(self, job: JobResult, runner: Runner, token: str) -> int:
        """Record a new job (and its tasks) at once, durably: its id is shown at the start,
        and recovery finds its processes by ``token`` even when the runner dies next."""

    @abc.abstractmethod
    def write(self, changes: Changes) -> None:
        """One transaction of batched changes (see store.recorder)."""

    @abc.abstractmethod
    def append_logs(self, rows: list[tuple]) -> None:
        """Log chunks ``(job_id, task, attempt, first_at, size, data)`` (store.logs): called
        from the log writer's own thread, so on a connection of its own."""

    @abc.abstractmethod
    def record_skipped_fire(self, orchestration: str, file: str, file_hash: str | None,
                            reason: str, fire_time: datetime | None = None) -> int: ...

    @abc.abstractmethod
    def record_delivery(self, job_id: int, delivery: Delivery) -> None: ...

    @abc.abstractmethod
    def record_fire(self, file: str, key: str, at: datetime) -> None:
        """Keep ``at`` as the schedule's last fire; it only ever moves forward."""

    @abc.abstractmethod
    def mark_terminated(self, job_ids: list[int]) -> None:
        """Recovery's verdict: these jobs' runners are dead."""

    @abc.abstractmethod
    def request_cancel(self, job_id: int, by: str) -> bool:
        """Ask the runner of a running job to cancel it (``orchdsl cancel``, the dashboard);
        False when the job is not running. The runner reads it with its heartbeat."""

    @abc.abstractmethod
    def cancel_requests(self, job_ids: list[int]) -> dict[int, str]:
        """Of these running jobs, the ones someone asked to cancel, and who."""

    @abc.abstractmethod
    def prune(self, rule: "Prune") -> list[JobResult]:
        """Delete the finished jobs the rule names, with everything that is theirs (tasks,
        attempts, logs, deliveries, nested jobs), in one transaction; never a running job.
        Returns them (without tasks), newest first. ``rule.dry_run``: delete nothing."""

    # -- fire claims: several schedulers on one store (store.claims) --------------------------

    @abc.abstractmethod
    def claim_fire(self, owner, file: str, schedule: str, at: datetime, *, skip: bool):
        """Claim a fire before its job starts, keeping it as the schedule's last fire, and
        say what ``overlap`` makes of it (a ``claims.Claimed``); TAKEN when another
        scheduler has it."""

    @abc.abstractmethod
    def claim_started(self, owner, claim_id: int, job_id: int) -> None: ...

    @abc.abstractmethod
    def end_claim(self, owner, claim_id: int, state: str = "done",
                  job_id: int | None = None) -> None: ...

    @abc.abstractmethod
    def promote_claim(self, owner, claim_id: int, file: str) -> bool | None:
        """A waiting fire starts when its file is free: True, False (it waits on), None (it
        is no longer ``owner``'s)."""

    @abc.abstractmethod
    def renew_claims(self, owner) -> set[int]:
        """Renew ``owner``'s leases; the ids of the claims still its own."""

    @abc.abstractmethod
    def take_over_claims(self, owner, schedules: set[tuple[str, str]]) -> list:
        """The waiting fires of dead schedulers (``claims.Orphan``) of these (file, schedule
        key) pairs, now ``owner``'s."""

    @abc.abstractmethod
    def release_claims(self, owner) -> None: ...

    @abc.abstractmethod
    def forget_ended_claims(self) -> None: ...

    # A write that fails because of the store (a full disk, a lost server) raises this
    # implementation's error type; the recorder reports it and the job runs on.
    write_errors: tuple[type[Exception], ...] = ()
