"""The local executor: commands as real process groups on this machine, ``call`` tasks as
Python functions in this process (docs/language.md, "Running").

Commands and plain sync calls without a timeout run in lanes (executors/lanes.py): worker
threads that each hold a concurrency slot and take the queued works back to back, spawning
and watching a command (executors/commands.py) or calling a function (executors/calls.py)
with no trip through trio between them (bench_run W1, W3). Such works are taken before a slot
is free (``takes_queued``); ``staff`` starts lanes while slots are free. What the lanes do
comes back as events that one trio task, ``_listen``, hands to the attempts' sinks in order,
so an observer always hears a task start before its output and its end.

An ``async def`` call (run on trio) or a call with a timeout (a worker thread it may abandon)
runs in a trio task of its own, with a slot the coordinator took.

Cancelling a running command stops it (its lane holds the slot until the group is down); a
running call cannot be stopped, so it is given up on: its lane gives its slot back at once,
and its later report is ignored.
"""

from __future__ import annotations

import inspect
import os
import shutil
import socket
from typing import Mapping

import trio

from orchdsl.process_groups import JOB_TOKEN_VARIABLE
from orchdsl.runner import guard
from orchdsl.runner.executors.base import (CallWork, Executor, Outcome, Placement, ProcessWork,
                                           Sink, Work)
from orchdsl.runner.executors.calls import install_router, prepare_call, run_call
from orchdsl.runner.executors.lane_work import LaneCall, LaneCommand
from orchdsl.runner.executors.lanes import (LATE_S, Ended, Idle, Lanes, LaneWork, Posted,
                                            Started)
from orchdsl.runner.executors.spawn import Environment
from orchdsl.runner.outputs import OUTPUT_VARIABLE, OutputFiles

_OUTPUT = OUTPUT_VARIABLE.encode()


class LocalExecutor(Executor):
    def __init__(self, environ: Mapping[str, str], now):
        self._environment = Environment(environ)  # encoded once per job
        self._executables: dict[tuple[str, bytes], str | None] = {}
        self._now = now
        self._host = socket.gethostname()
        self._outputs = OutputFiles()
        self._leaders: set[int] = set()  # the commands running: ours, not strays
        self._nursery: trio.Nursery | None = None
        self._lanes: Lanes | None = None
        self._slots = None
        self._queued: dict[LaneWork, Work] = {}  # with the lanes, not started yet
        self._running: dict[LaneWork, object] = {}  # started: work -> the lane running it
        self._lane_slots: set[object] = set()  # the borrowers of the slots lanes hold
        self._cancelled: set[LaneWork] = set()  # cancelled after a lane took it
        self._listening = False
        self._wakeup = trio.Event()
        # call target -> (target, the kwargs mapping, (function, kwargs) or None: not plain)
        self._calls: dict[tuple[str, str, str], tuple] = {}

    async def open(self, nursery: trio.Nursery) -> None:
        self._nursery = nursery

    async def aclose(self) -> None:
        if self._lanes is not None:
            self._lanes.close()
        self._wakeup.set()  # _listen sees whether it may end
        self._outputs.close()

    def can_run(self, work: Work) -> bool:
        return isinstance(work.what, (ProcessWork, CallWork))

    # -- which way ------------------------------------------------------------------------

    def takes_queued(self, work: Work) -> bool:
        return isinstance(work.what, ProcessWork) or self._plain(work) is not None

    def _plain(self, work: Work) -> tuple | None:
        """(function, kwargs) of a plain sync call without timeout, for the lanes; None for
        any other, or a target that does not load (the trio-task way reports why, with the
        traceback). Looked up once per target and folder, and the kwargs once per mapping of
        them (most calls share the job's params: bench_run W3)."""
        what = work.what
        if work.timeout_s is not None or not isinstance(what, CallWork):
            return None
        key = (what.module, what.function, what.folder)
        known = self._calls.get(key)
        if known is not None and (known[2] is None or known[1] is what.kwargs):
            return known[2]
        try:
            function, kwargs = prepare_call(f"{what.module}:{what.function}", what.folder,
                                            what.kwargs)
        except Exception:  # noqa: BLE001 - reported by run_call
            plain = None
        else:
            plain = None if inspect.iscoroutinefunction(function) else (function, kwargs)
        self._calls[key] = (key, what.kwargs, plain)
        return plain

    def start(self, work: Work, sink: Sink):
        what = work.what
        if isinstance(what, ProcessWork):
            return self._queue(self._command(work, sink), work, sink)
        plain = self._plain(work)
        if plain is None:
            handle = _TaskHandle()
            self._nursery.start_soon(self._call, work, sink, handle.scope)
            return handle
        install_router()
        return self._queue(LaneCall(work.task, sink, work.stops_job, *plain,
                                    first=work.attempt > 1), work, sink)

    def _command(self, work: Work, sink: Sink) -> LaneCommand:
        what = work.what
        outputs = self._outputs.next_path()
        own = {os.fsencode(k): os.fsencode(v) for k, v in what.env.items()}
        own[_OUTPUT] = os.fsencode(outputs)
        env = self._environment.of(own)
        # Here, in the trio (main) thread: a call run later in a lane stops the children of
        # its thread when it ends, and the guardian must never be one of them.
        guard.start_guardian()
        return LaneCommand(work.task, sink, work.stops_job, argv=what.argv, cwd=what.cwd,
                           env=env, executable=self._executable(what.argv[0], env),
                           timeout=work.timeout_s, grace=work.grace_s,
                           token=what.env.get(JOB_TOKEN_VARIABLE), outputs=outputs,
                           leaders=self._leaders, first=work.attempt > 1)

    def _queue(self, lane_work: LaneWork, work: Work, sink: Sink):
        if self._lanes is None:
            self._lanes = Lanes(self._wake, self._now, self._host)
        sink.hop = self._hop
        self._queued[lane_work] = work
        self._lanes.resume()
        self._lanes.add(lane_work)
        self._hold_open()
        lane_work.on_cancel = self._abandon  # the work is its own handle
        return lane_work

    def _hop(self, deliver) -> None:
        """How a line a lane's work printed reaches the trio thread: in order with the
        lanes' other events."""
        self._lanes.post(Posted(deliver))

    async def _call(self, work: Work, sink: Sink, scope: trio.CancelScope) -> None:
        what = work.what
        outcome = Outcome(None, "cancelled")
        sink.started(Placement(host=self._host))
        with scope:
            outcome = await run_call(f"{what.module}:{what.function}", folder=what.folder,
                                     params=dict(what.kwargs), timeout=work.timeout_s,
                                     stdout=sink.stdout, stderr=sink.stderr)
        sink.finished(outcome)

    def _executable(self, program: str, env) -> str | None:
        """Where ``program`` is on the command's PATH, looked up once per job (Popen would
        join it with every PATH entry for every task). None (Popen looks it up itself) when
        it names a path, or the PATH has relative entries (they depend on the task's cwd)."""
        key = (program, env.get(b"PATH", os.defpath.encode()))
        if key not in self._executables:  # the answer, None included, is kept for the job
            path = os.fsdecode(key[1])
            relative = not all(os.path.isabs(p) for p in path.split(os.pathsep))
            self._executables[key] = None if os.sep in program or relative else \
                shutil.which(program, path=path)
        return self._executables[key]

    # -- the lanes --------------------------------------------------------------------------

    def staff(self, slots) -> None:
        """Start lanes while works wait for one and slots are free."""
        self._slots = slots
        lanes = self._lanes
        while lanes is not None and slots.available >= 1 and lanes.wants_lane(slots.total):
            lane = object()  # the borrower of the lane's slot
            slots.take(lane)
            self._lane_slots.add(lane)
            lanes.start_lane(lane)
            self._hold_open()

    def take_back(self) -> list[Work]:
        """The works no lane took yet: they will not start (the job stops after a failure)."""
        if self._lanes is None:
            return []
        left = [self._queued.pop(work) for work in self._lanes.stop()]
        self._wakeup.set()  # _listen may be done now
        return left

    def _give_lane_slot(self, lane: object) -> None:
        if lane in self._lane_slots:
            self._lane_slots.discard(lane)
            self._slots.give(lane)

    def _abandon(self, work: LaneWork) -> None:
        """Cancel a work: one not started yet is taken back; a running command is stopped
        (it reports its end); a running call is given up on (its lane runs on, Python cannot
        stop a thread, but gives its slot back now)."""
        if work in self._queued:
            if self._lanes.remove(work):
                del self._queued[work]
                work.sink.finished(Outcome(None, "cancelled"))
            else:
                self._cancelled.add(work)  # a lane took it: handled once it says so
                work.stop()  # a command stops now (the lane may tell LATE_S later)
            return
        if work not in self._running:
            return  # over already
        if work.stoppable:
            work.stop()
            return
        self._give_lane_slot(self._running.pop(work))
        work.sink.finished(Outcome(None, "cancelled"))
        self._wakeup.set()

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
        usual way, not trio itself as it would from a run_sync_soon callback. Cancelled (the
        job's nursery fails), it stops the commands still running before it goes."""
        try:
            while True:
                with trio.move_on_after(LATE_S):  # events that did not wake it (lanes.py)
                    await self._wakeup.wait()
                self._wakeup = trio.Event()
                with self.batched():
                    for event in self._lanes.take_events():
                        self._hear(event)
                if self._may_close():
                    self._listening = False
                    return
        except BaseException:
            await self._stop_all()
            raise

    async def _stop_all(self) -> None:
        """Stop every command of the lanes and wait (shielded, bounded by their grace) for
        them to end: no process outlives a job, even one that failed."""
        stopping = {w for w in self._running if w.stoppable}
        for work in [*self._queued, *stopping]:
            work.stop()
        self._lanes.stop()
        self._lanes.close()
        longest = max((w.grace for w in stopping), default=0.0)
        with trio.CancelScope(shield=True), trio.move_on_after(longest + 2.0):
            while stopping:
                await self._wakeup.wait()
                self._wakeup = trio.Event()
                stopping -= {e.work for e in self._lanes.take_events() if isinstance(e, Ended)}

    def _hear(self, event) -> None:
        if isinstance(event, Started):
            work = event.work
            if self._queued.pop(work, None) is not None:  # else given up on already
                self._running[work] = event.lane
                work.sink.started(event.placement)
                if work in self._cancelled:
                    self._cancelled.discard(work)
                    self._abandon(work)
        elif isinstance(event, Posted):
            event.deliver()
        elif isinstance(event, Ended):
            if self._running.pop(event.work, None) is not None:
                event.work.sink.finished(event.outcome, event.at)
        else:
            assert isinstance(event, Idle)
            self._give_lane_slot(event.lane)


class _TaskHandle:
    def __init__(self):
        self.scope = trio.CancelScope()

    def cancel(self) -> None:
        self.scope.cancel()
