"""Recovery: jobs whose runner died (killed, power loss) become ``terminated``, and what they
left running is stopped (docs/language.md, "The job store").

A runner is judged dead only where this process can tell: on the same boot of the same host
and in the same PID namespace, when its pid is gone, a zombie, or another process's (a start
time that differs). A runner of another boot of this host is dead (the machine restarted).
A runner in another PID namespace (a container sharing the store) or on another host is
judged by its heartbeat alone: dead once it has not beaten for ``LEASE_S``.

Recovery is a step of its own: the commands that run jobs take it (``orchdsl run``, the
scheduler); readers never write or signal anything, they show such a job as it will be
(``shown_state``).
"""

from __future__ import annotations

import os
import signal
import socket
import time
from datetime import datetime, timezone

from orchdsl.process_groups import JOB_TOKEN_VARIABLE, group_alive, signal_group
from orchdsl.store.base import JobStore, Runner, StoreReader, Unfinished

LEASE_S = 30.0  # a runner that has not beaten for this long is dead, wherever it ran
ORPHAN_GRACE_S = 2.0  # SIGTERM to what a dead runner left, SIGKILL this long after


def this_runner() -> Runner:
    pid = os.getpid()
    if _here.get(pid) is None:  # once per process (a fork is another one)
        _here.clear()
        _here[pid] = Runner(socket.gethostname(), pid, process_started(pid), boot_id(),
                            pid_namespace())
    return _here[pid]


_here: dict[int, Runner] = {}


def process_started(pid: int) -> str | None:
    """When a process started (clock ticks since boot), to tell it from a later one that got
    the same pid; None where /proc is missing."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[19].decode()
    except (OSError, IndexError):
        return None


def boot_id() -> str | None:
    try:
        with open("/proc/sys/kernel/random/boot_id") as f:
            return f.read().strip()
    except OSError:
        return None


def pid_namespace() -> str | None:
    try:
        return os.readlink("/proc/self/ns/pid")
    except OSError:
        return None


def runner_dead(runner: Runner, heartbeat_at: datetime | None,
                now: datetime | None = None, silent_s: float | None = None) -> bool:
    """Whether the job's runner is certainly gone (see the module's docstring). ``silent_s``:
    the seconds since its heartbeat as the store's clock tells (else from ``now``)."""
    gone = gone_here(runner)
    if gone is not None:
        return gone
    if silent_s is None:
        if heartbeat_at is None:
            return False  # no way to tell: never judged dead from here
        now = now or datetime.now(timezone.utc)
        silent_s = (now - heartbeat_at).total_seconds()
    return silent_s > LEASE_S


def gone_here(runner: Runner) -> bool | None:
    """Whether a process is gone, as far as this host can tell: None when it cannot (another
    host, another PID namespace), and then only a heartbeat or a lease can."""
    here = this_runner()
    if runner.host == here.host and runner.boot_id and here.boot_id and \
            runner.boot_id != here.boot_id:
        return True  # this host restarted since
    if _same_pid_space(runner, here):
        return not _alive(runner.pid) or (
            runner.pid_started is not None and process_started(runner.pid) != runner.pid_started)
    return None


def _same_pid_space(runner: Runner, here: Runner) -> bool:
    if runner.host != here.host:
        return False
    if runner.boot_id is None and runner.pid_namespace is None:
        return True  # recorded by a version that did not know better: as it judged then
    return runner.boot_id == here.boot_id and runner.pid_namespace == here.pid_namespace


def recover(store: JobStore) -> list[int]:
    """Mark terminated the unfinished jobs whose runner is dead, after stopping what they
    left running. Returns their ids."""
    dead = [job for job in store.unfinished()
            if runner_dead(job.runner, job.heartbeat_at, silent_s=job.silent_s)]
    if not dead:
        return []
    here = this_runner()
    stop_orphans([job for job in dead if _same_pid_space(job.runner, here)])
    store.mark_terminated([job.job_id for job in dead])
    return [job.job_id for job in dead]


def dead_jobs(reader: StoreReader) -> dict[int, datetime | None]:
    """The unfinished jobs a reader shows as ``terminated`` (nothing is written), with when
    their runner was last heard of (its heartbeat), which is when they are shown to end."""
    return {job.job_id: job.heartbeat_at for job in reader.unfinished()
            if runner_dead(job.runner, job.heartbeat_at, silent_s=job.silent_s)}


def stop_orphans(jobs: list[Unfinished]) -> None:
    """Stop what dead runners left: the process groups of their attempts, and every process
    that carries one of their jobs' tokens (a task started just before the runner died, a
    descendant that left its group). SIGTERM, then SIGKILL after a short wait."""
    groups = [pid for job in jobs for pid, started in job.groups
              if group_alive(pid) and (not _alive(pid) or process_started(pid) == started)]
    tokens = {job.token for job in jobs if job.token}
    strays = processes_with_tokens(tokens) if tokens else []
    for signum, wait in ((signal.SIGTERM, ORPHAN_GRACE_S), (signal.SIGKILL, 0)):
        for group in groups:
            signal_group(group, signum)
        for pid in strays:
            _signal(pid, signum)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and (any(group_alive(g) for g in groups)
                                               or any(_alive(p) for p in strays)):
            time.sleep(0.05)


def processes_with_tokens(tokens: set[str]) -> list[int]:
    """The processes whose environment holds ``ORCHDSL_JOB_TOKEN=<one of tokens>[/...]`` (the
    commands of a job carry its token followed by their attempt's)."""
    exact = {f"{JOB_TOKEN_VARIABLE}={t}".encode() for t in tokens}
    prefixes = tuple(w + b"/" for w in exact)
    found = []
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else ():
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as f:
                variables = f.read().split(b"\0")
        except OSError:
            continue
        if exact.intersection(variables) or any(v.startswith(prefixes) for v in variables):
            found.append(int(entry))
    return found


def _signal(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def _alive(pid: int) -> bool:
    """Whether a process exists and is not a zombie (a killed runner not yet reaped is dead)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):
        return True
