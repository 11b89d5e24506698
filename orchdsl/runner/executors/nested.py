"""Nested ``orchestration`` tasks: the child's plan run as a job of its own, coordinated here
(its tasks run on the same executors as the parent's). The task fails when that job ends in
error or is cancelled (docs/language.md, "Tasks")."""

from __future__ import annotations

import math
import socket
from typing import Awaitable, Callable

import trio

from orchdsl.durations import written
from orchdsl.model import JobResult, JobState
from orchdsl.runner.executors.base import Executor, NestedWork, Outcome, Placement, Sink, Work

CANCELLED_BY_PARENT = "cancelled with the job that ran it"

# run_child(work, bind) runs the child job to its end; it calls ``bind(stop)`` with the
# function that cancels the child (``stop(why)``) as soon as the child exists.
RunChild = Callable[[Work, Callable[[Callable[[str], None]], None]], Awaitable[JobResult]]


class NestedExecutor(Executor):
    def __init__(self, run_child: RunChild):
        self._run_child = run_child
        self._nursery: trio.Nursery | None = None

    async def open(self, nursery: trio.Nursery) -> None:
        self._nursery = nursery

    def can_run(self, work: Work) -> bool:
        return isinstance(work.what, NestedWork)

    def start(self, work: Work, sink: Sink) -> "_Handle":
        handle = _Handle()
        self._nursery.start_soon(self._attempt, work, sink, handle)
        return handle

    async def _attempt(self, work: Work, sink: Sink, handle: "_Handle") -> None:
        sink.started(Placement(host=socket.gethostname()))
        done: list[JobResult] = []
        over = trio.Event()

        async def run() -> None:
            done.append(await self._run_child(work, handle.bind))
            over.set()

        timed_out = False
        async with trio.open_nursery() as nursery:
            nursery.start_soon(run)
            timeout = work.timeout_s if work.timeout_s is not None else math.inf
            with trio.move_on_after(timeout):
                await over.wait()
            if not over.is_set():
                timed_out = True
                handle.cancel()
        result, name = done[0], work.what.plan.name
        if timed_out:
            sink.stdout.write(f"child job {result.job_id} ({name}) cancelled: timeout\n")
            sink.finished(Outcome(None, f"timed out after {written(work.timeout_s)}"))
            return
        sink.stdout.write(f"child job {result.job_id} ({name}): {result.state.value}\n")
        failed = result.state in (JobState.ERROR, JobState.CANCELLED)
        reason = f"child job {result.job_id} ended in {result.state.value}" if failed else None
        sink.finished(Outcome(1 if failed else 0, reason))


class _Handle:
    """Cancels the child job: its own attempts are cancelled and it ends."""

    def __init__(self):
        self._stop: Callable[[str], None] | None = None
        self._asked = False

    def bind(self, stop: Callable[[str], None]) -> None:
        self._stop = stop
        if self._asked:
            stop(CANCELLED_BY_PARENT)

    def cancel(self) -> None:
        self._asked = True
        if self._stop is not None:
            self._stop(CANCELLED_BY_PARENT)
