"""Jobs, tasks and attempts: their states (docs/language.md, "Job and task states") and what a
job leaves behind. The bottom of the package: the runner, the stores, notify, the history
commands and the dashboard all speak these types, and this module imports none of them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


class TaskState(str, enum.Enum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"  # not reached, not selected, or its condition was false
    DISABLED = "disabled"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self not in (TaskState.PENDING, TaskState.RUNNING)


class JobState(str, enum.Enum):
    WAITING = "waiting"
    PROCESSING = "processing"
    SUCCESS = "success"
    WARNING = "warning"
    ERROR = "error"
    CANCELLED = "cancelled"
    TERMINATED = "terminated"  # set by recovery for a job whose runner died
    SKIPPED = "skipped"  # a scheduled fire skipped by ``overlap``

    @property
    def finished(self) -> bool:
        return self not in (JobState.WAITING, JobState.PROCESSING)


class Trigger(str, enum.Enum):
    MANUAL = "manual"
    SCHEDULE = "schedule"
    RERUN = "rerun"
    BACKFILL = "backfill"
    NESTED = "nested"  # the job of a nested ``orchestration`` task


@dataclass
class Attempt:
    number: int  # 1-based
    started_at: datetime
    finished_at: datetime | None = None
    exit_code: int | None = None
    reason: str | None = None  # why it failed when the exit code does not say: timeout, signal
    stdout: str = ""  # masked; bounded (see runner.capture.OutputBuffer)
    stderr: str = ""
    pid: int | None = None  # of a run task's process (its process group), while it runs
    outputs: dict[str, str] = field(default_factory=dict)  # masked (docs/language.md, outputs)
    host: str | None = None  # where it ran
    worker: str | None = None  # the executor's worker that ran it (a Dask worker's address)

    @property
    def succeeded(self) -> bool:
        return self.exit_code == 0 and self.reason is None

    @property
    def duration_s(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


@dataclass
class TaskResult:
    name: str
    phase: str
    state: TaskState = TaskState.PENDING
    attempts: list[Attempt] = field(default_factory=list)
    reason: str | None = None  # why it was skipped, cancelled or failed
    continue_on_failure: bool = False
    instance_of: str | None = None  # the matrix task this one is an instance of

    @property
    def exit_code(self) -> int | None:
        return self.attempts[-1].exit_code if self.attempts else None

    @property
    def outputs(self) -> dict[str, str]:
        """The outputs of its last attempt; only a task that succeeded has any."""
        if self.state is not TaskState.SUCCEEDED or not self.attempts:
            return {}
        return self.attempts[-1].outputs


@dataclass(frozen=True)
class Delivery:
    """What one notification of a job became (targets and errors already masked)."""

    event: str
    target: str
    outcome: str  # delivered, failed, undeliverable
    attempts: int
    error: str | None
    at: datetime | None = None


@dataclass
class JobResult:
    job_id: int
    orchestration: str
    file: str
    trigger: Trigger
    state: JobState = JobState.WAITING
    started_at: datetime | None = None
    finished_at: datetime | None = None
    tasks: dict[str, TaskResult] = field(default_factory=dict)
    reason: str | None = None  # why it ended in error or was cancelled (timeout, signal)
    file_hash: str | None = None  # sha256 of the file's text
    rerun_of: int | None = None  # the job this one runs again (``run --rerun``)
    parent_job: int | None = None  # the job whose task ran this nested one
    created_at: datetime | None = None
    params: tuple[tuple[str, str], ...] = ()  # the params it ran with (secrets never)
    selection: tuple[str, ...] = ()  # the selection flags it ran with, as given
    fire_time: datetime | None = None  # the fire it serves (scheduled, backfilled)
    token: str | None = None  # carried by every process of the job (recovery finds them by it)
    children: tuple[int, ...] = ()  # the jobs of its nested tasks (read back from a store)
    deliveries: tuple[Delivery, ...] = ()  # read back from a store

    @property
    def ok(self) -> bool:
        return self.state in (JobState.SUCCESS, JobState.WARNING)

    @property
    def duration_s(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()

    def failed_tasks(self) -> list[TaskResult]:
        return [t for t in self.tasks.values() if t.state is TaskState.FAILED]


def job_state(tasks) -> JobState:
    """The final state of a job that ran to its end: error when a task without
    continue_on_failure failed, warning when only such tasks failed, else success."""
    failed = [t for t in tasks if t.state is TaskState.FAILED]
    if any(not t.continue_on_failure for t in failed):
        return JobState.ERROR
    return JobState.WARNING if failed else JobState.SUCCESS
