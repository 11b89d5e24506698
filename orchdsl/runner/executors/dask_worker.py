"""The worker side of the Dask executor: what a Dask worker runs for one attempt
(docs/cluster.md). ``run_attempt(spec)`` is the function the coordinator submits; it never
raises, and returns the outcome as a plain dict.

While it runs, it tells the coordinator through the worker's events (``Worker.log_event`` on
the connection's topic; the scheduler passes them on to the subscribed client): ``start``
(host, worker address), chunks of stdout and stderr (``o``, ``e``), held at most ``FLUSH_S``,
and ``end`` (the outcome). The start goes with the first output, or after ``FLUSH_S``, or with
the end: a short task costs one event, not two (bench/bench_dask.py). The coordinator stops an attempt with ``stop_attempts`` (run on every
worker through ``Client.run``): a stop that comes before the attempt started here is kept, so
that a worker never starts an attempt it was told to stop.

A ``run`` task is a process group of its own (``start_new_session``): on its timeout or a stop
the group gets SIGTERM, then SIGKILL after the grace; what the command left in its group when
it ended is stopped the same way (docs/language.md, "Timeouts, signals, processes"). Every
process carries ``ORCHDSL_DASK_OWNER`` (the worker's pid and start time): a worker that
starts, or is asked after another one died, stops the processes whose worker is gone.

Only the standard library and orchdsl's trio-free helpers are imported for ``run`` tasks;
``call`` tasks load the in-process call machinery (and trio) on first use.
"""

from __future__ import annotations

import atexit
import errno
import hashlib
import os
import selectors
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Mapping

from orchdsl.durations import written
from orchdsl.process_groups import group_alive, signal_group
from orchdsl.runner.outputs import OUTPUT_VARIABLE, OutputError, read_outputs

OWNER_VARIABLE = "ORCHDSL_DASK_OWNER"
FLUSH_S = 0.05  # output reaches the coordinator at most this late
FLUSH_BYTES = 32 * 1024
READ_SIZE = 65536
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
    """Set once; a pipe as well, so that a selector (or trio) wakes up on it."""

    def __init__(self):
        self._read, self._write = os.pipe2(os.O_CLOEXEC | os.O_NONBLOCK)
        self.is_set = False

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
        return events.end(_outcome(None, "cancelled"))
    try:
        _reap_once()
        events.begin([_HOST, worker.address, time.time()])
        try:
            outcome = _call(spec, events, stop) if spec.is_call else _process(spec, events, stop)
        except Exception as exc:  # noqa: BLE001 - a bug here still ends the attempt
            outcome = _outcome(None, f"internal error on the worker: {type(exc).__name__}: {exc}")
    finally:
        _REGISTRY.end(spec.key)
    return events.end(outcome)


def _outcome(code: int | None, reason: str | None, outputs=None) -> dict:
    return {"code": code, "reason": reason, "outputs": outputs or {}, "at": time.time()}


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

    def end(self, outcome: dict) -> dict:
        self.flush(end=outcome)
        return outcome


class _Stream:
    """An ``Output`` (executors/base.py) for a call's print(): text to the events."""

    def __init__(self, events: _Events, stream: str):
        self._events, self._stream = events, stream

    def write(self, text: str) -> None:
        self._events.add(self._stream, text.encode("utf-8", errors="replace"))

    def write_bytes(self, data: bytes) -> None:
        self._events.add(self._stream, data)


# -- run tasks -------------------------------------------------------------------------------


def _process(spec: AttemptSpec, events: _Events, stop: _Stop) -> dict:
    outputs = os.path.join(_outputs_folder(), hashlib.sha1(spec.key.encode()).hexdigest())
    env = {**os.environ, **spec.env, OUTPUT_VARIABLE: outputs, OWNER_VARIABLE: _owner()}
    try:
        popen = subprocess.Popen(list(spec.argv), cwd=spec.cwd, env=env,
                                 stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, start_new_session=True)
    except OSError as exc:
        return _outcome(None, f"cannot start {spec.argv[0]}: {_os_reason(exc, spec.cwd)}")
    reason = _Watch(popen, spec, events, stop).run()
    code = popen.returncode
    if reason is None and code is not None and code < 0:
        reason = f"killed by {signal.Signals(-code).name}"
    try:
        published = read_outputs(outputs)
    except OutputError as exc:
        return _outcome(code, reason or (str(exc) if code == 0 else None))
    return _outcome(code, reason, published if code == 0 and reason is None else None)


class _Watch:
    """One thread watches the command: its two pipes, its exit (a pidfd), the stop switch and
    the deadlines, with one selector; output is read while the group is being stopped."""

    def __init__(self, popen: subprocess.Popen, spec: AttemptSpec, events: _Events,
                 stop: _Stop):
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
        self.reason: str | None = None

    def run(self) -> str | None:
        try:
            while self.popen.returncode is None:
                self._step()
            _stop_leftovers(self.popen.pid, self.spec.grace_s)
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
        if self.kill_at is not None and now >= self.kill_at:
            signal_group(self.popen.pid, signal.SIGKILL)
            self.kill_at = float("inf")
        self._read_ready(self._wait(now))
        self.popen.poll()

    def _wait(self, now: float) -> float | None:
        """How long the selector may sleep: until the next deadline, the next flush of the
        held output, or a short poll where there is no pidfd."""
        waits = []
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


def _stop_leftovers(group: int, grace: float) -> None:
    """What a finished command left running in its group: SIGTERM, then SIGKILL."""
    if not group_alive(group):
        return
    signal_group(group, signal.SIGTERM)
    delay, deadline = 0.005, time.monotonic() + grace
    while group_alive(group) and time.monotonic() < deadline:
        time.sleep(delay)
        delay = min(delay * 2, 0.2)
    if group_alive(group):
        signal_group(group, signal.SIGKILL)


def _os_reason(exc: OSError, cwd: str) -> str:
    """As the local executor words it (executors/processes.py)."""
    if exc.errno == errno.ENOENT and not os.path.isdir(cwd):
        return f"working directory {cwd} does not exist"
    if exc.errno == errno.ENOENT:
        return "no such file or command"
    if exc.errno == errno.EACCES:
        return "permission denied"
    return exc.strerror or str(exc)


_folders: dict[str, str] = {}


def _outputs_folder() -> str:
    """This worker process's folder for ``$ORCHDSL_OUTPUT`` files, owner-only (outputs may
    hold secrets), removed when the worker ends."""
    if "outputs" not in _folders:
        folder = _folders["outputs"] = tempfile.mkdtemp(prefix="orchdsl-outputs-")
        atexit.register(shutil.rmtree, folder, True)
    return _folders["outputs"]


# -- call tasks ------------------------------------------------------------------------------


def _call(spec: AttemptSpec, events: _Events, stop: _Stop) -> dict:
    import trio

    from orchdsl.runner.executors.calls import run_call

    folder = _call_folder(spec)

    async def main():
        ended = []
        async with trio.open_nursery() as nursery:
            async def watch_stop():
                await trio.lowlevel.wait_readable(stop.fileno())
                nursery.cancel_scope.cancel()

            nursery.start_soon(watch_stop)
            ended.append(await run_call(spec.target, folder=folder, params=dict(spec.kwargs),
                                        timeout=spec.timeout_s, stdout=_Stream(events, "o"),
                                        stderr=_Stream(events, "e")))
            nursery.cancel_scope.cancel()
        return ended[0] if ended else None

    outcome = trio.run(main)
    if outcome is None:
        return _outcome(None, "cancelled")
    return _outcome(outcome.exit_code, outcome.reason, dict(outcome.outputs))


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


# -- processes whose worker is gone ----------------------------------------------------------


_own: dict[int, str] = {}


def _owner(pid: int | None = None) -> str:
    """``<pid>:<start time>`` of a process (this one by default): a pid alone may be reused."""
    if pid is None:
        pid = os.getpid()
        if pid not in _own:
            _own[pid] = _owner(pid)
        return _own[pid]
    with open(f"/proc/{pid}/stat", "rb") as f:
        fields = f.read().rsplit(b")", 1)[1].split()
    return f"{pid}:{int(fields[19])}"  # field 22 of proc(5): starttime


def _owner_alive(owner: str) -> bool:
    pid = owner.partition(":")[0]
    try:
        return pid.isdigit() and _owner(int(pid)) == owner
    except (OSError, IndexError, ValueError):
        return False


def orphans() -> list[int]:
    """Process groups started by a worker of this host that is gone."""
    groups = set()
    prefix = f"{OWNER_VARIABLE}=".encode()
    for pid in (p for p in os.listdir("/proc") if p.isdigit()):
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                environ = f.read().split(b"\0")
            owner = next((v[len(prefix):].decode() for v in environ if v.startswith(prefix)),
                         None)
            if owner is not None and not _owner_alive(owner):
                groups.add(os.getpgid(int(pid)))
        except (OSError, ValueError):
            continue  # gone, or not ours to read
    return sorted(groups)


def reap_orphans(grace_s: float = 10.0) -> list[int]:
    """Stop the process groups of workers that died on this host (SIGTERM, SIGKILL after
    ``grace_s``); the groups it stopped."""
    groups = orphans()
    for group in groups:
        signal_group(group, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while any(group_alive(g) for g in groups) and time.monotonic() < deadline:
        time.sleep(0.05)
    for group in groups:
        if group_alive(group):
            signal_group(group, signal.SIGKILL)
    return groups


_reaped = threading.Event()


def _reap_once() -> None:
    """A worker's first attempt looks for what a dead worker of this host left behind (a
    nanny's restarted worker comes here first)."""
    if not _reaped.is_set():
        _reaped.set()
        if os.path.isdir("/proc"):
            threading.Thread(target=reap_orphans, name="orchdsl-reap", daemon=True).start()
