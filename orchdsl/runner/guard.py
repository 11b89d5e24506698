"""No process of a job outlives it, whatever it forks (docs/language.md, "Timeouts, signals,
processes").

A task's command runs in a process group of its own, and the group is stopped when the
command ends, times out or is cancelled. Three things escape a group, and are caught here:
- **Descendants that leave it** (``setsid``, a double-forking daemon). Every command of a job
  carries ``ORCHDSL_JOB_TOKEN=<runner>/<job>/<attempt>`` in its environment, and so do its
  descendants. With this process a child subreaper (``enable_subreaper``), an orphaned
  descendant becomes our child; when an attempt ends, ``sweep`` stops every child that
  carries the attempt's token, with the same SIGTERM, then SIGKILL steps.
- **The runner's own death** (SIGKILL, the OOM killer). A guardian process, started with the
  first command and holding a pipe from the runner, wakes when the pipe closes and stops every
  process that carries the runner's token.
- **A ``call`` task's own children** (``subprocess.Popen`` in the function): they are stopped
  when the call ends, like what a command leaves in its group (``stop_children_of_thread``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid

from orchdsl.process_groups import JOB_TOKEN_VARIABLE, group_alive, signal_group

_RUNNER = uuid.uuid4().hex[:16]  # this process, as the tokens of its jobs start
_guardian: subprocess.Popen | None = None
_lock = threading.Lock()

GUARDIAN = r"""
import os, signal, sys, time
prefix = ("%s=" + sys.argv[1] + "/").encode()
sys.stdin.buffer.read()  # returns when the runner is gone: exited, or killed
def marked():
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/" + entry + "/environ", "rb") as f:
                    if any(v.startswith(prefix) for v in f.read().split(b"\0")):
                        found.append(int(entry))
            except OSError:
                pass
    return found
for signum, wait in ((signal.SIGTERM, 2.0), (signal.SIGKILL, 0.0)):
    for pid in marked():
        try:
            os.kill(pid, signum)
        except OSError:
            pass
    deadline = time.monotonic() + wait
    while marked() and time.monotonic() < deadline:
        time.sleep(0.05)
""" % JOB_TOKEN_VARIABLE


def job_token(job: str) -> str:
    """The token of one job of this runner (``recover`` finds the job's processes by it)."""
    return f"{_RUNNER}/{job}"


def attempt_token(job_token_: str, attempt: int) -> str:
    return f"{job_token_}/{attempt}"


def start_guardian() -> None:
    """Start the guardian once per runner process (with its first command)."""
    global _guardian
    with _lock:
        if _guardian is not None or not os.path.isdir("/proc"):
            return
        try:
            _guardian = subprocess.Popen(
                [sys.executable, "-I", "-S", "-c", GUARDIAN, _RUNNER], stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                env={})
        except OSError:
            _guardian = None  # no guardian: recovery still finds them by the token


def enable_subreaper() -> bool:
    """Make orphaned descendants our children (Linux; PR_SET_CHILD_SUBREAPER), so that
    ``sweep`` finds them. Only the command line does this: a program using orchdsl's API
    keeps its own process semantics."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


def children(thread: int | None = None) -> list[int]:
    """The children of this process created by ``thread`` (a native thread id; the main
    thread by default, which is also where orphans are reparented), from /proc."""
    tid = thread or os.getpid()
    try:  # os.open: read once per attempt (guard.sweep), Python's file objects cost more
        fd = os.open(f"/proc/self/task/{tid}/children", os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return []
    try:
        data = chunk = os.read(fd, 65536)
        while len(chunk) == 65536:  # a /proc file is read whole when it fits
            chunk = os.read(fd, 65536)
            data += chunk
    except OSError:
        return []
    finally:
        os.close(fd)
    return [int(p) for p in data.split()]


def has_children() -> bool:
    """Whether this process has any child at all (one system call, no file)."""
    try:
        os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return False
    except OSError:
        return True
    return True


def marked_with(pid: int, token: str) -> bool:
    wanted = f"{JOB_TOKEN_VARIABLE}={token}".encode()
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            return any(v == wanted or v.startswith(wanted + b"/") for v in f.read().split(b"\0"))
    except OSError:
        return False


def escaped(token: str, known: set[int]) -> list[int]:
    """Our children (orphans reparented to us) that carry ``token`` and are not ``known``."""
    if not has_children():
        return []
    guardian = _guardian.pid if _guardian is not None else None
    return [pid for pid in children()
            if pid not in known and pid != guardian and marked_with(pid, token)]


def stop_now(pids: list[int], signum: int) -> None:
    """Signal each process and its process group (a daemon is often a group leader)."""
    for pid in pids:
        try:
            os.kill(pid, signum)
        except OSError:
            continue
        try:
            if os.getpgid(pid) == pid:
                signal_group(pid, signum)
        except OSError:
            pass


def reap(pids: list[int]) -> None:
    """Collect the exit of our own children that were stopped (no zombie is left)."""
    for pid in pids:
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):
        return False


def sweep(token: str, known: set[int], grace: float) -> None:
    """Stop what left an attempt's process group and outlived it: our children (orphans
    reparented to this subreaper) that carry ``token`` and are not ``known`` (the job's
    commands still running). SIGTERM, then SIGKILL after ``grace``; again for what that
    orphans in turn. Blocking: called in the lane that ran the attempt."""
    for _ in range(3):
        strays = escaped(token, known)
        if not strays:
            return
        stop_now(strays, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while any(alive(p) for p in strays) and time.monotonic() < deadline:
            time.sleep(0.02)
        stop_now([p for p in strays if alive(p)], signal.SIGKILL)
        time.sleep(0.01)
        reap(strays)


def stop_children_of_thread(thread: int, grace: float = 2.0) -> None:
    """Stop what a ``call`` started from ``thread`` and left running (blocking: called in the
    thread that ran the call, or for an abandoned call in a worker thread)."""
    pids = [p for p in children(thread) if alive(p)]
    if not pids:
        return
    stop_now(pids, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.02)
    stop_now([p for p in pids if alive(p)], signal.SIGKILL)
    reap(pids)


__all__ = ["job_token", "attempt_token", "start_guardian", "enable_subreaper", "escaped",
           "sweep", "stop_now", "reap", "alive", "stop_children_of_thread", "group_alive"]
