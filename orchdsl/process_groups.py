"""Process groups: whether one still has a living member, and signalling it. No trio here,
so the job store's recovery can use it without loading the runner."""

from __future__ import annotations

import os

# Every process of a job carries it in its environment: recovery finds what a runner that
# died left running by it, and the runner finds descendants that left their process group.
JOB_TOKEN_VARIABLE = "ORCHDSL_JOB_TOKEN"


def group_alive(group: int) -> bool:
    """Whether a process group has a member that is not a zombie."""
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


def signal_group(group: int, signum: int) -> None:
    try:
        os.killpg(group, signum)
    except (ProcessLookupError, PermissionError):
        pass
