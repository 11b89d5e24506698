"""The engine's quick path: plain sync ``call`` tasks (no ``async``, ``timeout`` or
``retries``) handed to lanes (runner/lanes.py) instead of a trio task each.

The engine's side of it, kept apart for size: an ``Engine`` is a ``QuickPath``. What the lanes
do comes back as events (a call started, printed a line, ended; a lane went idle) that one trio
task, ``_listen``, takes and records in order, so an observer always hears a task start before
its output and its end. That task also keeps the job's nursery open while any call is with the
lanes or any lane still holds a slot; a lane running a call the job gave up on (fail_fast, a
cancel) gives its slot back at once, so a function that never returns cannot hold the job.
"""

from __future__ import annotations

import inspect

import trio

from orchdsl.lang import ast
from orchdsl.runner.calls import install_router, prepare_call
from orchdsl.runner.capture import OutputBuffer
from orchdsl.runner.lanes import Ended, Idle, Lanes, Line, QuickCall, Started
from orchdsl.model import Attempt, TaskState


class QuickPath:
    def _init_quick_path(self) -> None:
        self._lanes: Lanes | None = None
        self._handed: dict[str, QuickCall] = {}  # with the lanes, not yet over
        self._quick: dict[str, QuickCall] = {}  # started, running
        self._lane_of: dict[str, object] = {}  # running call -> the lane running it
        self._lane_slots: set[object] = set()  # the borrowers of the slots lanes hold
        self._listening = False  # _listen is running
        self._wakeup = trio.Event()  # the lanes have news, or it may be time to stop

    def _quick_call(self, name: str) -> tuple | None:
        """(function, kwargs) of a sync ``call`` without timeout or retries; None for any
        other task, or a target that does not load (the slow path reports why)."""
        task = self.tasks[name]
        action = self.graph.nodes[name]["node"].action
        if not isinstance(action, ast.Call) or task.timeout_s is not None or task.retries:
            return None
        try:
            function, kwargs = prepare_call(action.target.value, self.folder, self.params)
        except Exception:  # noqa: BLE001 - reported by the slow path, with the traceback
            return None
        return None if inspect.iscoroutinefunction(function) else (function, kwargs)

    def _hand_to_lanes(self, name: str, function, kwargs: dict) -> None:
        if self._lanes is None:
            install_router()
            self._lanes = Lanes(lambda: self._wakeup.set(), self.options.now)
        call = QuickCall(name, function, kwargs,
                         OutputBuffer(self.masker, self._lane_line_sink(name, "stdout")),
                         OutputBuffer(self.masker, self._lane_line_sink(name, "stderr")),
                         stops_job=not self.tasks[name].continue_on_failure)
        self._handed[name] = call
        self._lanes.add(call)
        self._hold_open()

    def _lane_line_sink(self, name: str, stream: str):
        """A line printed in a lane goes through the lanes' events (after the task's start);
        one flushed when the call's output is closed, in the trio thread, is delivered at once
        (before the task's end)."""
        return self._line_sink(name, stream,
                               lambda line: self._lanes.post(Line(name, stream, line)))

    def _staff_lanes(self) -> None:
        """Start lanes while calls wait for one and slots are free."""
        lanes = self._lanes
        while lanes is not None and self._slots.available_tokens >= 1 and \
                lanes.wants_lane(self._slots.total_tokens):
            lane = object()  # the borrower of the lane's slot
            self._slots.acquire_on_behalf_of_nowait(lane)
            self._lane_slots.add(lane)
            lanes.start_lane(lane)
            self._hold_open()

    def _give_lane_slot(self, lane: object) -> None:
        if lane in self._lane_slots:
            self._lane_slots.discard(lane)
            self._slots.release_on_behalf_of(lane)

    # -- hearing the lanes ----------------------------------------------------------------------

    def _hold_open(self) -> None:
        if not self._listening:
            self._listening = True
            self._nursery.start_soon(self._listen)

    def _release_keeper(self) -> None:
        """Wake _listen to see whether it may end (after calls were given up on)."""
        if self._listening and self._may_close():
            self._wakeup.set()

    def _may_close(self) -> bool:
        return not self._handed and not self._lane_slots

    async def _listen(self) -> None:
        """Hear the lanes, in a trio task: a bug in the bookkeeping then fails this job the
        usual way, not trio itself as it would from a run_sync_soon callback."""
        while True:
            await self._wakeup.wait()
            self._wakeup = trio.Event()
            self._lane_events(self._lanes.take_events() if self._lanes else [])
            if self._may_close():
                self._listening = False
                return

    def _lane_events(self, events: list) -> None:
        for event in events:
            if isinstance(event, Started):
                self._quick_call_started(event.call, event.lane, event.at)
            elif isinstance(event, Line):
                self._deliver_line(event.task, event.stream, event.text)
            elif isinstance(event, Ended):
                self._quick_call_ended(event.call, event.at, event.reason)
            else:
                assert isinstance(event, Idle)
                self._give_lane_slot(event.lane)
                self._advance()

    def _quick_call_started(self, call: QuickCall, lane: object, at) -> None:
        if self._handed.get(call.name) is not call:
            return  # given up on already
        result = self.job.tasks[call.name]
        attempt = Attempt(1, at)
        result.state = TaskState.RUNNING
        result.attempts.append(attempt)
        self._quick[call.name] = call
        self._lane_of[call.name] = lane
        self.observer.task_started(self.job, result, attempt)
        if self._stopping and (self.options.fail_fast or self.plan.fail_fast):
            # It started before the lanes heard of the failure: cancelled like its siblings.
            result.reason = f"cancelled by fail_fast: {self._stopping}"
            self._abandon_quick_call(call.name)
            self._advance()

    def _quick_call_ended(self, call: QuickCall, at, reason: str | None) -> None:
        if self._quick.get(call.name) is not call:
            return  # given up on (fail_fast, cancelled): already recorded as cancelled
        result = self.job.tasks[call.name]
        attempt = result.attempts[-1]
        attempt.exit_code, attempt.reason = (0, None) if reason is None else (1, reason)
        attempt.stdout, attempt.stderr = call.stdout.close(), call.stderr.close()
        attempt.finished_at = at
        del self._quick[call.name], self._handed[call.name], self._lane_of[call.name]
        if reason is None:
            result.state = TaskState.SUCCEEDED
        else:
            result.state, result.reason = TaskState.FAILED, reason
        self.observer.task_finished(self.job, result)
        self._task_done(call.name)

    # -- giving up on calls -----------------------------------------------------------------

    def _abandon_quick_call(self, name: str) -> None:
        """Record a running call as cancelled. Its lane runs on (Python cannot stop a thread)
        but gives its slot back now; what it reports later is ignored."""
        call = self._quick.pop(name)
        del self._handed[name]
        self._give_lane_slot(self._lane_of.pop(name))
        attempt = self.job.tasks[name].attempts[-1]
        attempt.stdout, attempt.stderr = call.stdout.close(), call.stderr.close()
        self._mark_cancelled(self.job.tasks[name])
        self._passed[name] = self._succeeded[name] = False
        self._reached.append(name)

    def _take_back_queued_calls(self) -> None:
        """Calls with the lanes that no lane took yet: not started (skipped now when the job
        goes on; left pending, hence skipped as not reached, when it is over)."""
        if self._lanes is None:
            return
        for call in self._lanes.stop():
            del self._handed[call.name]
            if not self._ending():
                self._skip(call.name, f"not started: {self._stopping or self._why_cancelled()}")

    def _wind_up_quick_calls(self) -> None:
        """The job is over (cancelled): no lane takes another call; what the lanes did that
        _listen did not hear (it was cancelled with the job) is recorded; calls a lane took
        whose start is not heard yet count as started; then what still runs is given up on.
        So every call that ran has its attempt."""
        if self._lanes is None or not (self._handed or self._lane_slots):
            return
        queued = self._lanes.stop()
        self._lane_events(self._lanes.take_events())
        for call in queued:  # never started: left pending, so "not reached"
            del self._handed[call.name]
        for name, call in list(self._handed.items()):
            if name not in self._quick:
                self._quick_call_started(call, None, self.options.now())
        for name in list(self._quick):
            self._abandon_quick_call(name)
        for lane in list(self._lane_slots):
            self._give_lane_slot(lane)
