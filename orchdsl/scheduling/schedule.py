"""A schedule as the scheduler reads it, and its fire times (LANGUAGE.md 3 and 5.7).

Fire times come from ``orchdsl.scheduling.cron.next_fires`` (croniter on the zone's wall clock, with the
spec's DST rules), so ``orchdsl next``, ``run --dry-run`` and the scheduler always agree.
"""

from __future__ import annotations

import enum
import heapq
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from orchdsl.lang import ast
from orchdsl.scheduling.cron import next_fires, zone

# How far back catch-up looks for the most recent missed fire, widening until one is found:
# each window holds few fires when the one before held none, so the walk stays short even for
# a per-second cron after a week down.
_LOOKBACK = (timedelta(seconds=2), timedelta(minutes=1), timedelta(hours=1), timedelta(days=1),
             timedelta(days=32), timedelta(days=366), timedelta(days=366 * 8))


class Overlap(str, enum.Enum):
    QUEUE = "queue"
    SKIP = "skip"


class Catchup(str, enum.Enum):
    NONE = "none"
    LAST = "last"


@dataclass(frozen=True)
class Schedule:
    cron: str  # as written
    timezone: str
    overlap: Overlap = Overlap.QUEUE
    catchup: Catchup = Catchup.NONE

    @classmethod
    def of(cls, node: ast.Schedule) -> Schedule:
        overlap, catchup = node.option("overlap"), node.option("catchup")
        return cls(node.cron.value, node.timezone,
                   Overlap(overlap.value.text) if overlap else Overlap.QUEUE,
                   Catchup(catchup.value.text) if catchup else Catchup.NONE)

    @property
    def zone(self):
        return zone(self.timezone)

    def shown(self) -> str:
        return f'"{self.cron}" timezone "{self.timezone}"'

    def next_after(self, moment: datetime) -> datetime:
        """The first fire strictly after ``moment`` (aware), in the schedule's zone."""
        return next_fires(self.cron, self.zone, moment, 1)[0]

    def latest_in(self, since: datetime | None, until: datetime) -> datetime | None:
        """The most recent fire in (since, until], or None (for ``catchup last``)."""
        until = until.astimezone(timezone.utc)
        since = since.astimezone(timezone.utc) if since is not None else None
        for window in _LOOKBACK:
            start = until - window if since is None else max(since, until - window)
            latest, moment = None, start
            while (fire := self.next_after(moment).astimezone(timezone.utc)) <= until:
                latest, moment = fire, fire
            if latest is not None or start == since:
                return latest
        return None


def schedules_of(orchestration: ast.Orchestration) -> dict[str, Schedule]:
    """A file's schedules by the key their last fire is stored under: the cron text
    (LANGUAGE.md 7). When the same cron text is used in several zones, each schedule outside
    UTC is keyed ``<cron> timezone <zone>``; the very same schedule written twice fires
    once."""
    schedules = [Schedule.of(node) for node in orchestration.schedules]
    zones: dict[str, set[str]] = {}
    for schedule in schedules:
        zones.setdefault(schedule.cron, set()).add(schedule.timezone)
    found: dict[str, Schedule] = {}
    for schedule in schedules:
        # Independent of the order in the file (reordering must not swap stored last
        # fires): the plain cron text unless that text is used in several zones, and then
        # still for UTC.
        key = schedule.cron
        if len(zones[schedule.cron]) > 1 and schedule.timezone != "UTC":
            key = f"{schedule.cron} timezone {schedule.timezone}"
        found.setdefault(key, schedule)
    return found


@dataclass(frozen=True)
class Fire:
    local: datetime  # in the schedule's zone
    cron: str
    timezone: str

    @property
    def utc(self) -> datetime:
        return self.local.astimezone(timezone.utc)


def merged_fires(nodes, start: datetime, count: int) -> list[Fire]:
    """The first ``count`` fires of all the schedules strictly after ``start``, sorted by
    instant (schedules in file order on a tie)."""
    streams = []
    for node in nodes:
        schedule = Schedule.of(node)
        streams.append([(f.astimezone(timezone.utc), i, Fire(f, schedule.cron, schedule.timezone))
                        for i, f in enumerate(next_fires(schedule.cron, schedule.zone, start,
                                                         count))])
    merged = heapq.merge(*([(utc, n, i, fire) for utc, i, fire in stream]
                           for n, stream in enumerate(streams)))
    return [fire for _, _, _, fire in merged][:count]
