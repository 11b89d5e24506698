"""What one notification says about a job: a frozen, masked snapshot taken when the event
fires, so that deliveries still being retried later describe the job as it was then."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from orchdsl.notify.events import Event
from orchdsl.masking import Masker
from orchdsl.model import JobResult, TaskResult, TaskState

LAST_LINES = 10  # lines of a failed task's output in an e-mail and a Slack message


@dataclass(frozen=True)
class TaskSummary:
    name: str
    phase: str
    state: str
    attempts: int
    exit_code: int | None
    reason: str | None
    last_lines: tuple[str, ...]  # of a failed task: its last attempt's stderr, else stdout


@dataclass(frozen=True)
class Summary:
    event: Event
    orchestration: str
    description: str | None
    file: str
    job_id: int
    trigger: str
    status: str
    reason: str | None
    started_at: datetime | None
    finished_at: datetime | None
    duration_s: float | None  # so far, for ``processing``
    tasks: tuple[TaskSummary, ...]

    @property
    def failed(self) -> tuple[TaskSummary, ...]:
        return tuple(t for t in self.tasks if t.state == TaskState.FAILED.value)


def summarize(job: JobResult, event: Event, masker: Masker, *, description: str | None = None,
              now: datetime | None = None) -> Summary:
    """``now`` measures a running job (``processing``)."""
    now = now or datetime.now(timezone.utc)
    duration = job.duration_s
    if duration is None and job.started_at is not None:
        duration = (now - job.started_at).total_seconds()
    mask = masker.mask
    return Summary(
        event=event, orchestration=job.orchestration,
        description=mask(description) if description else None, file=job.file,
        job_id=job.job_id, trigger=job.trigger.value, status=job.state.value,
        reason=mask(job.reason) if job.reason else None, started_at=job.started_at,
        finished_at=job.finished_at, duration_s=duration,
        tasks=tuple(_task(t, masker) for t in job.tasks.values()))


def _task(task: TaskResult, masker: Masker) -> TaskSummary:
    lines: tuple[str, ...] = ()
    if task.state is TaskState.FAILED and task.attempts:
        last = task.attempts[-1]
        text = masker.mask(last.stderr.strip("\n") or last.stdout.strip("\n"))
        lines = tuple(text.splitlines()[-LAST_LINES:]) if text else ()
    return TaskSummary(task.name, task.phase, task.state.value, len(task.attempts),
                       task.exit_code, masker.mask(task.reason) if task.reason else None, lines)


def iso_utc(moment: datetime | None) -> str | None:
    """``2026-11-02T06:00:00.250Z``: ISO 8601 in UTC, milliseconds."""
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z")


def shown_duration(seconds: float | None) -> str:
    from orchdsl.lang.lexical import format_duration

    if seconds is None:
        return "-"
    if seconds < 10:
        return f"{seconds:.2f}s"
    return format_duration(round(seconds) * 1000)
