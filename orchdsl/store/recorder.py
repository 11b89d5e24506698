"""Recording jobs into a store as they run, in batches (an Observer of the runner).

A job with thousands of small tasks would spend more time in the store than in its tasks if
every event were a transaction. Changes are collected and written in one transaction every
``FLUSH_S`` seconds or ``FLUSH_ROWS`` changes (``flush_while_running`` runs beside a job, so
a quiet job is written too, and its heartbeat with it), and when a job ends; the job row
itself is created at once (its id is shown at the start, and recovery can find its processes
by its token from then on). A crash loses at most the last interval: recovery marks the job
terminated.
"""

from __future__ import annotations

import time

from orchdsl.model import Attempt, JobResult, TaskResult
from orchdsl.observer import Observer
from orchdsl.store.base import Changes, JobStore

FLUSH_S = 0.5
FLUSH_ROWS = 500


class StoreRecorder(Observer):
    def __init__(self, store: JobStore, clock=time.monotonic):
        from orchdsl.store.recovery import this_runner

        self.store = store
        self.clock = clock
        self.runner = this_runner()
        self._jobs: dict[int, JobResult] = {}
        self._tasks: dict[tuple[int, str], TaskResult] = {}
        self._attempts: dict[tuple[int, str, int], Attempt] = {}
        # Running attempts are written at every flush: their process id arrives after the
        # task_started event, and recovery needs it. There are at most `concurrency` of them.
        self._running: dict[tuple[int, str, int], Attempt] = {}
        self._alive: dict[int, JobResult] = {}  # jobs running: their heartbeat is written
        self._expansions: list[tuple[int, str, list[TaskResult]]] = []
        self._last_flush = clock()
        self._error: str | None = None  # the first write that failed; the job runs on
        self._logs = None  # a store.logs.LogWriter, once a task printed something

    @property
    def error(self) -> str | None:
        return self._error or (self._logs.error if self._logs is not None else None)

    def job_created(self, job: JobResult) -> int:
        try:
            return self.store.create_job(job, self.runner, job.token or "")
        except self.store.write_errors as exc:
            # A full disk must not stop the job: it runs on unrecorded (id 0), and is told.
            self._error = self._error or str(exc)
            return 0

    def job_started(self, job):
        self._jobs[job.job_id] = job
        self._alive[job.job_id] = job
        self.flush()  # once per job: `orchdsl jobs` shows it processing at once

    def task_started(self, job, task, attempt):
        self._tasks[(job.job_id, task.name)] = task
        self._running[(job.job_id, task.name, attempt.number)] = attempt
        self._maybe_flush()

    def task_log(self, job, task, attempt, segments):
        if self._logs is None:
            from orchdsl.store.logs import LogWriter

            self._logs = LogWriter(self.store)
        self._logs.put(job.job_id, task, attempt, segments)

    def tasks_expanded(self, job, task, instances):
        self._tasks.pop((job.job_id, task.name), None)
        self._expansions.append((job.job_id, task.name, list(instances)))

    def task_retrying(self, job, task, delay_s):
        self._task_finished(job, task)

    def task_finished(self, job, task):
        self._task_finished(job, task)

    def job_finished(self, job):
        for task in job.tasks.values():  # skipped at the end, cancelled by a signal
            self._tasks[(job.job_id, task.name)] = task
        self._jobs[job.job_id] = job
        self._alive.pop(job.job_id, None)
        if self._logs is not None:
            self._logs.flush()  # its logs before its end: a follower reads all, then stops
        self.flush()

    def _task_finished(self, job: JobResult, task: TaskResult) -> None:
        self._tasks[(job.job_id, task.name)] = task
        for attempt in task.attempts:
            key = (job.job_id, task.name, attempt.number)
            self._attempts[key] = attempt
            self._running.pop(key, None)
        self._maybe_flush()

    def _maybe_flush(self) -> None:
        pending = len(self._jobs) + len(self._tasks) + len(self._attempts)
        if pending >= FLUSH_ROWS or self.clock() - self._last_flush >= FLUSH_S:
            self.flush()

    async def flush_while_running(self, on_cancel=None) -> None:
        """Flush every ``FLUSH_S`` until cancelled (run beside the job, in its nursery): a
        quiet job still reaches the store soon, so ``orchdsl logs --follow`` and recovery
        after a crash see it, and its heartbeat says its runner lives. ``on_cancel(who)`` is
        called when someone asked the store to cancel one of its jobs (``orchdsl cancel``)."""
        import trio

        while True:
            await trio.sleep(FLUSH_S)
            self.flush(heartbeat=True)
            if on_cancel is not None and self._alive:
                try:
                    asked = self.store.cancel_requests(list(self._alive))
                except self.store.write_errors:
                    asked = {}
                for who in asked.values():
                    on_cancel(who)

    def flush(self, heartbeat: bool = False) -> None:
        changes = Changes(
            jobs=list(self._jobs.values()),
            tasks=[(job_id, t) for (job_id, _), t in self._tasks.items()],
            attempts=[(job_id, name, a) for (job_id, name, _), a in
                      {**self._running, **self._attempts}.items()],
            heartbeats=list(self._alive) if heartbeat else [],
            expansions=self._expansions)
        self._jobs, self._tasks, self._attempts, self._expansions = {}, {}, {}, []
        self._last_flush = self.clock()
        if not changes:
            return
        try:
            self.store.write(changes)
        except self.store.write_errors as exc:
            # A full disk must not stop the job: it runs on unrecorded, and `orchdsl run` says so.
            self._error = self._error or str(exc)
