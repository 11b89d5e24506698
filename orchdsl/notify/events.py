"""Which notification events a job yields (LANGUAGE.md 3 ``notify``, 5.5).

- ``error``, ``warning``, ``success``: when a job ends in that state. A cancelled or terminated
  job yields none: someone stopped it on purpose, or the runner died and is gone.
- ``fixed``: with ``success``, when the previous job of the same file that ran to an end did not
  succeed (``error``, ``warning``, ``cancelled``, ``terminated``). The first job of a file fixes
  nothing.
- ``processing``: once, while the job still runs, ``after`` its duration, or without one when
  it has run 20% longer than the mean of its file's last 20 successful jobs (never before 3
  such jobs exist).
"""

from __future__ import annotations

import enum
from typing import Sequence

from orchdsl.model import JobState

HISTORY = 20  # successful jobs the usual duration is taken from
MIN_HISTORY = 3  # fewer than this: no usual duration, no processing event without ``after``
SLOWER = 1.2  # processing fires at this times the usual duration


class Event(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    SUCCESS = "success"
    PROCESSING = "processing"
    FIXED = "fixed"


ENDS = {JobState.ERROR: Event.ERROR, JobState.WARNING: Event.WARNING,
        JobState.SUCCESS: Event.SUCCESS}
NOT_SUCCEEDED = frozenset({JobState.ERROR, JobState.WARNING, JobState.CANCELLED,
                           JobState.TERMINATED})


def end_events(state: JobState, previous: JobState | None) -> tuple[Event, ...]:
    """The events of a job that ended in ``state``; ``previous`` is the state of the file's
    job before it (None when there was none)."""
    event = ENDS.get(state)
    if event is None:
        return ()
    if event is Event.SUCCESS and previous in NOT_SUCCEEDED:
        return (Event.SUCCESS, Event.FIXED)
    return (event,)


def usual_limit(durations: Sequence[float]) -> float | None:
    """Seconds after which a job is slower than usual: 1.2 x the mean of the last 20
    successful durations (newest first); None with fewer than 3."""
    recent = list(durations)[:HISTORY]
    if len(recent) < MIN_HISTORY:
        return None
    return SLOWER * sum(recent) / len(recent)


def processing_delay(afters: Sequence[float | None], usual: float | None) -> float | None:
    """When ``processing`` fires for a target, in seconds after the job started: the earliest
    of the ``after``s of the clauses naming it, a clause without ``after`` standing for the
    usual limit; None when none applies (no history yet)."""
    delays = [usual if after is None else after for after in afters]
    delays = [d for d in delays if d is not None]
    return min(delays) if delays else None
