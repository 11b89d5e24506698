"""One attempt of a ``run`` task, trio-free: spawned and watched to its end by the thread that
calls ``watch`` (a lane's: executors/lanes.py), so no trio task, thread hop or wake-up of the
coordinator is spent per process (bench_run W1).

The command runs in a session (and process group) of its own, its output on two pipes. One
``select.poll`` waits on both pipes, the command's exit (a pidfd) and its ``Stop`` switch
until the next deadline. On its timeout or a stop the whole group gets SIGTERM, then SIGKILL
after the grace period, while its output is still read (a command cleaning up after SIGTERM
may print more than a pipe holds); what it left in its group when it ended is stopped the
same way, and its pipes are read for at most a second more (a process that left the group may
hold them). See docs/language.md, "Timeouts, signals, processes".
"""

from __future__ import annotations

import errno
import os
import select
import signal
import threading
import time
from typing import Callable

from orchdsl.durations import written
from orchdsl.process_groups import group_alive, signal_group
from orchdsl.runner.executors.spawn import Child, CommandEnv, Environment
from orchdsl.runner.executors.spawn import spawn as start

READ_SIZE = 65536
DRAIN_S = 1.0  # how long the pipes are read after the command ended
CANCELLED = "cancelled"
_IN = select.POLLIN | select.POLLHUP | select.POLLERR


class Stop:
    """Asks ``watch`` to stop its command, from any thread. The watcher waits on an eventfd
    of its own thread, made once per thread and reused by every command it watches (most
    commands are never stopped: nothing to make, write or drain for them, bench_run W1)."""

    __slots__ = ("_lock", "_fd", "_written", "is_set")

    def __init__(self):
        self._lock = threading.Lock()
        self._fd: int | None = None  # the watcher's, while it watches
        self._written = False
        self.is_set = False

    def set(self) -> None:
        with self._lock:
            self.is_set = True
            if self._fd is not None and not self._written:
                self._written = True
                _wake(self._fd)

    def fileno(self) -> int:
        """The fd to wait on (in the watcher's thread, until ``close``)."""
        with self._lock:
            fd = self._fd = _thread_fd()
            if self.is_set and not self._written:
                self._written = True
                _wake(fd)
            return fd

    def release(self) -> None:
        """The watch is over (``watch`` calls it): the thread's fd is left as it was found,
        unwritten; a later ``set`` only marks the switch."""
        with self._lock:
            if self._written and self._fd is not None:
                try:
                    os.read(self._fd, 8)
                except BlockingIOError:
                    pass
            self._fd = None
            self._written = False


_threads = threading.local()


def _thread_fd() -> int:
    fd = getattr(_threads, "stop_fd", None)
    if fd is None:
        try:
            fd = os.eventfd(0, os.EFD_CLOEXEC | os.EFD_NONBLOCK)
        except (AttributeError, OSError):  # not Linux: a pipe does as well
            fd, _threads.stop_write = os.pipe2(os.O_CLOEXEC | os.O_NONBLOCK)
        _threads.stop_fd = fd
        _writers[fd] = getattr(_threads, "stop_write", fd)
    return fd


_writers: dict[int, int] = {}  # a thread's stop fd -> where to write to wake it


def _wake(fd: int) -> None:
    os.write(_writers[fd], b"\0\0\0\0\0\0\0\1")


def spawn(argv: list[str], cwd: str, env, executable: str | None = None) -> Child:
    """Start the command in a session of its own, its output on two pipes (executors/spawn.py);
    raises OSError when it cannot start. ``env``: a spawn.CommandEnv, or a mapping of bytes
    for exactly that environment. ``executable``: where ``argv[0]`` is, when known."""
    if not isinstance(env, CommandEnv):
        env = Environment({}).of(dict(env))
    out_read, out_write = os.pipe2(os.O_CLOEXEC)
    err_read, err_write = os.pipe2(os.O_CLOEXEC)
    try:
        child = start(argv, cwd, env, executable, out_write, err_write)
    except BaseException:
        os.close(out_read)
        os.close(err_read)
        raise
    finally:
        os.close(out_write)
        os.close(err_write)
    child.out, child.err = out_read, err_read
    return child


def watch(child: Child, stop: Stop, *, timeout: float | None, grace: float,
          stdout: Callable[[bytes], None], stderr: Callable[[bytes], None]
          ) -> tuple[int | None, str | None]:
    """Read the command's output until it ended and its pipes closed (or ``DRAIN_S`` after
    its end); stop it on ``stop`` or past ``timeout``. (exit code, reason): the reason is
    ``cancelled``, ``timed out after <timeout>``, ``killed by <signal>`` or None."""
    return _Watch(child, stop, timeout, grace, stdout, stderr).run()


class _Watch:
    def __init__(self, child, stop, timeout, grace, stdout, stderr):
        self.child, self.stop, self.grace = child, stop, grace
        self.timeout = timeout
        self.readers = {child.out: stdout, child.err: stderr}
        self.poll = select.poll()
        for fd in self.readers:
            self.poll.register(fd, _IN)
        if child.pidfd is not None:
            self.poll.register(child.pidfd, _IN)
        self.stop_fd: int | None = None
        self.deadline = time.monotonic() + timeout if timeout is not None else None
        self.kill_at: float | None = None  # SIGTERM sent: SIGKILL then
        self.reason: str | None = None
        self.ended = False  # the pidfd says the command exited

    def _exited(self) -> bool:
        """Whether the command exited (and is reaped): one waitpid once the pidfd said so, or
        at every wake-up without one."""
        child = self.child
        if child.pidfd is not None and not self.ended:
            return False
        return child.poll() is not None

    def run(self) -> tuple[int | None, str | None]:
        child = self.child
        try:
            if self.stop.is_set:
                self._terminate(CANCELLED)
            else:
                self.stop_fd = self.stop.fileno()
                self.poll.register(self.stop_fd, _IN)
            while not self._exited():
                self._step()
            stop_leftovers(child.pid, self.grace)
            drain_until = time.monotonic() + DRAIN_S
            while self.readers and time.monotonic() < drain_until:
                self._read_ready(max(0.0, drain_until - time.monotonic()))
        finally:
            self._close()
        code = child.returncode
        reason = self.reason
        if reason is None and code is not None and code < 0:
            reason = f"killed by {signal.Signals(-code).name}"
        return code, reason

    def _step(self) -> None:
        now = time.monotonic()
        if self.kill_at is None and self.deadline is not None and now >= self.deadline:
            self._terminate(f"timed out after {written(self.timeout)}")
        if self.kill_at is not None and now >= self.kill_at:
            signal_group(self.child.pid, signal.SIGKILL)
            self.kill_at = float("inf")
        self._read_ready(self._wait(now))

    def _wait(self, now: float) -> float | None:
        """How long poll may sleep: until the next deadline, or a short poll without pidfd."""
        waits = []
        if self.kill_at is None and self.deadline is not None:
            waits.append(self.deadline - now)
        elif self.kill_at is not None and self.kill_at != float("inf"):
            waits.append(self.kill_at - now)
        if self.child.pidfd is None:
            waits.append(0.01)
        return max(0.0, min(waits)) if waits else None

    def _read_ready(self, timeout: float | None) -> None:
        ms = None if timeout is None else int(timeout * 1000) + (timeout > 0)
        for fd, events in self.poll.poll(ms):
            reader = self.readers.get(fd)
            if reader is not None:
                # Closed with nothing left to read: no read() needed to learn it.
                data = os.read(fd, READ_SIZE) if events & select.POLLIN else b""
                if data:
                    reader(data)
                else:
                    self._done_with(fd)
            elif fd == self.stop_fd:
                self.poll.unregister(fd)
                self.stop_fd = None
                if self.kill_at is None:
                    self._terminate(CANCELLED)
            elif fd == self.child.pidfd:
                self.poll.unregister(fd)
                self.ended = True

    def _done_with(self, fd: int) -> None:
        self.poll.unregister(fd)
        del self.readers[fd]

    def _terminate(self, reason: str) -> None:
        self.reason = reason
        signal_group(self.child.pid, signal.SIGTERM)
        self.kill_at = time.monotonic() + self.grace

    def _close(self) -> None:
        self.stop.release()
        child = self.child
        for fd in (child.out, child.err, child.pidfd):
            if fd is not None:
                os.close(fd)
        if child.returncode is None:  # an error here: the group goes down with us
            signal_group(child.pid, signal.SIGKILL)
            child.wait()


def stop_leftovers(group: int, grace: float) -> None:
    """Stop what a finished command left running in its group: SIGTERM, then SIGKILL."""
    if not group_alive(group):
        return
    signal_group(group, signal.SIGTERM)
    delay, deadline = 0.005, time.monotonic() + grace
    while group_alive(group) and time.monotonic() < deadline:
        time.sleep(delay)
        delay = min(delay * 2, 0.2)
    if group_alive(group):
        signal_group(group, signal.SIGKILL)


def os_reason(exc: OSError, cwd: str) -> str:
    """Why a command could not start, in a few words."""
    if exc.errno == errno.ENOENT and not os.path.isdir(cwd):
        return f"working directory {cwd} does not exist"
    if exc.errno == errno.ENOENT:
        return "no such file or command"
    if exc.errno == errno.EACCES:
        return "permission denied"
    return exc.strerror or str(exc)
