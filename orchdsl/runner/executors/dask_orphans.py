"""Processes whose Dask worker is gone. Every command a worker starts carries
``ORCHDSL_DASK_OWNER`` (the worker's pid and start time) in its environment; a worker that
died left its commands running (they are in sessions of their own), so a worker that starts,
or is asked after another one died, stops the process groups whose worker is not alive
(docs/cluster.md, "When a worker dies")."""

from __future__ import annotations

import os
import signal
import threading
import time

from orchdsl.process_groups import group_alive, signal_group

OWNER_VARIABLE = "ORCHDSL_DASK_OWNER"


_own: dict[int, str] = {}


def owner(pid: int | None = None) -> str:
    """``<pid>:<start time>`` of a process (this one by default): a pid alone may be reused."""
    if pid is None:
        pid = os.getpid()
        if pid not in _own:
            _own[pid] = owner(pid)
        return _own[pid]
    with open(f"/proc/{pid}/stat", "rb") as f:
        fields = f.read().rsplit(b")", 1)[1].split()
    return f"{pid}:{int(fields[19])}"  # field 22 of proc(5): starttime


def _alive(mark: str) -> bool:
    """Whether the process an ``ORCHDSL_DASK_OWNER`` value names still lives."""
    pid = mark.partition(":")[0]
    try:
        return pid.isdigit() and owner(int(pid)) == mark
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
            mark = next((v[len(prefix):].decode() for v in environ if v.startswith(prefix)),
                        None)
            if mark is not None and not _alive(mark):
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


def reap_soon() -> None:
    """Run by the coordinator on every worker (``Client.run``) after a worker died: the
    reaping runs in a thread, not in the worker's event loop, which it would hold up."""
    if os.path.isdir("/proc"):
        threading.Thread(target=reap_orphans, name="orchdsl-reap", daemon=True).start()


_reaped = threading.Event()


def reap_once() -> None:
    """A worker's first attempt looks for what a dead worker of this host left behind (a
    nanny's restarted worker comes here first)."""
    if not _reaped.is_set():
        _reaped.set()
        reap_soon()
