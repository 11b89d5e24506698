"""What ``orchdsl run`` shows while a job runs: one timestamped line per event (logs, CI),
or on a terminal a live view of the phases and the running tasks; then a summary."""

from __future__ import annotations

import sys
from datetime import datetime

from orchdsl.lang.lexical import format_duration
from orchdsl.observer import Observer
from orchdsl.model import Attempt, JobResult, TaskResult, TaskState

MARKS = {TaskState.SUCCEEDED: "ok", TaskState.FAILED: "FAILED", TaskState.SKIPPED: "skipped",
         TaskState.CANCELLED: "cancelled", TaskState.DISABLED: "disabled",
         TaskState.RUNNING: "running", TaskState.PENDING: "pending"}


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


class LinePrinter(Observer):
    """One line per event, with the time; task output prefixed by its task with --stream."""

    def __init__(self, stream=None, width: int = 0):
        self.out = stream or sys.stdout
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


class LiveView(Observer):
    """A block of lines redrawn in place: each phase with its counts, the running tasks with
    their elapsed time, the failures so far. ``refresh`` is called by a timer task."""

    MAX_RUNNING = 12

    def __init__(self, stream=None):
        self.out = stream or sys.stdout
        self.jobs: list[JobResult] = []
        self._drawn = 0

    def job_started(self, job):
        self.jobs.append(job)
        self.refresh()

    def task_finished(self, job, task):
        if task.state is TaskState.FAILED:
            self.clear()
            self.out.write(f"FAILED {task.name}: {task.reason}\n")
            tail = (task.attempts[-1].stderr or task.attempts[-1].stdout).strip().splitlines()[-5:] \
                if task.attempts else []
            self.out.write("".join(f"  | {line}\n" for line in tail))
        self.refresh()

    def job_finished(self, job):
        self.refresh()

    def clear(self) -> None:
        if self._drawn:
            self.out.write(f"\033[{self._drawn}F\033[J")
            self._drawn = 0

    def refresh(self) -> None:
        lines = self._lines()
        self.clear()
        self.out.write("".join(line + "\n" for line in lines))
        self.out.flush()
        self._drawn = len(lines)

    def _lines(self) -> list[str]:
        lines: list[str] = []
        now = datetime.now().astimezone()
        for job in self.jobs:
            if job.finished_at is not None and job is not self.jobs[0]:
                continue  # a finished nested job: its task line says it
            lines.append(f'job {job.job_id} "{job.orchestration}"  {job.state.value}')
            phases: dict[str, list[TaskResult]] = {}
            for task in job.tasks.values():
                phases.setdefault(task.phase, []).append(task)
            for index, (phase, tasks) in enumerate(phases.items(), 1):
                counts: dict[TaskState, int] = {}
                for task in tasks:
                    counts[task.state] = counts.get(task.state, 0) + 1
                shown = ", ".join(f"{n} {MARKS[s]}" for s, n in counts.items())
                lines.append(f"  {index}. {phase}: {shown}")
                running = [t for t in tasks if t.state is TaskState.RUNNING][:self.MAX_RUNNING]
                for task in running:
                    elapsed = (now - task.attempts[-1].started_at).total_seconds()
                    lines.append(f"       {task.name}  {seconds(elapsed)}")
        return lines


def summary(job: JobResult) -> str:
    counts: dict[TaskState, int] = {}
    for task in job.tasks.values():
        counts[task.state] = counts.get(task.state, 0) + 1
    shown = ", ".join(f"{n} {MARKS[s]}" for s, n in counts.items())
    lines = [f'job {job.job_id} "{job.orchestration}": {job.state.value} in '
             f"{seconds(job.duration_s)} ({shown})"]
    if job.reason:
        lines.append(f"  reason: {job.reason}")
    for task in job.failed_tasks():
        lines.append(f"  failed: {task.name}: {task.reason}")
        last = task.attempts[-1] if task.attempts else None
        tail = ((last.stderr or last.stdout).strip().splitlines()[-5:]) if last else []
        lines.extend(f"    | {line}" for line in tail)
    return "\n".join(lines) + "\n"
