"""Cron expressions: their fields, the hours they name, and their fire times in a time zone.

Fire times follow LANGUAGE.md 5.7. croniter walks the *wall clock* of the zone (naive local
times, so a repeated fall-back hour is seen once), and each wall time becomes an instant:
- a wall time that does not exist (the spring-forward gap) fires once, at the first instant
  after the gap (``30 2 * * *`` in Europe/Prague on 2027-03-28 fires at 03:00 CEST);
- a wall time that exists twice (fall-back) fires once, at its first occurrence (``fold=0``).
Two wall times that land on the same instant (02:00 and 02:30 in the gap) fire once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache

ALIASES = {
    "@hourly": "0 * * * *", "@daily": "0 0 * * *", "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0", "@monthly": "0 0 1 * *", "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}


def cron_fields(expression: str) -> list[str] | None:
    """The 5 or 6 fields of a cron (aliases expanded), or None when the count is wrong."""
    text = expression.strip()
    if text.startswith("@"):
        text = ALIASES.get(text.lower(), "")
    fields = text.split()
    return fields if len(fields) in (5, 6) else None


def hours_of(fields: list[str]) -> frozenset[int] | None:
    """The hours a cron fires in, or None when it fires in every hour or cannot be read."""
    hour = fields[2] if len(fields) == 6 else fields[1]
    found: set[int] = set()
    try:
        for part in hour.split(","):
            part, _, step = part.partition("/")
            if part.startswith(("*", "H")):
                return None  # all day long (``*/2`` too): not a choice of a night hour
            if "-" in part:
                low, high = (int(x) for x in part.split("-", 1))
            else:
                low = high = int(part)
                if step:
                    high = 23
            found.update(range(low, high + 1, int(step) if step else 1))
    except ValueError:
        return None
    return frozenset(h for h in found if 0 <= h <= 23) or None


def next_fires(expression: str, zone, after: datetime, count: int) -> list[datetime]:
    """The next ``count`` fire times strictly after ``after`` (aware), as aware datetimes in
    ``zone``; fewer when the calendar ends first (year 9999). The expression must be valid
    (see rule E103)."""
    from croniter import croniter

    fields = cron_fields(expression)
    assert fields is not None, f"invalid cron {expression!r}"
    # Wall times after the local reading of ``after``; an instant at or before ``after`` (the
    # first occurrence of a repeated hour already passed) is dropped below.
    local_after = after.astimezone(zone).replace(tzinfo=None)
    walker = croniter(" ".join(fields), local_after, second_at_beginning=len(fields) == 6)
    fires: list[datetime] = []
    last = after
    while len(fires) < count:
        try:
            instant = to_instant(walker.get_next(datetime), zone)
        except (ValueError, OverflowError):
            break  # past the end of the calendar (year 9999): fewer fires than asked
        if instant > last:
            fires.append(instant)
            last = instant
    return fires


def to_instant(wall: datetime, zone) -> datetime:
    """The instant a wall time of ``zone`` fires at (see the module's docstring)."""
    first = wall.replace(tzinfo=zone, fold=0)
    if _exists(first):
        return first
    # In the gap: fold=1 reads the wall time with the offset after the transition and fold=0
    # with the one before; the transition instant lies between the two readings.
    low = wall.replace(tzinfo=zone, fold=1).astimezone(timezone.utc)
    high = first.astimezone(timezone.utc)
    low, high = min(low, high), max(low, high)
    moment = _change(zone, low, high, high.astimezone(zone).utcoffset(), timedelta(seconds=1))
    return moment.replace(microsecond=0).astimezone(zone)


def _change(zone, low: datetime, high: datetime, offset_after, precision: timedelta) -> datetime:
    """The first instant (to ``precision``) in (low, high] at which ``zone`` has ``offset_after``,
    by bisection: the offset changes once between the two."""
    while high - low > precision:
        middle = low + (high - low) / 2
        if middle.astimezone(zone).utcoffset() == offset_after:
            high = middle
        else:
            low = middle
    return high


def _exists(aware: datetime) -> bool:
    back = aware.astimezone(timezone.utc).astimezone(aware.tzinfo)
    return back.replace(tzinfo=None) == aware.replace(tzinfo=None)


@dataclass(frozen=True)
class Shift:
    """A daylight saving change: local wall times in [start, end) are skipped (spring) or
    happen twice (fall)."""

    start: datetime  # naive local
    end: datetime
    skipped: bool


def shifts(zone_name: str, since: datetime, days: int = 366) -> tuple[Shift, ...]:
    """The DST changes of a zone in the ``days`` after ``since`` (aware)."""
    return _shifts(zone_name, since.astimezone(timezone.utc).replace(minute=0, second=0,
                                                                    microsecond=0), days)


@lru_cache(maxsize=64)
def _shifts(zone_name: str, start: datetime, days: int) -> tuple[Shift, ...]:
    tz = zone(zone_name)
    if tz is None:
        return ()
    found = []
    step = timedelta(hours=1)
    instant, offset = start, start.astimezone(tz).utcoffset()
    for _ in range(days * 24):
        following = instant + step
        new_offset = following.astimezone(tz).utcoffset()
        if new_offset != offset:
            found.append(_shift_between(tz, instant, following, offset, new_offset))
        instant, offset = following, new_offset
    return tuple(found)


def _shift_between(tz, low: datetime, high: datetime, before, after) -> Shift:
    moment = _change(tz, low, high, after, timedelta(minutes=1)).replace(second=0, microsecond=0)
    wall_before, wall_after = (moment + before).replace(tzinfo=None), (moment + after).replace(tzinfo=None)
    if after > before:
        return Shift(wall_before, wall_after, True)
    return Shift(wall_after, wall_before, False)


def fires_within(expression: str, start: datetime, end: datetime) -> datetime | None:
    """The first wall time of the cron in [start, end) (naive), or None."""
    from croniter import croniter

    fields = cron_fields(expression)
    if fields is None:
        return None
    walker = croniter(" ".join(fields), start - timedelta(seconds=1),
                      second_at_beginning=len(fields) == 6)
    first = walker.get_next(datetime)
    return first if first < end else None


def zone(name: str):
    """The ZoneInfo of an IANA name from the tzdata package's list, or None. System-only names
    ("localtime", "posix/...", "right/...") are refused: a file must mean the same time on
    every machine."""
    from zoneinfo import ZoneInfo

    if name not in zone_names():
        return None
    try:
        return ZoneInfo(name)
    except Exception:  # ZoneInfoNotFoundError, ValueError: a broken installation
        return None


@lru_cache(maxsize=1)
def zone_names() -> frozenset[str]:
    from importlib import resources

    return frozenset(resources.files("tzdata").joinpath("zones").read_text("utf-8").split())
