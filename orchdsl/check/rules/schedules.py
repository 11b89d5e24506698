"""Schedules: cron, time zones, DST hours, and what a scheduled file should also have."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from orchdsl.lang import ast
from orchdsl.lang.diagnostics import Severity, suggest
from orchdsl.check.rules import Finding, rule
from orchdsl.scheduling.cron import cron_fields, hours_of, zone, zone_names



@rule("E103", "invalid-cron")
def invalid_cron(ctx):
    """A schedule's cron is not valid: 5 fields (minute hour day month weekday), 6 fields
    with **seconds first** (``*/10 * * * * *`` is every 10 s), or one of ``@hourly @daily
    @weekly @monthly @yearly``; or it can never fire (``0 0 30 2 *``).

    Bad:
        schedule "0 6 * * mon-fri *"
        schedule "0 25 * * *"

    Good:
        schedule "0 6 * * 1-5"
        schedule "*/30 * * * * *"
    """
    for schedule in ctx.orchestration.schedules:
        problem = cron_problem(schedule.cron.value)
        if problem:
            yield Finding(schedule.cron.span, problem,
                          'five fields "minute hour day month weekday", six with seconds first, '
                          "or @hourly/@daily/@weekly/@monthly/@yearly")


def cron_problem(expression: str) -> str | None:
    """Why a cron expression is unusable, or None."""
    fields = cron_fields(expression)
    if fields is None:
        return f'invalid cron "{expression}": unknown alias' if expression.strip().startswith("@") \
            else f'invalid cron "{expression}": {len(expression.split())} fields, expected 5 or 6'
    return _croniter_problem(" ".join(fields), len(fields) == 6, expression)


@lru_cache(maxsize=256)
def _croniter_problem(expression: str, seconds: bool, shown: str) -> str | None:
    from croniter import croniter
    from croniter.croniter import CroniterBadDateError, CroniterError

    try:
        croniter(expression, datetime(2025, 1, 1), second_at_beginning=seconds,
                 max_years_between_matches=8).get_next(datetime)
    except CroniterBadDateError:
        return f'cron "{shown}" never fires'
    except (CroniterError, ValueError, KeyError, OverflowError, TypeError) as exc:
        six = " (6 fields: the first is seconds)" if seconds else ""
        return f'invalid cron "{shown}"{six}: {_bad_field(expression, seconds) or exc}'
    return None


FIELDS_5 = ("minute", "hour", "day of month", "month", "day of week")
FIELDS_6 = ("second",) + FIELDS_5


def _bad_field(expression: str, seconds: bool) -> str | None:
    """Which field croniter refuses: each is tried alone, the others as "*"."""
    from croniter import croniter

    fields = expression.split()
    names = FIELDS_6 if seconds else FIELDS_5
    for index, field in enumerate(fields):
        alone = ["*"] * len(fields)
        alone[index] = field
        if not croniter.is_valid(" ".join(alone), second_at_beginning=seconds):
            return f'the {names[index]} field "{field}" is not valid'
    return None


@rule("E104", "unknown-timezone")
def unknown_timezone(ctx):
    """A schedule's ``timezone`` is not an IANA time zone name (from the tz database shipped
    with the ``tzdata`` package, so it works the same on every machine).

    Bad:
        schedule "0 6 * * 1-5" timezone "Europe/Praha"
        schedule "0 6 * * 1-5" timezone "CEST"

    Good:
        schedule "0 6 * * 1-5" timezone "Europe/Prague"
    """
    for schedule in ctx.orchestration.schedules:
        option = schedule.option("timezone")
        if option is None or not isinstance(option.value, ast.StringLit):
            continue
        name = option.value.value
        if zone(name) is None:
            help, fix = suggest(name, zone_names(), option.value.span, lambda z: f'"{z}"')
            yield Finding(option.value.span, f'unknown time zone "{name}"',
                          help or 'use an IANA name like "Europe/Prague" or "America/New_York"',
                          fix=fix)


@rule("W204", "schedule-without-error-notification", Severity.WARNING)
def schedule_without_error_notification(ctx):
    """The orchestration runs on a schedule but no ``notify`` clause names the ``error`` event,
    so a failing night run tells nobody. Keboola's tutorial: "set at least the error
    notification".

    Bad:
        schedule "0 6 * * 1-5" timezone "Europe/Prague"

    Good:
        schedule "0 6 * * 1-5" timezone "Europe/Prague"
        notify error to "ops@example.com"
    """
    orchestration = ctx.orchestration
    if not orchestration.schedules:
        return
    if any(e.text == "error" for n in orchestration.notifications for e in n.events):
        return
    first = orchestration.schedules[0]
    yield Finding(first.span, "scheduled orchestration has no error notification",
                  'add: notify error to "you@example.com"')


@rule("W207", "schedule-in-dst-hour", Severity.WARNING)
def schedule_in_dst_hour(ctx):
    """A schedule fires at a local time that daylight saving time skips or repeats in its
    zone within the next year (in most of Europe and North America a night hour between 01:00
    and 03:00). On the spring-forward night such a run moves to the first instant after the gap,
    and on the fall-back night it runs once, at the first occurrence: the interval between
    runs changes twice a year. Pick another time, or use UTC. Schedules that fire every hour or
    more often are not reported: they do not choose a night hour.

    Bad:
        schedule "30 2 * * *" timezone "Europe/Prague"

    Good:
        schedule "30 4 * * *" timezone "Europe/Prague"
        schedule "30 2 * * *" timezone "UTC"
    """
    from orchdsl.scheduling.cron import fires_within, shifts

    for schedule in ctx.orchestration.schedules:
        fields = cron_fields(schedule.cron.value)
        if not fields or hours_of(fields) is None or cron_problem(schedule.cron.value):
            continue
        for shift in shifts(schedule.timezone, ctx.now):
            fire = fires_within(schedule.cron.value, shift.start, shift.end)
            if fire is not None:
                what = "skips" if shift.skipped else "repeats"
                yield Finding(schedule.cron.span,
                              f"schedule fires at {fire:%H:%M} on {fire:%Y-%m-%d} in "
                              f'"{schedule.timezone}", a time that daylight saving time {what}',
                              "move it out of the DST change, or schedule in UTC")
                break


@rule("W208", "retries-without-timeout", Severity.WARNING)
def retries_without_timeout(ctx):
    """A task of a scheduled orchestration has ``retries`` but no ``timeout``: a run that hangs
    is never retried, it just blocks every later phase (and, with ``overlap queue``, the next
    scheduled runs) until someone notices.

    Bad:
        task crm extractor run "python crm.py" retries 2 backoff 30s

    Good:
        task crm extractor run "python crm.py" retries 2 backoff 30s timeout 10m
    """
    if not ctx.is_scheduled:
        return
    for task in ctx.orchestration.tasks:
        retries = task.retries
        if retries is not None and task.timeout is None:
            yield Finding(retries.span, f'task "{task.name.text}" retries but has no timeout',
                          "add a timeout, like: timeout 10m")
