"""Lanes: plain sync ``call`` tasks run back to back in a few worker threads.

A trio task and a thread hop per call cost ~100 us, and even one ``run_sync_soon`` round trip
per call left two worker threads idle most of the time (bench_run W3: 10,000 small calls). A
lane is a worker thread that holds one ``concurrency`` slot and takes queued calls one after
another, with no trip through trio between them; it reports what happened (a call started, a
call ended, the lane is idle) as events, and one ``run_sync_soon`` wakes the engine for every
event gathered since it last took them. The engine does all the bookkeeping in the trio
thread.

Stopping: a call that fails without ``continue_on_failure`` stops the lanes from taking more
at once (they need not wait for the engine to hear of it); the engine then takes the calls
still queued back (``stop``) and records them as not started.
"""

from __future__ import annotations

import threading
from collections import deque
from datetime import datetime, timezone
from dataclasses import dataclass
from typing import Callable

import trio

from orchdsl.runner.executors.calls import WORKERS, call_capturing

# Without a ``concurrency`` limit, at most this many calls run at once (trio.to_thread's own
# default): a phase of 1,000 sleeping calls must not start 1,000 threads.
MAX_LANES = 40


@dataclass(eq=False)
class QuickCall:
    name: str
    function: Callable
    kwargs: dict
    stdout: Output
    stderr: Output
    stops_job: bool  # a failure stops the job: no continue_on_failure
    sink: object = None  # the coordinator's ear on the attempt


@dataclass(frozen=True)
class Started:
    call: QuickCall
    lane: object  # the borrower of the slot of the lane that runs it
    at: object  # datetime, from the engine's clock


@dataclass(frozen=True)
class Posted:
    """Something a call's thread hands to the trio thread in order with the other events
    (a line it printed, for ``--stream``)."""

    deliver: Callable[[], None]


@dataclass(frozen=True)
class Ended:
    call: QuickCall
    at: object
    outcome: Outcome


@dataclass(frozen=True)
class Idle:
    lane: object  # the borrower of the lane's slot


class Lanes:
    def __init__(self, wake: Callable[[], None], now: Callable[[], object]):
        """``wake()`` is called in the trio thread when there are events to take;
        ``now()`` in the lanes."""
        self._wake = wake
        self._now = now
        self._token = trio.lowlevel.current_trio_token()
        self._lock = threading.Lock()
        self._queue: deque[QuickCall] = deque()
        self._events: list = []
        self._wakeup_pending = False
        self._alive = 0  # lanes started and not yet idle
        self._stopping = False

    # -- the trio thread ------------------------------------------------------------------------

    def add(self, call: QuickCall) -> None:
        with self._lock:
            self._queue.append(call)

    def wants_lane(self, most: float) -> bool:
        """Whether to start another lane: calls are queued and fewer than ``most`` lanes run
        (a lane that finds the queue empty goes idle at once and gives its slot back)."""
        with self._lock:
            return (not self._stopping and bool(self._queue)
                    and self._alive < min(most, MAX_LANES))

    def start_lane(self, lane: object) -> None:
        """A new lane, holding the slot borrowed as ``lane``; it reports ``Idle(lane)`` when
        it has nothing left to do."""
        with self._lock:
            self._alive += 1
        WORKERS.submit(self._work, lane)

    def take_events(self) -> list:
        with self._lock:
            events, self._events = self._events, []
            self._wakeup_pending = False
        return events

    def stop(self) -> list[QuickCall]:
        """No more calls start; the ones still queued are returned."""
        with self._lock:
            self._stopping = True
            left = list(self._queue)
            self._queue.clear()
        return left

    def remove(self, call: QuickCall) -> bool:
        """Take back one queued call; False when a lane took it already."""
        with self._lock:
            try:
                self._queue.remove(call)
            except ValueError:
                return False
        return True

    def resume(self) -> None:
        """Calls start again (a phase that runs after a failure: ``when failed()``)."""
        with self._lock:
            self._stopping = False

    # -- the lanes ------------------------------------------------------------------------------

    def _work(self, lane: object) -> None:
        counted_out = False
        try:
            while True:
                with self._lock:
                    call = self._queue.popleft() if self._queue and not self._stopping else None
                    if call is None:  # deciding to stop and saying so, at once
                        self._alive -= 1
                        counted_out = True
                if call is None:
                    return
                self.post(Started(call, lane, self._time()))
                outcome = call_capturing(call.function, call.kwargs, call.stdout, call.stderr)
                if not outcome.succeeded and call.stops_job:
                    with self._lock:
                        self._stopping = True
                self.post(Ended(call, self._time(), outcome))
        finally:
            # Always, even after a bug here: the engine waits for every lane to go idle.
            if not counted_out:
                with self._lock:
                    self._alive -= 1
            self.post(Idle(lane))

    def _time(self):
        try:
            return self._now()
        except Exception:  # noqa: BLE001 - an injected clock must not stop a lane
            return datetime.now(timezone.utc)

    def post(self, event) -> None:
        """An event for the engine, from any thread (the engine's line sinks post too)."""
        with self._lock:
            self._events.append(event)
            if self._wakeup_pending:
                return
            self._wakeup_pending = True
        try:
            self._token.run_sync_soon(self._wake)
        except trio.RunFinishedError:
            pass  # a call abandoned by a job that is over: nobody listens any more
