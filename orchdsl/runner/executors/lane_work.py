"""What a lane runs (executors/lanes.py): a command, spawned and watched in the lane's thread
(executors/commands.py), or a plain Python function called there (executors/calls.py)."""

from __future__ import annotations

from dataclasses import replace
from typing import Callable, Mapping

from orchdsl.runner import guard
from orchdsl.runner.executors import commands
from orchdsl.runner.executors.base import Outcome
from orchdsl.runner.executors.calls import call_capturing
from orchdsl.runner.executors.lanes import LaneWork
from orchdsl.runner.outputs import OutputError, read_outputs


class LaneCall(LaneWork):
    """A plain sync function without a timeout; given up on when cancelled (its lane runs on,
    Python cannot stop a thread)."""

    def __init__(self, name: str, sink, stops_job: bool, function: Callable, kwargs: dict,
                 first: bool = False):
        super().__init__(name, sink, stops_job, first)
        self.function, self.kwargs = function, kwargs

    def run(self, begin) -> Outcome:
        begin()
        return call_capturing(self.function, self.kwargs, self.sink)


class LaneCommand(LaneWork):
    """A command in a process group of its own; ``stop()`` ends it (SIGTERM, then SIGKILL
    after the grace period), and what left its group is swept when it ends (runner/guard.py).
    ``leaders``: the process ids of the job's commands running now (ours, never strays)."""

    stoppable = True

    def __init__(self, name: str, sink, stops_job: bool, *, argv: tuple[str, ...], cwd: str,
                 env: Mapping[bytes, bytes], executable: str | None, timeout: float | None,
                 grace: float, token: str | None, outputs: str, leaders: set[int],
                 first: bool = False):
        super().__init__(name, sink, stops_job, first)
        self.argv, self.cwd, self.env, self.executable = argv, cwd, env, executable
        self.timeout, self.grace, self.token, self.outputs = timeout, grace, token, outputs
        self.leaders = leaders
        self.switch = commands.Stop()

    def stop(self) -> None:
        self.switch.set()

    def run(self, begin) -> Outcome:
        if self.switch.is_set:  # stopped before it started: nothing to spawn
            begin()
            return Outcome(None, commands.CANCELLED)
        try:
            child = commands.spawn(list(self.argv), self.cwd, self.env, self.executable)
        except OSError as exc:
            begin()
            return Outcome(None, f"cannot start {self.argv[0]}: "
                                 f"{commands.os_reason(exc, self.cwd)}")
        self.leaders.add(child.pid)
        try:
            begin(child.pid)
            sink = self.sink  # its buffers are made when the command first prints
            code, reason = commands.watch(
                child, self.switch, timeout=self.timeout, grace=self.grace,
                stdout=lambda data: sink.stdout.write_bytes(data),
                stderr=lambda data: sink.stderr.write_bytes(data))
        finally:
            self.leaders.discard(child.pid)
            if self.token:
                guard.sweep(self.token, self.leaders, self.grace)
        outcome = Outcome(None, reason) if reason == commands.CANCELLED else Outcome(code, reason)
        return _with_outputs(outcome, self.outputs)


def _with_outputs(outcome: Outcome, path: str) -> Outcome:
    """The outcome with what the attempt wrote to its outputs file (only a success has
    outputs; a malformed file fails the attempt)."""
    try:
        outputs = read_outputs(path)
    except OutputError as exc:
        return replace(outcome, reason=str(exc)) if outcome.succeeded else outcome
    return replace(outcome, outputs=outputs) if outcome.succeeded and outputs else outcome
