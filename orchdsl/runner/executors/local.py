"""The local executor's commands: each attempt a real process group on this machine, watched
by one trio task in the executor's nursery (orchdsl.runner.executors.processes does the work).
"""

from __future__ import annotations

import os
import shutil
import socket
from typing import Mapping

import trio

from orchdsl.runner.executors.base import (Executor, Outcome, Placement, ProcessWork, Sink,
                                           Work)
from orchdsl.process_groups import JOB_TOKEN_VARIABLE
from orchdsl.runner import guard
from orchdsl.runner.executors.processes import run_process
from orchdsl.runner.outputs import OUTPUT_VARIABLE, OutputError, OutputFiles, read_outputs


class ProcessExecutor(Executor):
    def __init__(self, environ: Mapping[str, str]):
        # The runner's environment, encoded once per job: Popen would encode every variable
        # of it for every task (bench_run W1).
        self._base = {os.fsencode(k): os.fsencode(v) for k, v in environ.items()}
        self._executables: dict[tuple[str, bytes], str | None] = {}
        self._host = socket.gethostname()
        self._nursery: trio.Nursery | None = None
        self._outputs = OutputFiles()
        self._leaders: set[int] = set()  # the commands running: ours, not strays

    async def open(self, nursery: trio.Nursery) -> None:
        self._nursery = nursery

    async def aclose(self) -> None:
        self._outputs.close()

    def can_run(self, work: Work) -> bool:
        return isinstance(work.what, ProcessWork)

    def start(self, work: Work, sink: Sink) -> "_Handle":
        handle = _Handle()
        self._nursery.start_soon(self._attempt, work, sink, handle.scope)
        return handle

    async def _attempt(self, work: Work, sink: Sink, scope: trio.CancelScope) -> None:
        what = work.what
        outputs = self._outputs.next_path()
        env = {**self._base, **{os.fsencode(k): os.fsencode(v) for k, v in what.env.items()},
               OUTPUT_VARIABLE.encode(): os.fsencode(outputs)}
        outcome = Outcome(None, "cancelled")
        if scope.cancel_called:  # cancelled before it started: nothing to spawn
            sink.finished(outcome)
            return
        guard.start_guardian()
        started: list[int] = []

        def on_start(pid: int) -> None:
            started.append(pid)
            self._leaders.add(pid)
            sink.started(Placement(pid=pid, host=self._host))

        try:
            with scope:
                outcome = await run_process(
                    list(what.argv), cwd=what.cwd, env=env, timeout=work.timeout_s,
                    grace=work.grace_s, stdout=sink.stdout, stderr=sink.stderr,
                    on_start=on_start, executable=self._executable(what.argv[0], env))
        finally:
            self._leaders.difference_update(started)
            token = what.env.get(JOB_TOKEN_VARIABLE)
            if token:
                with trio.CancelScope(shield=True):
                    await self._sweep(token, work.grace_s)
        sink.finished(_with_outputs(outcome, outputs))

    async def _sweep(self, token: str, grace: float) -> None:
        """Stop what left the attempt's process group and outlived it (runner/guard.py):
        SIGTERM, then SIGKILL after ``grace``; again for what that orphans in turn."""
        import signal

        for _ in range(3):
            strays = guard.escaped(token, self._leaders)
            if not strays:
                return
            guard.stop_now(strays, signal.SIGTERM)
            with trio.move_on_after(grace):
                while any(guard.alive(p) for p in strays):
                    await trio.sleep(0.02)
            guard.stop_now([p for p in strays if guard.alive(p)], signal.SIGKILL)
            await trio.sleep(0.01)
            guard.reap(strays)

    def _executable(self, program: str, env: dict[bytes, bytes]) -> str | None:
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


def _with_outputs(outcome: Outcome, path: str) -> Outcome:
    """The outcome with what the attempt wrote to its outputs file (only a success has
    outputs; a malformed file fails the attempt)."""
    from dataclasses import replace

    try:
        outputs = read_outputs(path)
    except OutputError as exc:
        return replace(outcome, reason=str(exc)) if outcome.succeeded else outcome
    return replace(outcome, outputs=outputs) if outcome.succeeded and outputs else outcome


class _Handle:
    def __init__(self):
        self.scope = trio.CancelScope()

    def cancel(self) -> None:
        self.scope.cancel()
