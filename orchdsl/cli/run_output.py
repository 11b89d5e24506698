"""What ``orchdsl run`` shows while a job runs: one timestamped line per event (logs, CI), or
on a terminal the live view (orchdsl.cli.live_view); then a summary. Both write through a
``Sink``, so a reader that goes away (``orchdsl run FILE | head -1``) ends the output, never
the job (docs/language.md, "What run shows")."""

from __future__ import annotations

import os
import sys
from datetime import datetime

from orchdsl.lang.lexical import format_duration
from orchdsl.observer import Observer
from orchdsl.model import Attempt, JobResult, TaskResult, TaskState

MARKS = {TaskState.SUCCEEDED: "ok", TaskState.FAILED: "FAILED", TaskState.SKIPPED: "skipped",
         TaskState.CANCELLED: "cancelled", TaskState.DISABLED: "disabled",
         TaskState.RUNNING: "running", TaskState.PENDING: "pending"}
# The order counts are given in, whatever the order of the tasks in the file.
COUNT_ORDER = (TaskState.SUCCEEDED, TaskState.FAILED, TaskState.CANCELLED, TaskState.SKIPPED,
               TaskState.DISABLED, TaskState.RUNNING, TaskState.PENDING)


class Sink:
    """A text stream that a closed reader cannot break: the first write that fails (a closed
    pipe, a terminal that went away, a full disk) stops all later writes, and the stream's
    descriptor is pointed at /dev/null so that the interpreter's own flush at exit cannot fail
    again. The job goes on; ``orchdsl run`` still exits with the job's status."""

    def __init__(self, stream=None):
        self.stream = stream if stream is not None else sys.stdout
        self.closed = False

    def write(self, text: str) -> None:
        if self.closed:
            return
        try:
            self.stream.write(text)
        except (OSError, ValueError):  # BrokenPipeError, EIO, ENOSPC; ValueError: closed file
            self._gone()

    def flush(self) -> None:
        if self.closed:
            return
        try:
            self.stream.flush()
        except (OSError, ValueError):
            self._gone()

    def isatty(self) -> bool:
        try:
            return not self.closed and self.stream.isatty()
        except (OSError, ValueError):
            return False

    def fileno(self) -> int:
        return self.stream.fileno()

    def _gone(self) -> None:
        self.closed = True
        try:
            fd = self.stream.fileno()
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, fd)
            os.close(devnull)
        except (OSError, ValueError, AttributeError):  # no descriptor: nothing flushes it
            pass


def seconds(value: float | None) -> str:
    if value is None:
        return "-"
    if value < 10:
        return f"{value:.2f}s"
    return format_duration(round(value) * 1000)


def task_duration(task: TaskResult) -> float | None:
    if not task.attempts or task.attempts[-1].finished_at is None:
        return None
    return (task.attempts[-1].finished_at - task.attempts[0].started_at).total_seconds()


def counts(tasks) -> list[tuple[TaskState, int]]:
    """How many tasks are in each state, in COUNT_ORDER, states with none left out."""
    found: dict[TaskState, int] = {}
    for task in tasks:
        found[task.state] = found.get(task.state, 0) + 1
    return [(state, found[state]) for state in COUNT_ORDER if state in found]


def failure_tail(task: TaskResult, lines: int = 5) -> list[str]:
    """The last lines of a failed task's last attempt: its stderr, else its stdout."""
    if not task.attempts:
        return []
    last = task.attempts[-1]
    return (last.stderr or last.stdout).strip().splitlines()[-lines:]


class LinePrinter(Observer):
    """One line per event, with the time; task output prefixed by its task with --stream."""

    def __init__(self, stream=None, width: int = 0):
        self.out = stream if isinstance(stream, Sink) else Sink(stream)
        self.width = width

    def _line(self, text: str) -> None:
        self.out.write(f"{datetime.now():%H:%M:%S.%f}"[:-3] + f"  {text}\n")
        self.out.flush()

    def _name(self, name: str) -> str:
        return name.ljust(self.width)

    def job_started(self, job):
        self._line(f'job {job.job_id} "{job.orchestration}" started ({job.file})')

    def task_started(self, job, task, attempt: Attempt):
        extra = f" (attempt {attempt.number})" if attempt.number > 1 else ""
        self._line(f"{self._name(task.name)}  started{extra}")

    def task_retrying(self, job, task, delay_s):
        attempt = task.attempts[-1]
        why = attempt.reason or f"exit code {attempt.exit_code}"
        self._line(f"{self._name(task.name)}  attempt {attempt.number} failed ({why}); "
                   f"retrying in {seconds(delay_s)}")

    def task_output(self, job, task, stream, line):
        self.out.write(f"[{task}] {line}\n" if stream == "stdout" else f"[{task}:err] {line}\n")
        self.out.flush()

    def task_finished(self, job, task):
        what = MARKS[task.state]
        duration = task_duration(task)
        took = f" in {seconds(duration)}" if duration is not None else ""
        why = f": {task.reason}" if task.reason and task.state is not TaskState.SUCCEEDED else ""
        self._line(f"{self._name(task.name)}  {what}{took}{why}")


def summary(job: JobResult, paint=None) -> str:
    """The last lines of a run. ``paint(style, text)`` colours them (live_view.Painter)."""
    paint = paint or (lambda style, text: text)
    shown = ", ".join(paint(_STYLES.get(s, ""), f"{n} {MARKS[s]}")
                      for s, n in counts(job.tasks.values()))
    state = paint(_JOB_STYLES.get(job.state.value, ""), job.state.value)
    lines = [f'job {job.job_id} "{job.orchestration}": {state} in '
             f"{seconds(job.duration_s)} ({shown})"]
    if job.reason:
        lines.append(f"  reason: {job.reason}")
    for task in job.failed_tasks():
        lines.append(f"  {paint('failed', 'failed')}: {task.name}: {task.reason}")
        lines.extend(f"    | {line}" for line in failure_tail(task))
    return "\n".join(lines) + "\n"


_STYLES = {TaskState.SUCCEEDED: "ok", TaskState.FAILED: "failed", TaskState.CANCELLED: "failed",
           TaskState.SKIPPED: "dim", TaskState.DISABLED: "dim"}
_JOB_STYLES = {"success": "ok", "warning": "retry", "error": "failed", "cancelled": "failed"}
