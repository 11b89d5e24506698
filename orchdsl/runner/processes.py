"""One attempt of a ``run`` task: a real subprocess in a process group of its own.

On timeout or cancellation the whole group gets SIGTERM, then SIGKILL after a grace period
(LANGUAGE.md 5.4). After the command itself exits, whatever it left running in its group is
stopped the same way, so no process of a job outlives it, and pipes held open by a
grandchild do not keep the task waiting.
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
from dataclasses import dataclass

import trio

from orchdsl.runner.capture import OutputBuffer

READ_SIZE = 65536


@dataclass(frozen=True)
class ProcessOutcome:
    exit_code: int | None
    reason: str | None  # set when the exit code alone does not say what happened
    stdout: str
    stderr: str


async def run_process(argv: list[str], *, cwd: str, env: dict[str, str], timeout: float | None,
                      grace: float, stdout: OutputBuffer, stderr: OutputBuffer) -> ProcessOutcome:
    try:
        process = await trio.lowlevel.open_process(
            argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, start_new_session=True)
    except OSError as exc:
        return ProcessOutcome(None, f"cannot start {argv[0]}: {_os_reason(exc, cwd)}",
                              stdout.close(), stderr.close())
    reason = None
    try:
        async with trio.open_nursery() as readers:
            readers.start_soon(_read, process.stdout, stdout)
            readers.start_soon(_read, process.stderr, stderr)
            with trio.move_on_after(timeout if timeout is not None else float("inf")) as limit:
                await process.wait()
            if limit.cancelled_caught:
                reason = f"timed out after {_seconds(timeout)}"
                await stop_group(process, grace)
            else:
                await stop_leftovers(process.pid, grace)
            # A process that left the group (setsid) may still hold the pipes: stop reading.
            readers.cancel_scope.deadline = trio.current_time() + 1.0
    except BaseException:
        # Cancelled (fail_fast, job timeout, Ctrl-C): the group goes down with us.
        with trio.CancelScope(shield=True):
            await stop_group(process, grace)
        raise
    code = process.returncode
    if reason is None and code is not None and code < 0:
        reason = f"killed by {signal.Signals(-code).name}"
    return ProcessOutcome(code, reason, stdout.close(), stderr.close())


async def _read(stream, buffer: OutputBuffer) -> None:
    while True:
        data = await stream.receive_some(READ_SIZE)
        if not data:
            return
        buffer.write_bytes(data)


async def stop_group(process, grace: float) -> None:
    """SIGTERM to the process group, SIGKILL after ``grace`` seconds if the command is still
    alive; then the same for anything else left in the group."""
    _signal_group(process.pid, signal.SIGTERM)
    with trio.move_on_after(grace):
        await process.wait()
    if process.returncode is None:
        _signal_group(process.pid, signal.SIGKILL)
        await process.wait()
    await stop_leftovers(process.pid, grace)


async def stop_leftovers(group: int, grace: float) -> None:
    """Stop what a finished command left running in its group: SIGTERM, then SIGKILL."""
    if not _group_alive(group):
        return
    _signal_group(group, signal.SIGTERM)
    delay, waited = 0.005, 0.0
    while _group_alive(group) and waited < grace:
        await trio.sleep(delay)
        waited += delay
        delay = min(delay * 2, 0.2)
    if _group_alive(group):
        _signal_group(group, signal.SIGKILL)


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # a member changed its user: alive, and not ours to signal
    return _live_members(group)


def _live_members(group: int) -> bool:
    """Whether the group has a member that is not a zombie. A killed grandchild is reparented
    to PID 1 and stays a zombie (still in the group) until PID 1 reaps it, which some
    container inits do only every second or so: waiting for it would only add latency."""
    try:
        pids = [p for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return True  # no /proc: trust killpg
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        # after the command name: state, ppid, pgrp, ...
        if int(fields[2]) == group and fields[0] != b"Z":
            return True
    return False


def _signal_group(group: int, signum: int) -> None:
    try:
        os.killpg(group, signum)
    except (ProcessLookupError, PermissionError):
        pass


def _os_reason(exc: OSError, cwd: str) -> str:
    if exc.errno == errno.ENOENT and not os.path.isdir(cwd):
        return f"working directory {cwd} does not exist"
    if exc.errno == errno.ENOENT:
        return "no such file or command"
    if exc.errno == errno.EACCES:
        return "permission denied"
    return exc.strerror or str(exc)


def _seconds(value: float | None) -> str:
    from orchdsl.lexical import format_duration

    return format_duration(round((value or 0) * 1000))
