"""Recording jobs into the store as they run, in batches.

A job with thousands of small tasks would spend more time in SQLite than in its tasks if every
event were a transaction. Changes are collected and written in one transaction every
``FLUSH_S`` seconds or ``FLUSH_ROWS`` changes (``flush_while_running`` runs beside a job,
so a quiet job is written too), and when a job ends; the job row itself is created at
once (its id is shown at the start). A crash loses at most the last interval: the next command
that opens the store marks the job terminated.
"""

from __future__ import annotations

import sqlite3
import time

from orchdsl.runner.events import Observer
from orchdsl.model import Attempt, JobResult, TaskResult
from orchdsl.store import Store, _iso, _process_started

FLUSH_S = 0.5
FLUSH_ROWS = 500


class StoreRecorder(Observer):
    def __init__(self, store: Store, clock=time.monotonic):
        self.store = store
        self.clock = clock
        self._jobs: dict[int, JobResult] = {}
        self._tasks: dict[tuple[int, str], TaskResult] = {}
        self._attempts: dict[tuple[int, str, int], Attempt] = {}
        # Running attempts are written at every flush: their process id arrives after the
        # task_started event, and recovery needs it. There are at most `concurrency` of them.
        self._running: dict[tuple[int, str, int], Attempt] = {}
        self._last_flush = clock()
        self.error: str | None = None  # the first write that failed; the job runs on

    def job_created(self, job: JobResult) -> int:
        return self.store.create_job(job)

    def job_started(self, job):
        self._jobs[job.job_id] = job
        self._maybe_flush()

    def task_started(self, job, task, attempt):
        self._tasks[(job.job_id, task.name)] = task
        self._running[(job.job_id, task.name, attempt.number)] = attempt
        self._maybe_flush()

    def task_retrying(self, job, task, delay_s):
        self._task_finished(job, task)

    def task_finished(self, job, task):
        self._task_finished(job, task)

    def job_finished(self, job):
        for task in job.tasks.values():  # skipped at the end, cancelled by recovery of a signal
            self._tasks[(job.job_id, task.name)] = task
        self._jobs[job.job_id] = job
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

    async def flush_while_running(self) -> None:
        """Flush every ``FLUSH_S`` until cancelled (run beside the job, in its nursery): a
        quiet job still reaches the store soon, so ``orchdsl logs --follow`` and recovery
        after a crash see it."""
        import trio

        while True:
            await trio.sleep(FLUSH_S)
            self.flush()

    def flush(self) -> None:
        jobs = [(j.state.value, j.reason, _iso(j.started_at), _iso(j.finished_at), j.job_id)
                for j in self._jobs.values()]
        tasks = [(t.state.value, t.reason, job_id, name)
                 for (job_id, name), t in self._tasks.items()]
        attempts = [(job_id, name, number, _iso(a.started_at), _iso(a.finished_at), a.exit_code,
                     a.reason, a.stdout, a.stderr, a.pid, a.pid and _process_started(a.pid))
                    for (job_id, name, number), a in {**self._running, **self._attempts}.items()]
        self._jobs, self._tasks, self._attempts = {}, {}, {}
        self._last_flush = self.clock()
        if not (jobs or tasks or attempts):
            return
        try:
            self.store.write(jobs, tasks, attempts)
        except sqlite3.Error as exc:
            # A full disk must not stop the job: it runs on unrecorded, and `orchdsl run` says so.
            self.error = self.error or str(exc)
