"""Who hears about a job: the recorder that gives it an id (the job store, later) and the
printers. The engine calls these in the trio thread; each must be quick and never raise."""

from __future__ import annotations

from orchdsl.model import Attempt, JobResult, TaskResult


class Observer:
    """Does nothing; subclasses pick the events they need."""

    def job_created(self, job: JobResult) -> int:
        """The job exists (state waiting); returns its id (0 when this observer gives none)."""
        return 0

    def job_started(self, job: JobResult) -> None: ...

    def task_started(self, job: JobResult, task: TaskResult, attempt: Attempt) -> None: ...

    def task_retrying(self, job: JobResult, task: TaskResult, delay_s: float) -> None: ...

    def task_output(self, job: JobResult, task: str, stream: str, line: str) -> None: ...

    def task_log(self, job: JobResult, task: str, attempt: int, segments: list) -> None:
        """A chunk of an attempt's full log, masked: ``(time, "o" or "e", text)`` in the
        order it came (runner/capture.AttemptLog), while the task runs and when it ends."""

    def tasks_expanded(self, job: JobResult, task: TaskResult,
                       instances: list[TaskResult]) -> None:
        """A task whose matrix reads an output became ``instances`` when it was reached:
        they stand in its place in ``job.tasks`` from now on."""

    def task_finished(self, job: JobResult, task: TaskResult) -> None: ...

    def job_finished(self, job: JobResult) -> None: ...

    def delivery_failed(self, job: JobResult, text: str) -> None:
        """A notification of the finished job could not be delivered (``text`` is masked and
        says what, to whom, and why); the job's state is not affected."""

    def store_failed(self, job: JobResult, text: str) -> None:
        """The job store could not record all of the finished job (``text`` says why); the
        job ran on unrecorded."""


class Observers(Observer):
    """Several observers as one; the job id comes from the first that gives one."""

    def __init__(self, *observers: Observer):
        self.observers = observers

    def job_created(self, job: JobResult) -> int:
        ids = [o.job_created(job) for o in self.observers]
        return next((i for i in ids if i), 0)

    def job_started(self, job):
        for o in self.observers:
            o.job_started(job)

    def task_started(self, job, task, attempt):
        for o in self.observers:
            o.task_started(job, task, attempt)

    def task_retrying(self, job, task, delay_s):
        for o in self.observers:
            o.task_retrying(job, task, delay_s)

    def task_output(self, job, task, stream, line):
        for o in self.observers:
            o.task_output(job, task, stream, line)

    def task_log(self, job, task, attempt, segments):
        for o in self.observers:
            o.task_log(job, task, attempt, segments)

    def tasks_expanded(self, job, task, instances):
        for o in self.observers:
            o.tasks_expanded(job, task, instances)

    def task_finished(self, job, task):
        for o in self.observers:
            o.task_finished(job, task)

    def job_finished(self, job):
        for o in self.observers:
            o.job_finished(job)

    def delivery_failed(self, job, text):
        for o in self.observers:
            o.delivery_failed(job, text)

    def store_failed(self, job, text):
        for o in self.observers:
            o.store_failed(job, text)


class MemoryRecorder(Observer):
    """Keeps jobs in memory and numbers them from 1: the recorder until the job store exists,
    and for programs and tests that want no files."""

    def __init__(self):
        self.jobs: list[JobResult] = []

    def job_created(self, job: JobResult) -> int:
        self.jobs.append(job)
        return len(self.jobs)
