"""The Gantt timeline of a job's page (docs/dashboard.md, "Job"): one row per task, grouped by
phase, with one bar per attempt placed on the job's span. Bars are SVG rectangles in a
``0..WIDTH`` coordinate space (attributes, not inline styles, which the page's content
security policy forbids): ``x`` is where the attempt started, ``width`` how long it took."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from orchdsl.durations import measured
from orchdsl.model import Attempt, JobResult, TaskResult
from orchdsl.store.base import PhaseSpan

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
class Group:
    name: str  # a phase, with the rows of its tasks on this page
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class PhaseRow:
    span: PhaseSpan
    bar: Bar | None
    took: str


@dataclass(frozen=True)
class Timeline:
    start: datetime | None
    span_s: float
    phases: tuple[PhaseRow, ...]  # every phase of the job
    groups: tuple[Group, ...]  # the tasks of this page, by phase
    ticks: tuple[tuple[float, str], ...]  # (x, label) along the top


def timeline(job: JobResult, spans: list[PhaseSpan], now: datetime | None = None) -> Timeline:
    """The timeline of ``job`` (with the tasks of one page) over the span of all its phases."""
    now = now or datetime.now(timezone.utc)
    start, end = _span(job, spans, now)
    span = max((end - start).total_seconds(), 0.001) if start and end else 0.0
    groups: dict[str, list[Row]] = {}
    for task in job.tasks.values():
        bars = tuple(_bar(a, start, span, job, now) for a in task.attempts) if span else ()
        groups.setdefault(task.phase, []).append(Row(task, bars, _took(task, job, now)))
    phases = tuple(_phase_row(p, start, span, job, now) for p in spans)
    ticks = tuple((WIDTH * i / 4, "+" + measured(span * i / 4)) for i in range(5)) if span \
        else ()
    return Timeline(start, span, phases, tuple(Group(n, tuple(r)) for n, r in groups.items()),
                    ticks)


def _span(job: JobResult, spans: list[PhaseSpan], now: datetime):
    start = job.started_at or min((p.started_at for p in spans if p.started_at), default=None)
    if start is None:
        return None, None
    ends = [p.finished_at for p in spans if p.finished_at]
    if not job.state.finished or any(p.running for p in spans):
        ends.append(now)
    return start, max([job.finished_at or start, *ends])


def _phase_row(phase: PhaseSpan, start, span: float, job: JobResult, now) -> PhaseRow:
    if not span or phase.started_at is None:
        return PhaseRow(phase, None, "-")
    end = now if phase.running and not job.state.finished else (phase.finished_at or
                                                                 phase.started_at)
    x = (phase.started_at - start).total_seconds() / span * WIDTH
    width = max((end - phase.started_at).total_seconds() / span * WIDTH, SMALLEST)
    took = measured((end - phase.started_at).total_seconds())
    return PhaseRow(phase, Bar(0, round(x, 2), round(min(width, WIDTH - x), 2), "phase",
                               f'phase "{phase.name}": {utc(phase.started_at)} to '
                               f"{utc(end)}, {took}"), took)


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


def utc(moment: datetime | None) -> str:
    """A time as the page's hover text says it: UTC, to the second."""
    if moment is None:
        return "-"
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
