"""One attempt of a ``run`` task: a real subprocess in a process group of its own.

On timeout or cancellation the whole group gets SIGTERM, then SIGKILL after a grace period
(docs/language.md, "Timeouts, signals, processes"). After the command itself exits, whatever it left running in its group is
stopped the same way, so no process of a job outlives it, and pipes held open by a
grandchild do not keep the task waiting.
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess

import trio

from orchdsl.durations import written
from orchdsl.process_groups import group_alive, signal_group
from orchdsl.runner.executors.base import Outcome, Output

READ_SIZE = 65536


async def run_process(argv: list[str], *, cwd: str, env: dict, timeout: float | None,
                      grace: float, stdout: Output, stderr: Output,
                      on_start=None, executable: str | None = None) -> Outcome:
    """``on_start(pid)`` hears the process (and group) id once it exists: the job store keeps
    it, so recovery can stop what a killed runner left running. ``executable``: where
    ``argv[0]`` is, when already known (``argv[0]`` is what the command sees as its name)."""
    try:
        process, out, err = _spawn(argv, cwd, env, executable)
    except OSError as exc:
        return Outcome(None, f"cannot start {argv[0]}: {_os_reason(exc, cwd)}")
    if on_start is not None:
        on_start(process.pid)
    reason = None
    # The readers read until the pipes close (the command and what it started are gone), or
    # one second after the command ended (a process that left the group may hold them). They
    # are shielded from cancellation: a cancelled command may print while it cleans up after
    # SIGTERM, however much, and what it prints is kept.
    reading = trio.CancelScope(shield=True)

    async def read_both():
        with reading:
            async with trio.open_nursery() as readers:
                readers.start_soon(_read, out, stdout)
                readers.start_soon(_read, err, stderr)

    try:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(read_both)
            try:
                with trio.move_on_after(timeout if timeout is not None else float("inf")) as limit:
                    await process.wait()
                if limit.cancelled_caught:
                    reason = f"timed out after {written(timeout)}"
                    await stop_group(process, grace)
                else:
                    await stop_leftovers(process.pid, grace)
            except BaseException:
                # Cancelled (fail_fast, job timeout, Ctrl-C): the group goes down with us.
                with trio.CancelScope(shield=True):
                    await stop_group(process, grace)
                raise
            finally:
                reading.deadline = trio.current_time() + 1.0
    finally:
        process.close()
        out.close()
        err.close()
    code = process.returncode
    if reason is None and code is not None and code < 0:
        reason = f"killed by {signal.Signals(-code).name}"
    return Outcome(code, reason)


def _spawn(argv: list[str], cwd: str, env: dict, executable: str | None):
    """Start the command in a session (and process group) of its own, its output on two pipes.

    ``Popen`` runs right here in the trio thread, not in a worker thread as
    ``trio.lowlevel.open_process`` does: CPython starts children with vfork, which returns as
    soon as the child has exec'd, and the thread hop cost more than the spawn (bench_run W1)."""
    out_read, out_write = os.pipe2(os.O_CLOEXEC)
    err_read, err_write = os.pipe2(os.O_CLOEXEC)
    try:
        popen = subprocess.Popen(argv, executable=executable, cwd=cwd, env=env,
                                 stdin=subprocess.DEVNULL,
                                 stdout=out_write, stderr=err_write, start_new_session=True)
    except BaseException:
        for fd in (out_read, err_read):
            os.close(fd)
        raise
    finally:
        os.close(out_write)
        os.close(err_write)
    return (Child(popen), trio.lowlevel.FdStream(out_read), trio.lowlevel.FdStream(err_read))


class Child:
    """A started command: ``await wait()`` sleeps on a pidfd (Linux 5.3+; a short poll
    elsewhere), no thread per child."""

    def __init__(self, popen: subprocess.Popen):
        self._popen = popen
        self.pid = popen.pid
        try:
            self._pidfd: int | None = os.pidfd_open(popen.pid)
        except (AttributeError, OSError):
            self._pidfd = None

    @property
    def returncode(self) -> int | None:
        return self._popen.returncode

    async def wait(self) -> int:
        while self._popen.poll() is None:
            if self._pidfd is not None:
                await trio.lowlevel.wait_readable(self._pidfd)
            else:
                await trio.sleep(0.01)
        return self._popen.returncode

    def close(self) -> None:
        if self._pidfd is not None:
            os.close(self._pidfd)
            self._pidfd = None


async def _read(stream, buffer: Output) -> None:
    while True:
        data = await stream.receive_some(READ_SIZE)
        if not data:
            return
        buffer.write_bytes(data)


async def stop_group(process, grace: float) -> None:
    """SIGTERM to the process group, SIGKILL after ``grace`` seconds if the command is still
    alive; then the same for anything else left in the group."""
    signal_group(process.pid, signal.SIGTERM)
    with trio.move_on_after(grace):
        await process.wait()
    if process.returncode is None:
        signal_group(process.pid, signal.SIGKILL)
        await process.wait()
    await stop_leftovers(process.pid, grace)


async def stop_leftovers(group: int, grace: float) -> None:
    """Stop what a finished command left running in its group: SIGTERM, then SIGKILL."""
    if not group_alive(group):
        return
    signal_group(group, signal.SIGTERM)
    delay, waited = 0.005, 0.0
    while group_alive(group) and waited < grace:
        await trio.sleep(delay)
        waited += delay
        delay = min(delay * 2, 0.2)
    if group_alive(group):
        signal_group(group, signal.SIGKILL)


def _os_reason(exc: OSError, cwd: str) -> str:
    if exc.errno == errno.ENOENT and not os.path.isdir(cwd):
        return f"working directory {cwd} does not exist"
    if exc.errno == errno.ENOENT:
        return "no such file or command"
    if exc.errno == errno.EACCES:
        return "permission denied"
    return exc.strerror or str(exc)

