"""orchdsl.scheduling.cron: fire times in a time zone (LANGUAGE.md 3 and 5.7).

The DST examples of the spec are checked exactly; a couple of months of some schedules are
checked against an independent oracle: a brute-force walk over every UTC minute, each converted
to the zone with zoneinfo, applying the spec's two rules (a wall time in a spring-forward gap
fires once at the first instant after the gap; a repeated wall time fires once, at its first
occurrence).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from cron_oracle import matcher
from orchdsl.scheduling.cron import cron_fields, hours_of, next_fires, zone

UTC = timezone.utc
PRAGUE = ZoneInfo("Europe/Prague")


def iso(fires) -> list[str]:
    return [f.isoformat() for f in fires]


def utc(fires) -> list[str]:
    return [f.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") for f in fires]


# --- the spec's examples ---------------------------------------------------------------------

def test_spring_forward_fires_at_the_end_of_the_gap():
    fires = next_fires("30 2 * * *", PRAGUE, datetime(2027, 3, 27, 12, tzinfo=UTC), 3)
    assert iso(fires) == ["2027-03-28T03:00:00+02:00", "2027-03-29T02:30:00+02:00",
                          "2027-03-30T02:30:00+02:00"]


def test_fall_back_fires_once_at_the_first_occurrence():
    fires = next_fires("30 2 * * *", PRAGUE, datetime(2027, 10, 30, 12, tzinfo=UTC), 3)
    assert iso(fires) == ["2027-10-31T02:30:00+02:00", "2027-11-01T02:30:00+01:00",
                          "2027-11-02T02:30:00+01:00"]
    assert utc(fires)[0] == "2027-10-31 00:30:00"


@pytest.mark.parametrize("after", [
    datetime(2027, 10, 31, 0, 30, tzinfo=UTC),   # exactly the first 02:30
    datetime(2027, 10, 31, 1, 15, tzinfo=UTC),   # 02:15 the second time round
    datetime(2027, 10, 31, 1, 30, tzinfo=UTC),   # the second 02:30
])
def test_the_second_occurrence_of_a_repeated_time_never_fires(after):
    assert iso(next_fires("30 2 * * *", PRAGUE, after, 1)) == ["2027-11-01T02:30:00+01:00"]


@pytest.mark.parametrize("after, expected", [
    (datetime(2027, 3, 27, 12, tzinfo=UTC), ["2027-03-28T03:00:00+02:00", "2027-03-29T02:30:15+02:00"]),
    (datetime(2027, 10, 30, 12, tzinfo=UTC), ["2027-10-31T02:30:15+02:00", "2027-11-01T02:30:15+01:00"]),
])
def test_seconds_first_cron_across_dst(after, expected):
    assert iso(next_fires("15 30 2 * * *", PRAGUE, after, 2)) == expected


def test_wall_times_in_one_gap_fire_once():
    fires = next_fires("*/20 2,3 * * *", PRAGUE, datetime(2027, 3, 28, 0, tzinfo=UTC), 4)
    assert iso(fires) == ["2027-03-28T03:00:00+02:00", "2027-03-28T03:20:00+02:00",
                          "2027-03-28T03:40:00+02:00", "2027-03-29T02:00:00+02:00"]


@pytest.mark.parametrize("cron, after, expected", [
    # Quartz order: seconds first
    ("*/10 * * * * *", "2027-01-01T12:00:05+00:00",
     ["2027-01-01T12:00:10+00:00", "2027-01-01T12:00:20+00:00", "2027-01-01T12:00:30+00:00"]),
    ("30 0 12 * * *", "2027-01-01T12:00:30+00:00",
     ["2027-01-02T12:00:30+00:00", "2027-01-03T12:00:30+00:00", "2027-01-04T12:00:30+00:00"]),
    ("0 0 * * * *", "2027-01-01T23:59:59+00:00",
     ["2027-01-02T00:00:00+00:00", "2027-01-02T01:00:00+00:00", "2027-01-02T02:00:00+00:00"]),
    ("15 30 6 * * 1-5", "2027-01-01T00:00:00+00:00",  # 2027-01-01 is a Friday
     ["2027-01-01T06:30:15+00:00", "2027-01-04T06:30:15+00:00", "2027-01-05T06:30:15+00:00"]),
    ("@daily", "2027-01-01T12:00:00+00:00",
     ["2027-01-02T00:00:00+00:00", "2027-01-03T00:00:00+00:00", "2027-01-04T00:00:00+00:00"]),
    ("@hourly", "2027-01-01T12:00:00+00:00",
     ["2027-01-01T13:00:00+00:00", "2027-01-01T14:00:00+00:00", "2027-01-01T15:00:00+00:00"]),
    ("@weekly", "2027-01-01T12:00:00+00:00",
     ["2027-01-03T00:00:00+00:00", "2027-01-10T00:00:00+00:00", "2027-01-17T00:00:00+00:00"]),
    ("@monthly", "2027-01-01T00:00:00+00:00",
     ["2027-02-01T00:00:00+00:00", "2027-03-01T00:00:00+00:00", "2027-04-01T00:00:00+00:00"]),
    ("@yearly", "2027-01-01T00:00:00+00:00",
     ["2028-01-01T00:00:00+00:00", "2029-01-01T00:00:00+00:00", "2030-01-01T00:00:00+00:00"]),
    ("0 6 * * 1-5", "2027-01-01T06:00:00+00:00",
     ["2027-01-04T06:00:00+00:00", "2027-01-05T06:00:00+00:00", "2027-01-06T06:00:00+00:00"]),
])
def test_fires_in_utc(cron, after, expected):
    assert iso(next_fires(cron, UTC, datetime.fromisoformat(after), 3)) == expected


def test_at_daily_in_a_zone_follows_its_midnight():
    fires = next_fires("@daily", PRAGUE, datetime(2027, 10, 30, 12, tzinfo=UTC), 3)
    assert iso(fires) == ["2027-10-31T00:00:00+02:00", "2027-11-01T00:00:00+01:00",
                          "2027-11-02T00:00:00+01:00"]


@pytest.mark.parametrize("after", [
    datetime(2027, 6, 1, 6, 0, tzinfo=PRAGUE),
    datetime(2027, 6, 1, 4, 0, tzinfo=UTC),
    datetime(2027, 6, 1, 9, 0, tzinfo=timezone(timedelta(hours=5))),
])
def test_fires_are_strictly_after_after(after):
    """``after`` is one instant (06:00 in Prague) written three ways; a fire at exactly that
    instant is not "after" it."""
    assert iso(next_fires("0 6 * * *", PRAGUE, after, 2)) == [
        "2027-06-02T06:00:00+02:00", "2027-06-03T06:00:00+02:00"]


def test_one_second_before_a_fire_gets_that_fire():
    after = datetime(2027, 6, 1, 3, 59, 59, tzinfo=UTC)
    assert iso(next_fires("0 6 * * *", PRAGUE, after, 1)) == ["2027-06-01T06:00:00+02:00"]


def test_fires_are_in_the_zone():
    for fire in next_fires("0 5 * * 1", ZoneInfo("America/Chicago"),
                           datetime(2027, 3, 1, tzinfo=UTC), 4):
        assert fire.tzinfo == ZoneInfo("America/Chicago")
        assert fire.utcoffset() == fire.astimezone(UTC).astimezone(fire.tzinfo).utcoffset()


# --- an independent oracle -------------------------------------------------------------------

def oracle(cron: str, tz: ZoneInfo, start: datetime, end: datetime) -> list[datetime]:
    """Every fire in (start, end], walking UTC minutes."""
    matches = matcher(cron)
    fires = []
    t = start.astimezone(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
    previous_wall = (t - timedelta(minutes=1)).astimezone(tz).replace(tzinfo=None)
    while t <= end:
        local = t.astimezone(tz)
        wall = local.replace(tzinfo=None)
        if wall - previous_wall > timedelta(minutes=1):  # jumped over a gap
            skipped = previous_wall + timedelta(minutes=1)
            fire = False
            while skipped <= wall:
                fire = fire or matches(skipped)
                skipped += timedelta(minutes=1)
        else:
            fire = local.fold == 0 and matches(wall)
        if fire:
            fires.append(local)
        previous_wall = wall
        t += timedelta(minutes=1)
    return fires


WINDOWS = [
    ("0 * * * *", "Europe/Prague", "2027-03-01", "2027-04-30"),
    ("30 2 * * *", "Europe/Prague", "2027-09-15", "2027-11-15"),
    ("30 2 * * *", "Europe/Prague", "2027-03-01", "2027-04-30"),
    ("0 * * * *", "Europe/Prague", "2027-10-01", "2027-11-30"),
    ("*/20 1-3 * * *", "America/New_York", "2027-03-01", "2027-03-31"),
    ("*/20 1-3 * * *", "America/New_York", "2027-10-25", "2027-11-25"),
    ("0 0 * * *", "America/Santiago", "2027-03-15", "2027-04-30"),
    ("0 0 * * *", "America/Santiago", "2027-08-15", "2027-09-30"),
    ("*/15 1-2 * * *", "Australia/Lord_Howe", "2027-03-20", "2027-04-20"),
    ("*/15 1-2 * * *", "Australia/Lord_Howe", "2027-09-20", "2027-10-20"),
    ("0 6 * * 1-5", "Europe/Prague", "2027-03-01", "2027-04-30"),
]


def transitions(tz: ZoneInfo, start: datetime, end: datetime) -> list[datetime]:
    """The UTC instants (to the hour) in [start, end] after which the zone's offset changes."""
    found, t = [], start
    while t < end:
        if t.astimezone(tz).utcoffset() != (t + timedelta(hours=1)).astimezone(tz).utcoffset():
            found.append(t)
        t += timedelta(hours=1)
    return found


def probes(expected: list[datetime], tz: ZoneInfo, start: datetime, end: datetime):
    """``after`` instants (UTC) to ask from: just before, at and just after a sample of the
    fires, and every 5 minutes for 3 hours either side of each DST transition."""
    step = max(1, len(expected) // 100)
    for fire in expected[:-3:step]:
        fire = fire.astimezone(UTC)
        yield from (fire - timedelta(seconds=1), fire, fire + timedelta(seconds=1))
    for moment in transitions(tz, start, end):
        for minutes in range(-180, 181, 5):
            yield moment + timedelta(minutes=minutes)


@pytest.mark.parametrize("cron, tz_name, first, last", WINDOWS)
def test_fires_agree_with_a_minute_by_minute_oracle(cron, tz_name, first, last):
    tz = ZoneInfo(tz_name)
    start = datetime.fromisoformat(first).replace(tzinfo=UTC)
    end = datetime.fromisoformat(last).replace(tzinfo=UTC)
    expected = oracle(cron, tz, start, end)
    assert len(expected) > 20
    assert len(transitions(tz, start, end)) == 1  # every window crosses one DST change
    # from the start of the window: every fire of the window
    assert iso(next_fires(cron, tz, start, len(expected))) == iso(expected)
    # Aware datetimes of one zone compare and add as wall times in Python: compare in UTC.
    instants = [f.astimezone(UTC) for f in expected]
    wrong = []
    for after in probes(expected, tz, start, end):
        want = [f for f, i in zip(expected, instants) if i > after][:3]
        got = next_fires(cron, tz, after, len(want))
        if iso(got) != iso(want):
            wrong.append(f"after {after.isoformat()}: got {iso(got)}, want {iso(want)}")
    assert wrong == []


def test_the_oracle_sees_the_spec_examples():
    """The oracle itself, on the spec's two DST examples."""
    spring = oracle("30 2 * * *", PRAGUE, datetime(2027, 3, 27, 12, tzinfo=UTC),
                    datetime(2027, 3, 29, 12, tzinfo=UTC))
    fall = oracle("30 2 * * *", PRAGUE, datetime(2027, 10, 30, 12, tzinfo=UTC),
                  datetime(2027, 11, 1, 12, tzinfo=UTC))
    assert iso(spring) == ["2027-03-28T03:00:00+02:00", "2027-03-29T02:30:00+02:00"]
    assert iso(fall) == ["2027-10-31T02:30:00+02:00", "2027-11-01T02:30:00+01:00"]


# --- fields and zones ------------------------------------------------------------------------

@pytest.mark.parametrize("expression, fields", [
    ("0 6 * * 1-5", ["0", "6", "*", "*", "1-5"]),
    ("  */10 * * * * *  ", ["*/10", "*", "*", "*", "*", "*"]),
    ("@daily", ["0", "0", "*", "*", "*"]),
    ("@HOURLY", ["0", "*", "*", "*", "*"]),
    ("@weekly", ["0", "0", "*", "*", "0"]),
    ("@monthly", ["0", "0", "1", "*", "*"]),
    ("@yearly", ["0", "0", "1", "1", "*"]),
    ("@sometimes", None),
    ("* * * *", None),
    ("* * * * * * *", None),
    ("", None),
])
def test_cron_fields(expression, fields):
    assert cron_fields(expression) == fields


@pytest.mark.parametrize("expression, hours", [
    ("30 2 * * *", {2}),
    ("0 1-3 * * *", {1, 2, 3}),
    ("0 1,5 * * *", {1, 5}),
    ("0 20/2 * * *", {20, 22}),
    ("0 30 2 * * *", {2}),      # 6 fields: the hour is the third
    ("0 * * * *", None),
    ("0 */2 * * *", None),
])
def test_hours_of(expression, hours):
    found = hours_of(cron_fields(expression))
    assert (set(found) if found is not None else None) == hours


@pytest.mark.parametrize("name, found", [
    ("Europe/Prague", True), ("UTC", True), ("America/Chicago", True),
    ("Europe/Nowhere", False), ("Europe", False), ("", False), ("../etc/passwd", False),
    ("/etc/localtime", False), (" UTC", False),
])
def test_zone(name, found):
    assert (zone(name) is not None) == found
