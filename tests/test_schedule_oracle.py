"""A year of fire times against an independent oracle (LANGUAGE.md 5.7).

The oracle walks every UTC minute of 2027, reads the zone's wall clock with zoneinfo and applies
the spec's rules by itself, without croniter and without the ``fold`` attribute:
- the wall clock jumped forward (a spring-forward gap): the cron fires once at this instant
  when it matches any wall minute that was jumped over (or the one reached);
- the wall clock shows a minute it already showed (fall-back): it does not fire again;
- otherwise it fires when the wall minute matches.
The scheduler's way of walking (``Schedule.next_after``, one fire after the other, as the
daemon's table does) and ``next_fires`` in one go must both give exactly the oracle's list.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

import pytest

from cron_oracle import matcher
from orchdsl.scheduling.cron import next_fires
from orchdsl.scheduling.schedule import Schedule

UTC = timezone.utc
MINUTE = timedelta(minutes=1)
START = datetime(2027, 1, 1, tzinfo=UTC)
END = datetime(2028, 1, 1, tzinfo=UTC)

DAILY, WEEKDAYS, HOURLY = "30 2 * * *", "0 6 * * 1-5", "0 * * * *"
CASES = [
    # Europe: 02:00 -> 03:00 on 2027-03-28, 03:00 -> 02:00 on 2027-10-31
    ("Europe/Prague", DAILY), ("Europe/Prague", WEEKDAYS), ("Europe/Prague", HOURLY),
    # US: 02:00 -> 03:00 on 2027-03-14, 02:00 -> 01:00 on 2027-11-07 (the repeat is 01:xx)
    ("America/New_York", DAILY), ("America/New_York", "30 1 * * *"),
    ("America/New_York", WEEKDAYS), ("America/New_York", HOURLY),
    # southern hemisphere: 03:00 -> 02:00 on 2027-04-04, 02:00 -> 03:00 on 2027-10-03
    ("Australia/Sydney", DAILY), ("Australia/Sydney", WEEKDAYS), ("Australia/Sydney", HOURLY),
]


@lru_cache(maxsize=4)
def wall_clock(zone_name: str) -> tuple[tuple[datetime, datetime], ...]:
    """(UTC minute, the zone's wall time then, naive) for every minute of the year."""
    tz = ZoneInfo(zone_name)
    readings, t = [], START
    while t < END:
        readings.append((t, t.astimezone(tz).replace(tzinfo=None)))
        t += MINUTE
    return tuple(readings)


def oracle(cron: str, zone_name: str) -> list[datetime]:
    matches, tz = matcher(cron), ZoneInfo(zone_name)
    fires, latest_wall = [], None
    for instant, wall in wall_clock(zone_name):
        if latest_wall is None:
            fire = matches(wall)
        elif wall <= latest_wall:  # shown before: the second pass of a fall-back hour
            fire = False
        elif wall - latest_wall > MINUTE:  # jumped over a gap
            skipped = latest_wall + MINUTE
            fire = False
            while skipped <= wall and not fire:
                fire, skipped = matches(skipped), skipped + MINUTE
        else:
            fire = matches(wall)
        if fire:
            fires.append(instant.astimezone(tz))
        latest_wall = wall if latest_wall is None else max(latest_wall, wall)
    return fires


def iso(fires) -> list[str]:
    return [f.isoformat() for f in fires]


def transitions(zone_name: str) -> list[datetime]:
    readings = wall_clock(zone_name)
    return [t for (t, wall), (_, following) in zip(readings, readings[1:])
            if following - wall != MINUTE]


@pytest.mark.parametrize("zone_name", ["Europe/Prague", "America/New_York", "Australia/Sydney"])
def test_each_zone_changes_twice_in_the_year(zone_name):
    assert len(transitions(zone_name)) == 2


@pytest.mark.slow  # a year of fires, minute by minute
@pytest.mark.parametrize("zone_name, cron", CASES)
def test_a_year_of_fires_agrees_with_the_oracle(zone_name, cron):
    expected = oracle(cron, zone_name)
    assert len(expected) > 250
    tz = ZoneInfo(zone_name)
    # all at once, as `orchdsl next` and the dry run ask
    assert iso(next_fires(cron, tz, START - MINUTE, len(expected))) == iso(expected)
    # one after the other, as the scheduler's table walks
    schedule, walked, moment = Schedule(cron, zone_name), [], START - MINUTE
    while len(walked) < len(expected):
        moment = schedule.next_after(moment)
        walked.append(moment)
    assert iso(walked) == iso(expected)


@pytest.mark.slow  # a year of fires, minute by minute
@pytest.mark.parametrize("zone_name, cron", CASES)
def test_from_any_instant_near_a_transition_the_next_fires_agree(zone_name, cron):
    """Asked from every 5 minutes of the 3 hours either side of each DST change, and from
    just before, at and just after a sample of fires."""
    expected = oracle(cron, zone_name)
    instants = [f.astimezone(UTC) for f in expected]
    probes = [t + timedelta(minutes=m) for t in transitions(zone_name)
              for m in range(-180, 181, 5)]
    for fire in instants[:-3:max(1, len(instants) // 60)]:
        probes.extend((fire - timedelta(seconds=1), fire, fire + timedelta(seconds=1)))
    wrong = []
    for after in probes:
        want = [f for f, i in zip(expected, instants) if i > after][:3]
        got = next_fires(cron, ZoneInfo(zone_name), after, len(want))
        if iso(got) != iso(want):
            wrong.append(f"after {after.isoformat()}: got {iso(got)}, want {iso(want)}")
    assert wrong == []


@pytest.mark.parametrize("zone_name, cron, day, fires", [
    # spring forward: the gap's 02:30 fires once, at the end of the gap
    ("Europe/Prague", DAILY, "2027-03-28", ["2027-03-28T03:00:00+02:00"]),
    ("America/New_York", DAILY, "2027-03-14", ["2027-03-14T03:00:00-04:00"]),
    ("Australia/Sydney", DAILY, "2027-10-03", ["2027-10-03T03:00:00+11:00"]),
    # fall back: the repeated time fires once, at its first occurrence
    ("Europe/Prague", DAILY, "2027-10-31", ["2027-10-31T02:30:00+02:00"]),
    ("America/New_York", "30 1 * * *", "2027-11-07", ["2027-11-07T01:30:00-04:00"]),
    ("Australia/Sydney", DAILY, "2027-04-04", ["2027-04-04T02:30:00+11:00"]),
    # hourly on the long day: 02:00 once (the first), then 03:00 standard time
    ("Europe/Prague", HOURLY, "2027-10-31",
     ["2027-10-31T00:00:00+02:00", "2027-10-31T01:00:00+02:00", "2027-10-31T02:00:00+02:00",
      "2027-10-31T03:00:00+01:00"]),
    # hourly on the short day: no 02:00; 03:00 once
    ("Europe/Prague", HOURLY, "2027-03-28",
     ["2027-03-28T00:00:00+01:00", "2027-03-28T01:00:00+01:00", "2027-03-28T03:00:00+02:00",
      "2027-03-28T04:00:00+02:00"]),
])
def test_the_oracle_on_both_transitions(zone_name, cron, day, fires):
    """The oracle itself, on the days that matter (checked by hand)."""
    on_day = [f for f in oracle(cron, zone_name) if f.date().isoformat() == day]
    assert iso(on_day)[:len(fires)] == fires
