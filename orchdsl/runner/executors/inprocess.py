"""The local executor's ``call`` tasks: Python functions run in this process.

Two ways, by what the function is:
- A plain sync function without a timeout goes to the lanes (executors/lanes.py): worker
  threads that each hold a concurrency slot and run queued calls back to back, with no trip
  through trio between them (bench_run W3: 10,000 small calls). Such works are taken before
  a slot is free (``takes_queued``); ``staff`` starts lanes while slots are free. What the
  lanes do comes back as events that one trio task, ``_listen``, hands to the attempts'
  sinks in order, so an observer always hears a task start before its output and its end.
- An ``async def`` (run on trio) or a call with a timeout (a worker thread it may abandon)
  runs in a trio task of its own, with a slot the coordinator took.

A lane running a call the job gave up on (fail_fast, a cancel) gives its slot back at once,
so a function that never returns cannot hold the job; its later report is ignored.
"""

from __future__ import annotations

import inspect
import socket

import trio

from orchdsl.runner.executors.base import (CallWork, Executor, Outcome, Placement, Sink,
                                           Work)
from orchdsl.runner.executors.calls import install_router, prepare_call, run_call
from orchdsl.runner.executors.lanes import Ended, Idle, Lanes, Posted, QuickCall, Started


class InProcessExecutor(Executor):
    def __init__(self, now):
        self._now = now
        self._host = socket.gethostname()
        self._nursery: trio.Nursery | None = None
        self._lanes: Lanes | None = None
        self._slots = None
        self._queued: dict[QuickCall, Work] = {}  # with the lanes, not started yet
        self._running: dict[QuickCall, object] = {}  # started: call -> the lane running it
        self._lane_slots: set[object] = set()  # the borrowers of the slots lanes hold
        self._cancelled: set[QuickCall] = set()  # cancelled after a lane took it
        self._listening = False
        self._wakeup = trio.Event()

    async def open(self, nursery: trio.Nursery) -> None:
        self._nursery = nursery

    def can_run(self, work: Work) -> bool:
        return isinstance(work.what, CallWork)

    # -- which way ------------------------------------------------------------------------

    def takes_queued(self, work: Work) -> bool:
        return self._quick(work) is not None

    def _quick(self, work: Work) -> tuple | None:
        """(function, kwargs) of a plain sync call without timeout; None for any other, or a
        target that does not load (the trio-task way reports why, with the traceback)."""
        what = work.what
        if work.timeout_s is not None:
            return None
        try:
            function, kwargs = prepare_call(f"{what.module}:{what.function}", what.folder,
                                            dict(what.kwargs))
        except Exception:  # noqa: BLE001 - reported by run_call
            return None
        return None if inspect.iscoroutinefunction(function) else (function, kwargs)

    def start(self, work: Work, sink: Sink):
        quick = self._quick(work)
        if quick is None:
            handle = _TaskHandle()
            self._nursery.start_soon(self._call, work, sink, handle.scope)
            return handle
        if self._lanes is None:
            install_router()
            self._lanes = Lanes(self._wake, self._now)
        call = QuickCall(work.task, *quick, sink.stdout, sink.stderr,
                         stops_job=work.stops_job, sink=sink)
        sink.hop = lambda deliver: self._lanes.post(Posted(deliver))
        self._queued[call] = work
        self._lanes.resume()
        self._lanes.add(call)
        self._hold_open()
        return _LaneHandle(self, call)

    async def _call(self, work: Work, sink: Sink, scope: trio.CancelScope) -> None:
        what = work.what
        outcome = Outcome(None, "cancelled")
        sink.started(Placement(host=self._host))
        with scope:
            outcome = await run_call(f"{what.module}:{what.function}", folder=what.folder,
                                     params=dict(what.kwargs), timeout=work.timeout_s,
                                     stdout=sink.stdout, stderr=sink.stderr)
        sink.finished(outcome)

    # -- the lanes --------------------------------------------------------------------------

    def staff(self, slots) -> None:
        """Start lanes while calls wait for one and slots are free."""
        self._slots = slots
        lanes = self._lanes
        while lanes is not None and slots.available >= 1 and lanes.wants_lane(slots.total):
            lane = object()  # the borrower of the lane's slot
            slots.take(lane)
            self._lane_slots.add(lane)
            lanes.start_lane(lane)
            self._hold_open()

    def take_back(self) -> list[Work]:
        """The calls no lane took yet: they will not start (the job stops after a failure)."""
        if self._lanes is None:
            return []
        left = [self._queued.pop(call) for call in self._lanes.stop()]
        self._wakeup.set()  # _listen may be done now
        return left

    def _give_lane_slot(self, lane: object) -> None:
        if lane in self._lane_slots:
            self._lane_slots.discard(lane)
            self._slots.give(lane)

    def _abandon(self, call: QuickCall) -> None:
        """Cancel a call: one not started yet is taken back; a running one is given up on
        (its lane runs on, Python cannot stop a thread, but gives its slot back now)."""
        if call in self._queued:
            if self._lanes.remove(call):
                del self._queued[call]
                call.sink.finished(Outcome(None, "cancelled"))
            else:
                self._cancelled.add(call)  # a lane took it: given up on once it says so
            return
        lane = self._running.pop(call, None)
        if lane is None:
            return  # over already
        self._give_lane_slot(lane)
        call.sink.finished(Outcome(None, "cancelled"))
        self._wakeup.set()

    async def aclose(self) -> None:
        self._wakeup.set()  # _listen sees whether it may end

    def _hold_open(self) -> None:
        if not self._listening:
            self._listening = True
            self._nursery.start_soon(self._listen)

    def _wake(self) -> None:
        self._wakeup.set()

    def _may_close(self) -> bool:
        return not self._queued and not self._running and not self._lane_slots

    async def _listen(self) -> None:
        """Hear the lanes, in a trio task: a bug in the bookkeeping then fails this job the
        usual way, not trio itself as it would from a run_sync_soon callback."""
        while True:
            await self._wakeup.wait()
            self._wakeup = trio.Event()
            for event in self._lanes.take_events():
                self._hear(event)
            if self._may_close():
                self._listening = False
                return

    def _hear(self, event) -> None:
        if isinstance(event, Started):
            work = self._queued.pop(event.call, None)
            if work is not None:  # else given up on already
                self._running[event.call] = event.lane
                event.call.sink.started(Placement(host=self._host, at=event.at))
                if event.call in self._cancelled:
                    self._cancelled.discard(event.call)
                    self._abandon(event.call)
        elif isinstance(event, Posted):
            event.deliver()
        elif isinstance(event, Ended):
            if self._running.pop(event.call, None) is not None:
                event.call.sink.finished(_at(event.outcome, event.at))
        else:
            assert isinstance(event, Idle)
            self._give_lane_slot(event.lane)


def _at(outcome: Outcome, at) -> Outcome:
    from dataclasses import replace

    return replace(outcome, at=at)


class _TaskHandle:
    def __init__(self):
        self.scope = trio.CancelScope()

    def cancel(self) -> None:
        self.scope.cancel()


class _LaneHandle:
    def __init__(self, executor: InProcessExecutor, call: QuickCall):
        self._executor, self._call = executor, call

    def cancel(self) -> None:
        self._executor._abandon(self._call)
