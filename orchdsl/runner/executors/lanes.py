"""Lanes: the local executor's commands and plain calls run back to back in worker threads.

A trio task and a thread hop per attempt cost ~100 us, and even one ``run_sync_soon`` round
trip per attempt left worker threads idle most of the time (bench_run W1, W3). A lane is a
worker thread that holds one ``concurrency`` slot and takes queued works (``LaneWork``: a
command it spawns and watches, a function it calls) one after another, in the order they were
queued, with no trip through trio between them; it reports what happened (a work started, a
work ended, the lane is idle) as events, and one ``run_sync_soon`` wakes the engine for every
event gathered since it last took them. The engine does all the bookkeeping in the trio
thread. A lane that finds the queue empty waits ``LINGER_S`` for more before it gives its slot
back: the next phase's works come within that, after the barrier, and a lane that stays is
cheaper than a lane that goes and one that comes (bench_run W2).

Stopping: a work that fails without ``continue_on_failure`` stops the lanes from taking more
at once (they need not wait for the engine to hear of it); the engine then takes the works
still queued back (``stop``) and records them as not started.
"""

from __future__ import annotations

import threading
from collections import deque
from datetime import datetime, timezone
from typing import Callable

import trio

from orchdsl.runner.executors.base import Outcome, Placement
from orchdsl.runner.executors.calls import WORKERS

# Without a ``concurrency`` limit, at most this many works run at once: a phase of 10,000
# commands must not start 10,000 threads (docs/language.md, "Running").
MAX_LANES = 256
LINGER_S = 0.002
# How late the engine may hear that a work started, or ended while more are queued: it looks
# this often while works run (executors/local.py) instead of being woken for each, a trio
# wake-up per event costing more than a short command's bookkeeping (bench_run W1). The end
# of the last queued work, a failure, an idle lane and a line printed wake it at once.
LATE_S = 0.002


class LaneWork:
    """One attempt a lane runs. ``run(begin)`` runs it in the lane's thread and returns its
    outcome, calling ``begin(pid=None)`` once it started (a command: once spawned, with its
    pid, so that the job store has it before it can matter). ``stop()`` (any thread) asks a
    ``stoppable`` work to end soon; one that is not (a Python function: a thread cannot be
    stopped) is given up on instead."""

    stoppable = False

    def __init__(self, name: str, sink, stops_job: bool, first: bool = False):
        self.name, self.sink, self.stops_job = name, sink, stops_job
        self.first = first  # taken before the works queued already (a retry)
        self.on_cancel: Callable[[LaneWork], None] | None = None  # the executor's

    def run(self, begin: Callable[..., None]) -> Outcome:
        raise NotImplementedError

    def stop(self) -> None:
        pass

    def cancel(self) -> None:
        """As a handle (executors/base.py): the executor takes it back, stops it or gives
        up on it."""
        if self.on_cancel is not None:
            self.on_cancel(self)


# The events: plain slotted classes, made a few times per attempt (a frozen dataclass's
# __init__ costs several times more: bench_run W3).


class Started:
    __slots__ = ("work", "lane", "placement")

    def __init__(self, work: LaneWork, lane: object, placement: Placement):
        self.work = work
        self.lane = lane  # the borrower of the slot of the lane that runs it
        self.placement = placement  # its ``at`` from the engine's clock


class Posted:
    """Something a work's thread hands to the trio thread in order with the other events
    (a line it printed, for ``--stream``; a log to drain now)."""

    __slots__ = ("deliver",)

    def __init__(self, deliver: Callable[[], None]):
        self.deliver = deliver


class Ended:
    __slots__ = ("work", "at", "outcome")

    def __init__(self, work: LaneWork, at, outcome: Outcome):
        self.work, self.at, self.outcome = work, at, outcome


class Idle:
    __slots__ = ("lane",)

    def __init__(self, lane: object):
        self.lane = lane  # the borrower of the lane's slot


class Lanes:
    """The queue and the events are deques, whose appends and pops are atomic: a lane takes
    a work and reports it without a lock, and without giving the GIL up for one (every lock
    a lane waits for hands the GIL to another thread, and taking it back costs up to the
    interpreter's switch interval: bench_run W3). The lock guards the slow paths only: a
    lane that lingers, stops or goes, and the count of lanes."""

    def __init__(self, wake: Callable[[], None], now: Callable[[], object], host: str):
        """``wake()`` is called in the trio thread when there are events to take;
        ``now()`` in the lanes; ``host``: where the works run."""
        self._wake = wake
        self._now = now
        self._host = host
        self._token = trio.lowlevel.current_trio_token()
        self._lock = threading.Lock()
        self._more = threading.Condition(self._lock)  # a lingering lane waits on it
        self._queue: deque[LaneWork] = deque()
        self._events: deque = deque()
        self._wakeup_pending = False
        self._alive = 0  # lanes started and not yet idle
        self._waiting = 0  # of them, lingering for more work
        # What each live lane runs (None: it is starting, lingering or between works); written
        # by the lane itself, keys added and removed under the lock.
        self._current: dict[object, LaneWork | None] = {}
        self._stopping = False
        # Works still queued when the job stopped that a free lane was there for: they count as
        # started (docs/language.md, "After a failure": only tasks waiting for a slot stay).
        self._reserved = 0
        self._closed = False

    # -- the trio thread ------------------------------------------------------------------------

    def add(self, work: LaneWork) -> None:
        if work.first:
            self._queue.appendleft(work)
        else:
            self._queue.append(work)
        if self._waiting:  # a lane that lingers and misses this wakes within LINGER_S
            with self._lock:
                self._more.notify()

    def wants_lane(self, most: float) -> bool:
        """Whether to start another lane: more works are queued than lanes linger for them,
        and fewer than ``most`` lanes run."""
        return (not self._stopping and len(self._queue) > self._waiting
                and self._alive < min(most, MAX_LANES))

    def start_lane(self, lane: object) -> None:
        """A new lane, holding the slot borrowed as ``lane``; it reports ``Idle(lane)`` when
        it has nothing left to do (a lane going while a work was queued: the engine then
        staffs again)."""
        with self._lock:
            self._alive += 1
            self._current[lane] = None
        WORKERS.submit(self._work, lane)

    def take_events(self) -> list:
        self._wakeup_pending = False  # before taking: an event after it wakes the engine
        events, take = [], self._events.popleft
        try:
            while True:
                events.append(take())
        except IndexError:
            return events

    def stop(self) -> list[LaneWork]:
        """No more works start; the ones still queued are returned (each either here or
        taken by a lane a moment before: never both)."""
        with self._lock:
            self._begin_stop()
            self._more.notify_all()
            kept = self._reserved
        left, take = [], self._queue.pop
        try:
            while len(self._queue) > kept:
                left.append(take())
        except IndexError:
            pass
        return left[::-1]

    def _begin_stop(self) -> None:
        """Under the lock: no more works start, but those a free lane was there for."""
        if not self._stopping:
            self._stopping = True
            free = sum(1 for work in self._current.values() if work is None)
            self._reserved = min(len(self._queue), free)

    def close(self) -> None:
        """The job is over: lingering lanes go at once."""
        with self._lock:
            self._closed = True
            self._more.notify_all()

    def remove(self, work: LaneWork) -> bool:
        """Take back one queued work; False when a lane took it already."""
        try:
            self._queue.remove(work)
        except ValueError:
            return False
        return True

    def resume(self) -> None:
        """Works start again (a phase that runs after a failure: ``when failed()``)."""
        if self._stopping:  # read without the lock: only the trio thread clears it
            with self._lock:
                self._stopping = False
                self._reserved = 0

    # -- the lanes ------------------------------------------------------------------------------

    def _next(self, lane: object) -> LaneWork | None:
        """The next work, waiting LINGER_S for one; None: the lane goes (counted out)."""
        if not self._stopping:
            try:
                return self._queue.popleft()
            except IndexError:
                pass
        with self._lock:
            if not self._stopping and not self._closed and not self._queue:
                self._waiting += 1
                try:
                    self._more.wait(LINGER_S)
                finally:
                    self._waiting -= 1
            if not self._stopping or self._reserved > 0:
                try:
                    work = self._queue.popleft()
                except IndexError:
                    pass
                else:
                    if self._stopping:
                        self._reserved -= 1
                    return work
            self._alive -= 1  # deciding to go and saying so, at once
            del self._current[lane]
            return None

    def _work(self, lane: object) -> None:
        counted_out = False
        work = None
        try:
            while True:
                work = self._next(lane)
                if work is None:
                    counted_out = True
                    return
                self._current[lane] = work
                outcome = self._run(work, lane)
                failed = not outcome.succeeded
                if failed and work.stops_job:
                    with self._lock:  # this lane is busy still: it keeps no work back
                        self._begin_stop()
                self._current[lane] = None
                ended, work = work, None
                self.post(Ended(ended, self._time(), outcome),
                          urgent=failed or self._stopping or not self._queue)
        finally:
            # Always, even after a bug here: the engine waits for every work to end and every
            # lane to go idle.
            if work is not None:
                self._events.append(Ended(work, self._time(), Outcome(
                    None, "internal error: the lane running it stopped")))
            if not counted_out:
                with self._lock:
                    self._alive -= 1
                    self._current.pop(lane, None)
            self.post(Idle(lane))

    def _run(self, work: LaneWork, lane: object) -> Outcome:
        begun = []

        def begin(pid: int | None = None) -> None:
            begun.append(True)
            self.post(Started(work, lane, Placement(pid, self._host, None, self._time())),
                      urgent=False)
        try:
            return work.run(begin)
        except BaseException as exc:  # noqa: BLE001 - a bug here fails the attempt, not the job
            if not begun:
                begin()
            return Outcome(None, f"internal error: {type(exc).__name__}: {exc}")

    def _time(self):
        try:
            return self._now()
        except Exception:  # noqa: BLE001 - an injected clock must not stop a lane
            return datetime.now(timezone.utc)

    def post(self, event, urgent: bool = True) -> None:
        """An event for the engine, from any thread (the engine's line sinks post too); one
        not ``urgent`` is taken at the engine's next look (LATE_S at most)."""
        self._events.append(event)
        if self._wakeup_pending or not urgent:  # taken with those before it, or soon
            return
        self._wakeup_pending = True
        try:
            self._token.run_sync_soon(self._wake)
        except trio.RunFinishedError:
            pass  # a work abandoned by a job that is over: nobody listens any more
