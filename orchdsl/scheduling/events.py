"""What the scheduler reports: one event per thing that happened. The daemon never prints;
``orchdsl scheduler`` writes each event as one timestamped line (``format_event``)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timezone


class Kind(str, enum.Enum):
    STARTED = "started"  # the scheduler runs: how many files and schedules
    LOADED = "loaded"  # a file's schedule is in the table (one event per schedule)
    IGNORED = "ignored"  # a valid file with no schedule
    INVALID = "invalid"  # a file with errors: diagnostics; the last good version runs on
    UNREADABLE = "unreadable"  # a file that cannot be read
    REMOVED = "removed"  # a file that is gone: its schedules stop
    FIRED = "fired"  # a fire started a job
    QUEUED = "queued"  # a fire waits for the running job (overlap queue)
    TAKEN = "taken"  # the waiting fire of a scheduler that died, taken over (it waits)
    SKIPPED = "skipped"  # a fire recorded as a skipped job (overlap, or shutdown)
    CATCHUP = "catchup"  # the most recent missed fire, run once (catchup last)
    MISSED = "missed"  # fires that passed while no scheduler ran (catchup none)
    FINISHED = "finished"  # a job ended
    UNDELIVERED = "undelivered"  # a notification of a job could not be delivered
    STOPPING = "stopping"  # a signal: no more fires; running jobs get the grace period
    CANCELLING = "cancelling"  # the grace period is over (or a second signal): jobs cancelled
    STOPPED = "stopped"
    ERROR = "error"  # the store failed, a job could not start: the scheduler goes on


@dataclass(frozen=True)
class Event:
    at: datetime
    kind: Kind
    text: str
    file: str | None = None  # absolute path
    job_id: int | None = None
    due: datetime | None = None  # the fire's time
    state: str | None = None  # of a finished job
    diagnostics: tuple = ()  # of an invalid file
    texts: dict = field(default_factory=dict)  # path -> text, to show the diagnostics' lines


def format_event(event: Event) -> str:
    """``2027-01-04T06:00:00.012Z fired      pipeline.orch "0 6 * * 1-5" (...): job 12``"""
    at = event.at.astimezone(timezone.utc)
    return f"{at:%Y-%m-%dT%H:%M:%S}.{at.microsecond // 1000:03d}Z {event.kind.value:<11} {event.text}"
