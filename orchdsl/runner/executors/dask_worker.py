"""The worker side of the Dask executor: what a Dask worker runs for one attempt
(docs/cluster.md). ``run_attempt(spec)`` is the function the coordinator submits; it never
raises, and returns the outcome as a plain dict.

While it runs, it tells the coordinator through the worker's events (``Worker.log_event`` on
the connection's topic; the scheduler passes them on to the subscribed client): ``start``
(host, worker address), chunks of stdout and stderr (``o``, ``e``), held at most ``FLUSH_S``,
and ``end`` (the outcome). The start goes with the first output, or after ``FLUSH_S``, or
with the end: a short task costs one event, not two (bench/bench_dask.py).

The coordinator stops attempts with ``stop_attempts`` (run on every worker through
``Client.run``): a stop that comes before its attempt is kept, so that a worker never starts
an attempt it was told to stop, nor one Dask sent it a second time.

``run`` tasks are dask_commands.py's (the standard library and orchdsl's trio-free helpers
only); ``call`` tasks load the in-process call machinery (and trio) on first use.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import socket
import tempfile
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Mapping

from orchdsl.runner.executors.dask_commands import FLUSH_S, GIVEN_UP_S, outcome, run_command
from orchdsl.runner.executors.dask_orphans import reap_once

FLUSH_BYTES = 32 * 1024
REMEMBERED = 10_000  # keys of attempts that ran here, kept to answer stop_attempts
STOP_KEPT_S = 3600.0  # how long a stop for an attempt that never came is kept


@dataclass(frozen=True)
class AttemptSpec:
    """One attempt, as the coordinator sends it. Its repr names the key only: Dask writes a
    task's arguments into its logs when it cannot run it, and ``env`` holds secrets."""

    key: str
    topic: str
    timeout_s: float | None
    grace_s: float
    argv: tuple[str, ...] = ()
    cwd: str = ""
    env: Mapping[str, str] = field(default_factory=dict, repr=False)
    target: str = ""  # a call's module:function
    folder: str = ""
    kwargs: Mapping[str, str] = field(default_factory=dict, repr=False)
    files: Mapping[str, bytes] | None = field(default=None, repr=False)  # the folder's modules

    @property
    def is_call(self) -> bool:
        return bool(self.target)


class _Registry:
    """The attempts of this worker process: running, ended lately, stopped before they came."""

    def __init__(self):
        self.lock = threading.Lock()
        self.running: dict[str, "_Stop"] = {}
        self.ended: OrderedDict[str, None] = OrderedDict()
        self.stopped: dict[str, float] = {}

    def begin(self, key: str) -> "_Stop | None":
        """The attempt's stop switch, or None when it was stopped already."""
        with self.lock:
            if key in self.stopped or key in self.running or key in self.ended:
                return None
            stop = self.running[key] = _Stop()
            return stop

    def end(self, key: str) -> None:
        with self.lock:
            self.running.pop(key).close()
            self.ended[key] = None
            while len(self.ended) > REMEMBERED:
                self.ended.popitem(last=False)

    def stop(self, keys) -> list[str]:
        """Stop these attempts; the keys that are running here or ran here."""
        seen = []
        now = time.monotonic()
        with self.lock:
            for key in keys:
                if key in self.running:
                    self.running[key].set()
                    seen.append(key)
                elif key in self.ended:
                    seen.append(key)
                else:
                    self.stopped[key] = now
            for key in [k for k, at in self.stopped.items() if now - at > STOP_KEPT_S]:
                del self.stopped[key]
        return seen


class _Stop:
    """Set once; a pipe as well, so that a selector (or trio) wakes up on it. ``given_up()``
    says whether Dask gave the attempt up while it runs: the coordinator that submitted it is
    gone (killed, its machine lost), so nobody will ever stop it but this worker."""

    def __init__(self):
        self._read, self._write = os.pipe2(os.O_CLOEXEC | os.O_NONBLOCK)
        self.is_set = False
        self.given_up = lambda: False

    def fileno(self) -> int:
        return self._read

    def set(self) -> None:
        if not self.is_set:
            self.is_set = True
            os.write(self._write, b"x")

    def close(self) -> None:
        os.close(self._read)
        os.close(self._write)


_REGISTRY = _Registry()
_HOST = socket.gethostname()


def stop_attempts(keys: list[str]) -> list[str]:
    """Run by the coordinator on every worker (``Client.run``): stop these attempts, or keep
    them from starting here; returns the keys this worker runs or ran."""
    return _REGISTRY.stop(keys)


# -- the attempt -----------------------------------------------------------------------------


def run_attempt(spec: AttemptSpec) -> dict:
    from distributed import get_worker

    worker = get_worker()
    events = _Events(worker, spec.topic, spec.key)
    stop = _REGISTRY.begin(spec.key)
    if stop is None:  # stopped before it came, or Dask sent it again: never run twice
        return events.end(outcome(None, "cancelled"))
    stop.given_up = lambda: _given_up(worker, spec.key)
    try:
        reap_once()
        events.begin([_HOST, worker.address, time.time()])
        try:
            ended = _call(spec, events, stop) if spec.is_call else run_command(spec, events, stop)
        except Exception as exc:  # noqa: BLE001 - a bug here still ends the attempt
            ended = outcome(None, f"internal error on the worker: {type(exc).__name__}: {exc}")
    finally:
        _REGISTRY.end(spec.key)
    return events.end(ended)


class _Events:
    """What goes to the coordinator: the start, output chunks batched (from any thread),
    then the end."""

    def __init__(self, worker, topic: str, key: str):
        self._worker, self._topic, self._key = worker, topic, key
        self._lock = threading.Lock()
        self._pending: dict[str, object] = {}
        self._since: float | None = None

    def send(self, message: dict) -> None:
        message["k"] = self._key
        self._worker.log_event(self._topic, message)

    def begin(self, start: list) -> None:
        self._pending["start"] = start
        self._since = time.monotonic()

    def add(self, stream: str, data: bytes) -> None:
        with self._lock:
            held = self._pending[stream] = self._pending.get(stream, b"") + data
            if self._since is None:
                self._since = time.monotonic()
        if len(held) >= FLUSH_BYTES:
            self.flush()

    def due(self) -> float | None:
        """Seconds until the held output is to go; None when nothing is held."""
        since = self._since
        return None if since is None else max(0.0, since + FLUSH_S - time.monotonic())

    def flush(self, **also) -> None:
        with self._lock:
            message, self._pending, self._since = self._pending, {}, None
        message.update(also)
        if message:
            self.send(message)

    def end(self, ended: dict) -> dict:
        self.flush(end=ended)
        return ended


class _Stream:
    """An ``Output`` (executors/base.py) for a call's print(): text to the events."""

    def __init__(self, events: _Events, stream: str):
        self._events, self._stream = events, stream

    def write(self, text: str) -> None:
        self._events.add(self._stream, text.encode("utf-8", errors="replace"))

    def write_bytes(self, data: bytes) -> None:
        self._events.add(self._stream, data)


# -- call tasks ------------------------------------------------------------------------------


def _given_up(worker, key: str) -> bool:
    """Whether the worker's own state has the attempt cancelled: the scheduler released it
    (its client left) while it runs. A task Dask cannot interrupt stays ``cancelled`` until
    it returns."""
    state = getattr(worker, "state", None)
    task = state.tasks.get(key) if state is not None else None
    return task is not None and task.state == "cancelled"


def _call(spec: AttemptSpec, events: _Events, stop: _Stop) -> dict:
    import trio

    from orchdsl.runner.executors.calls import run_call

    folder = _call_folder(spec)

    async def main():
        ended = []
        async with trio.open_nursery() as nursery:
            async def watch_stop():
                while not stop.given_up():
                    with trio.move_on_after(GIVEN_UP_S):
                        await trio.lowlevel.wait_readable(stop.fileno())
                        break
                nursery.cancel_scope.cancel()

            nursery.start_soon(watch_stop)
            ended.append(await run_call(spec.target, folder=folder, params=dict(spec.kwargs),
                                        timeout=spec.timeout_s, stdout=_Stream(events, "o"),
                                        stderr=_Stream(events, "e")))
            nursery.cancel_scope.cancel()
        return ended[0] if ended else None

    called = trio.run(main)
    if called is None:
        return outcome(None, "cancelled")
    return outcome(called.exit_code, called.reason, dict(called.outputs))


_folders: dict[str, str] = {}  # digest of a folder's modules -> where they are written


def _call_folder(spec: AttemptSpec) -> str:
    """Where the call's module is looked up first: the copy of the ``.orch`` file's modules
    the coordinator sent (written once per content), else that folder as this worker sees
    it (docs/cluster.md, "call tasks")."""
    if not spec.files:
        return spec.folder
    digest = hashlib.sha256()
    for name in sorted(spec.files):
        digest.update(name.encode() + b"\0" + spec.files[name] + b"\0")
    key = digest.hexdigest()[:16]
    with _REGISTRY.lock:
        if key not in _folders:
            folder = tempfile.mkdtemp(prefix=f"orchdsl-modules-{key}-")
            atexit.register(shutil.rmtree, folder, True)
            for name, data in spec.files.items():
                path = os.path.join(folder, name)
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "wb") as f:
                    f.write(data)
            _folders[key] = folder
    return _folders[key]


