"""One attempt in flight: the sink an executor reports to (executors/base.py) and the record
it fills in (orchdsl.model.Attempt).

Every text that leaves the runner goes through the job's mask here: what the attempt prints
(masked on the stream, before anything is kept or shown), its failure reason and its outputs.
"""

from __future__ import annotations

import contextvars
import threading
from typing import Callable

import trio

from orchdsl.model import Attempt, TaskResult, TaskState
from orchdsl.runner.capture import AttemptLog, OutputBuffer
from orchdsl.runner.executors.base import Outcome, Placement, Work


class AttemptSink:
    """``coordinator``: the runner.coordinator.Coordinator that started the attempt (not
    imported here: it imports this module)."""

    __slots__ = ("coordinator", "result", "work", "handle", "hop", "cancelled_why",
                 "raw_outputs", "_stdout", "_stderr", "_attempt", "_closing", "_finished",
                 "_log")

    def __init__(self, coordinator, result: TaskResult, work: Work):
        self.coordinator = coordinator
        self.result = result
        self.work = work
        self.handle = None  # the executor's, once started
        self.hop: Callable | None = None  # set by an executor that orders lines itself
        self.cancelled_why: str | None = None
        self.raw_outputs: dict[str, str] = {}
        self._attempt: Attempt | None = None
        self._closing = False  # finished() under way: lines it flushes are still heard
        self._finished = False
        # Made when the attempt first prints there: most tasks of a large job print little
        # (bench_run W3). Each is written by one thread at a time (executors/base.py).
        self._log: AttemptLog | None = None
        self._stdout: OutputBuffer | None = None
        self._stderr: OutputBuffer | None = None

    @property
    def stdout(self) -> OutputBuffer:
        if self._stdout is None:
            self._stdout = self._buffer("stdout", "o")
        return self._stdout

    @property
    def stderr(self) -> OutputBuffer:
        if self._stderr is None:
            self._stderr = self._buffer("stderr", "e")
        return self._stderr

    def _buffer(self, stream: str, tag: str) -> OutputBuffer:
        coordinator = self.coordinator
        lines = self._line_sink(stream) if coordinator.stream else None
        return OutputBuffer(coordinator.values.masker, lines, self, tag)

    def add(self, stream: str, text: str) -> None:
        """What the attempt printed, masked, for its full log (OutputBuffer calls it, from
        the one thread that writes the attempt's output)."""
        log = self._log
        if log is None:
            coordinator = self.coordinator
            log = self._log = AttemptLog(self._log_chunk, coordinator.log_limit,
                                         self._ask_drain, coordinator.trio_thread)
        log.add(stream, text)

    # -- what the executor calls -----------------------------------------------------------

    def begin(self, at=None) -> Attempt:
        """Record the attempt as started (the coordinator does so before a local command is
        spawned, so a command that cannot start still has its attempt)."""
        if self._attempt is None:
            coordinator = self.coordinator
            self._attempt = Attempt(len(self.result.attempts) + 1, at or coordinator.now())
            self.result.state = TaskState.RUNNING
            self.result.attempts.append(self._attempt)
            coordinator.observer.task_started(coordinator.job, self.result, self._attempt)
        return self._attempt

    def started(self, placement: Placement) -> None:
        attempt = self.begin(placement.at)
        attempt.pid, attempt.host, attempt.worker = placement.pid, placement.host, placement.worker
        self.coordinator.attempt_started(self)

    def finished(self, outcome: Outcome, at=None) -> None:
        """``at``: when it ended, when the executor knows better than ``outcome.at``."""
        if self._closing:
            return
        self._closing = True
        attempt = self._attempt
        stdout = self._stdout.close() if self._stdout is not None else ""
        stderr = self._stderr.close() if self._stderr is not None else ""
        if attempt is not None and self._log is not None:
            self._log.close()
        self._finished = True
        if attempt is None:  # never started: taken back, or cancelled while queued
            self.coordinator.attempt_finished(self, outcome, started=False)
            return
        mask = self.coordinator.values.masker.mask
        attempt.stdout, attempt.stderr = stdout, stderr
        attempt.exit_code = outcome.exit_code
        attempt.reason = mask(outcome.reason) if outcome.reason else None
        if self.cancelled_why is not None:
            attempt.reason = attempt.reason or "cancelled"
        if outcome.succeeded:
            self.raw_outputs = dict(outcome.outputs)
            attempt.outputs = {k: mask(v) for k, v in outcome.outputs.items()}
        attempt.finished_at = at or outcome.at or self.coordinator.now()
        attempt.pid = None  # gone: nothing for recovery to stop
        self.coordinator.attempt_finished(self, outcome, started=True)

    # -- what the coordinator calls --------------------------------------------------------

    def drain_log(self) -> None:
        """Hand what the attempt printed so far to the observers (every 0.5 s)."""
        if self._attempt is not None and not self._closing and self._log is not None:
            self._log.drain()

    def _ask_drain(self) -> bool:
        """From a lane that printed much: drain the log soon, in the trio thread."""
        try:
            if self.hop is not None:
                self.hop(self.drain_log)
            else:
                self.coordinator.token.run_sync_soon(self.drain_log)
        except trio.RunFinishedError:
            return False
        return True

    def _log_chunk(self, segments: list) -> None:
        coordinator = self.coordinator
        coordinator.observer.task_log(coordinator.job, self.result.name, self._attempt.number,
                                      segments)

    def cancel(self, why: str) -> None:
        if self._closing or self.cancelled_why is not None:
            return
        self.cancelled_why = why
        if self.handle is not None:
            self.handle.cancel()

    # -- lines, with --stream ----------------------------------------------------------------

    def _line_sink(self, stream: str):
        """Each line goes to the observer in the trio thread, even when a call prints from its
        worker thread (observers need not be thread-safe)."""
        trio_thread = self.coordinator.trio_thread
        token = self.coordinator.token

        def deliver(line: str) -> None:
            if threading.get_ident() == trio_thread:
                self._deliver(stream, line)
            elif self.hop is not None:
                self.hop(lambda: self._deliver(stream, line))
            else:
                try:
                    token.run_sync_soon(self._deliver, stream, line)
                except trio.RunFinishedError:
                    pass  # a function abandoned by a job that is over prints on: unheard
        return deliver

    def _deliver(self, stream: str, line: str) -> None:
        """A line the task printed, while it runs (a function given up on may print on: not
        heard any more). In a context of its own: an ``async def`` call's print() is routed to
        its task's log by the context, and an observer that prints would otherwise print into
        that log, and so on forever."""
        if self.result.state is TaskState.RUNNING and not self._finished:
            coordinator = self.coordinator
            contextvars.Context().run(coordinator.observer.task_output, coordinator.job,
                                      self.result.name, stream, line)
