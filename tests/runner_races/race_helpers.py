"""Shared bits for the review tests."""
from __future__ import annotations

import sys
import threading
from pathlib import Path

from orchdsl.observer import Observer

PY = sys.executable


def lit(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


class Log(Observer):
    """Every event in order, with the thread it arrived on."""

    def __init__(self):
        self.events: list[tuple] = []
        self.jobs = []
        self.threads: set[int] = set()

    def _add(self, *event):
        self.threads.add(threading.get_ident())
        self.events.append(event)

    def job_created(self, job):
        self.jobs.append(job)
        return len(self.jobs)

    def job_started(self, job):
        self._add("job_started", job.job_id)

    def task_started(self, job, task, attempt):
        self._add("task_started", job.job_id, task.name, attempt.number)

    def task_retrying(self, job, task, delay_s):
        self._add("task_retrying", job.job_id, task.name)

    def task_output(self, job, task, stream, line):
        self._add("task_output", job.job_id, task, line)

    def task_finished(self, job, task):
        self._add("task_finished", job.job_id, task.name, task.state.value)

    def job_finished(self, job):
        self._add("job_finished", job.job_id, job.state.value)


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path
