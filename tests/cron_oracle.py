"""The part of the schedule oracles that reads a cron expression, written without croniter:
which wall minutes a 5-field cron (``*`` for day of month and month) matches. Shared by
tests/test_cron.py and tests/test_schedule_oracle.py."""

from __future__ import annotations

from datetime import datetime


def field_values(field: str, low: int, high: int) -> set[int]:
    values: set[int] = set()
    for part in field.split(","):
        part, _, step = part.partition("/")
        if part == "*":
            first, last = low, high
        elif "-" in part:
            first, last = (int(x) for x in part.split("-"))
        else:
            first = last = int(part)
        values.update(range(first, last + 1, int(step) if step else 1))
    return values


def matcher(cron: str):
    """minute, hour and day of week of a 5-field cron (day of month and month ``*``)."""
    minute, hour, dom, month, dow = cron.split()
    assert (dom, month) == ("*", "*")
    minutes, hours = field_values(minute, 0, 59), field_values(hour, 0, 23)
    days = {d % 7 for d in field_values(dow, 0, 7)}  # 0 and 7 are Sunday

    def matches(wall: datetime) -> bool:
        return (wall.minute in minutes and wall.hour in hours
                and (wall.isoweekday() % 7) in days)
    return matches
