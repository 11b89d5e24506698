"""The Gantt timeline of a job's page (docs/dashboard.md, "Job"): one row per task, grouped by
phase, with one bar per attempt placed on the job's span. Bars are SVG rectangles in a
``0..WIDTH`` coordinate space (attributes, not inline styles, which the page's content
security policy forbids): ``x`` is where the attempt started, ``width`` how long it took."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from orchdsl.durations import measured
from orchdsl.model import Attempt, JobResult, TaskResult

WIDTH = 1000.0
SMALLEST = 2.0  # an attempt of a few milliseconds still shows


@dataclass(frozen=True)
class Bar:
    number: int
    x: float
    width: float
    state: str  # succeeded, failed, running: the class that colours it
    title: str  # on hover: its times in UTC, how long, how it ended


@dataclass(frozen=True)
class Row:
    task: TaskResult
    bars: tuple[Bar, ...]
    took: str


@dataclass(frozen=True)
class Phase:
    name: str
    rows: tuple[Row, ...]
    bar: Bar | None  # the span of its attempts


@dataclass(frozen=True)
class Timeline:
    start: datetime | None
    span_s: float
    phases: tuple[Phase, ...]
    ticks: tuple[tuple[float, str], ...]  # (x, label) along the top


def timeline(job: JobResult, now: datetime | None = None) -> Timeline:
    now = now or datetime.now(timezone.utc)
    start, end = _span(job, now)
    span = max((end - start).total_seconds(), 0.001) if start and end else 0.0
    groups: dict[str, list[Row]] = {}
    for task in job.tasks.values():
        bars = tuple(_bar(a, start, span, job, now) for a in task.attempts) if span else ()
        groups.setdefault(task.phase, []).append(Row(task, bars, _took(task, job, now)))
    phases = tuple(Phase(name, tuple(rows), _phase_bar(name, rows)) for name, rows in
                   groups.items())
    ticks = tuple((WIDTH * i / 4, "+" + measured(span * i / 4)) for i in range(5)) if span \
        else ()
    return Timeline(start, span, phases, ticks)


def _span(job: JobResult, now: datetime):
    attempts = [a for t in job.tasks.values() for a in t.attempts]
    start = job.started_at or min((a.started_at for a in attempts), default=None)
    if start is None:
        return None, None
    ends = [a.finished_at or now for a in attempts]
    end = job.finished_at or (now if not job.state.finished else max(ends, default=start))
    return start, max([end, *ends])


def _bar(attempt: Attempt, start: datetime, span: float, job: JobResult, now) -> Bar:
    finished = attempt.finished_at or (job.finished_at if job.state.finished else now)
    x = (attempt.started_at - start).total_seconds() / span * WIDTH
    width = max((finished - attempt.started_at).total_seconds() / span * WIDTH, SMALLEST)
    state = ("running" if attempt.finished_at is None and not job.state.finished else
             "succeeded" if attempt.succeeded else "failed")
    return Bar(attempt.number, round(x, 2), round(min(width, WIDTH - x), 2) if x < WIDTH
               else SMALLEST, state, _title(attempt, finished))


def _title(attempt: Attempt, finished: datetime | None) -> str:
    took = measured((finished - attempt.started_at).total_seconds()) if finished else "-"
    how = (f"exit {attempt.exit_code}" if attempt.exit_code is not None else
           attempt.reason or "running")
    if attempt.reason and attempt.exit_code is not None:
        how += f", {attempt.reason}"
    return (f"attempt {attempt.number}: {utc(attempt.started_at)} to "
            f"{utc(attempt.finished_at) if attempt.finished_at else 'now'}, {took}, {how}")


def _took(task: TaskResult, job: JobResult, now: datetime) -> str:
    if not task.attempts:
        return "-"
    first, last = task.attempts[0], task.attempts[-1]
    end = last.finished_at or (job.finished_at if job.state.finished else now)
    return measured((end - first.started_at).total_seconds()) if end else "-"


def _phase_bar(name: str, rows: list[Row]) -> Bar | None:
    bars = [b for r in rows for b in r.bars]
    if not bars:
        return None
    x = min(b.x for b in bars)
    return Bar(0, x, max(b.x + b.width for b in bars) - x, "phase", f'phase "{name}"')


def utc(moment: datetime | None) -> str:
    """A time as the page's hover text says it: UTC, to the second."""
    if moment is None:
        return "-"
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
