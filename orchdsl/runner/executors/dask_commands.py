"""A ``run`` task on a Dask worker (dask_worker.run_attempt): the command in a process group
of its own (``start_new_session``), watched by one thread with one selector: its two pipes,
its exit (a pidfd), the stop switch and the deadlines. On its timeout or a stop the group gets
SIGTERM, then SIGKILL after the grace, while its output is still read; what the command left
in its group when it ended is stopped the same way (docs/language.md, "Timeouts, signals,
processes"). Only the standard library and orchdsl's trio-free helpers here.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import selectors
import shutil
import signal
import subprocess
import tempfile
import time

from orchdsl.durations import written
from orchdsl.process_groups import signal_group
# The same steps and wording as the local executor's (docs/cluster.md).
from orchdsl.runner.executors.commands import os_reason, stop_leftovers
from orchdsl.runner.executors.dask_orphans import OWNER_VARIABLE, owner
from orchdsl.runner.outputs import OUTPUT_VARIABLE, OutputError, read_outputs

FLUSH_S = 0.05  # output reaches the coordinator at most this late
GIVEN_UP_S = 0.5  # how often a running attempt asks whether Dask gave it up
READ_SIZE = 65536


def outcome(code: int | None, reason: str | None, outputs=None) -> dict:
    """An attempt's outcome as it travels back (runner.executors.base.Outcome's fields)."""
    return {"code": code, "reason": reason, "outputs": outputs or {}, "at": time.time()}


def run_command(spec, events, stop) -> dict:
    outputs = os.path.join(_outputs_folder(), hashlib.sha1(spec.key.encode()).hexdigest())
    env = {**os.environ, **spec.env, OUTPUT_VARIABLE: outputs, OWNER_VARIABLE: owner()}
    try:
        popen = subprocess.Popen(list(spec.argv), cwd=spec.cwd, env=env,
                                 stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, start_new_session=True)
    except OSError as exc:
        return outcome(None, f"cannot start {spec.argv[0]}: {os_reason(exc, spec.cwd)}")
    reason = _Watch(popen, spec, events, stop).run()
    code = popen.returncode
    if reason is None and code is not None and code < 0:
        reason = f"killed by {signal.Signals(-code).name}"
    try:
        published = read_outputs(outputs)
    except OutputError as exc:
        return outcome(code, reason or (str(exc) if code == 0 else None))
    return outcome(code, reason, published if code == 0 and reason is None else None)


class _Watch:
    """One thread watches the command: its two pipes, its exit (a pidfd), the stop switch and
    the deadlines, with one selector; output is read while the group is being stopped."""

    def __init__(self, popen: subprocess.Popen, spec, events, stop):
        self.popen, self.spec, self.events, self.stop = popen, spec, events, stop
        self.selector = selectors.DefaultSelector()
        self.open = 0
        for pipe, stream in ((popen.stdout, "o"), (popen.stderr, "e")):
            self.selector.register(pipe, selectors.EVENT_READ, stream)
            self.open += 1
        self.pidfd = _pidfd(popen.pid)
        if self.pidfd is not None:
            self.selector.register(self.pidfd, selectors.EVENT_READ, "exit")
        self.selector.register(stop, selectors.EVENT_READ, "stop")
        started = time.monotonic()
        self.deadline = started + spec.timeout_s if spec.timeout_s is not None else None
        self.kill_at: float | None = None  # SIGTERM sent: SIGKILL then
        self.ask_at = started + GIVEN_UP_S  # whether Dask gave it up (stop.given_up)
        self.reason: str | None = None

    def run(self) -> str | None:
        try:
            while self.popen.returncode is None:
                self._step()
            stop_leftovers(self.popen.pid, self.spec.grace_s)
            drain_until = time.monotonic() + 1.0  # a process that left the group may hold them
            while self.open and time.monotonic() < drain_until:
                self._read_ready(min(drain_until - time.monotonic(), FLUSH_S))
        finally:
            self._close()
        return self.reason

    def _step(self) -> None:
        now = time.monotonic()
        if self.kill_at is None and self.deadline is not None and now >= self.deadline:
            self._terminate(f"timed out after {written(self.spec.timeout_s)}")
        if self.kill_at is None and now >= self.ask_at:
            self.ask_at = now + GIVEN_UP_S
            if self.stop.given_up():
                self._terminate("cancelled: the Dask scheduler gave it up")
        if self.kill_at is not None and now >= self.kill_at:
            signal_group(self.popen.pid, signal.SIGKILL)
            self.kill_at = float("inf")
        self._read_ready(self._wait(now))
        self.popen.poll()

    def _wait(self, now: float) -> float | None:
        """How long the selector may sleep: until the next deadline, the next flush of the
        held output, or a short poll where there is no pidfd."""
        waits = []
        if self.kill_at is None:
            waits.append(self.ask_at - now)
        if self.kill_at is None and self.deadline is not None:
            waits.append(self.deadline - now)
        elif self.kill_at is not None and self.kill_at != float("inf"):
            waits.append(self.kill_at - now)
        due = self.events.due()
        if due is not None:
            waits.append(due)
        if self.pidfd is None:
            waits.append(0.01)
        return max(0.0, min(waits)) if waits else None

    def _read_ready(self, timeout: float | None) -> None:
        for key, _ in self.selector.select(timeout):
            tag = key.data
            if tag == "stop":
                self.selector.unregister(key.fileobj)
                if self.kill_at is None:
                    self._terminate("cancelled")
            elif tag == "exit":
                self.selector.unregister(key.fileobj)
            else:
                data = os.read(key.fileobj.fileno(), READ_SIZE)
                if data:
                    self.events.add(tag, data)
                else:
                    self.selector.unregister(key.fileobj)
                    self.open -= 1
        if self.events.due() == 0.0:
            self.events.flush()

    def _terminate(self, reason: str) -> None:
        self.reason = reason
        signal_group(self.popen.pid, signal.SIGTERM)
        self.kill_at = time.monotonic() + self.spec.grace_s

    def _close(self) -> None:
        self.selector.close()
        if self.pidfd is not None:
            os.close(self.pidfd)
        for pipe in (self.popen.stdout, self.popen.stderr):
            pipe.close()
        self.popen.wait()


def _pidfd(pid: int) -> int | None:
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None


_folder: list[str] = []


def _outputs_folder() -> str:
    """This worker process's folder for ``$ORCHDSL_OUTPUT`` files, owner-only (outputs may
    hold secrets), removed when the worker ends."""
    if not _folder:
        _folder.append(tempfile.mkdtemp(prefix="orchdsl-outputs-"))
        atexit.register(shutil.rmtree, _folder[0], True)
    return _folder[0]
