"""``orchdsl next FILE``: the next fire times of a file's schedules, merged and sorted."""

from __future__ import annotations

import sys
from datetime import datetime, timezone

from orchdsl.cli import exits
from orchdsl.cli.args import ArgumentParser
from orchdsl.cli.common import compile_or_report

MAX_COUNT = 10_000  # a per-second schedule asked for millions of fires would hang the command

DESCRIPTION = """\
The next fire times of every schedule of a file, merged and sorted (a wall time in a
spring-forward gap fires once at the end of the gap, a repeated fall-back time once, at its
first occurrence: docs/language.md, "Schedules"). One line per fire: the time in the schedule's zone with its offset,
the same instant in UTC, and the schedule.

--from takes an ISO 8601 time (2027-03-28T01:00:00+01:00, 2027-03-28T00:00Z, 2027-03-28);
a time without an offset is UTC. Fires are strictly after it.

examples:
  orchdsl next pipeline.orch
  orchdsl next pipeline.orch -n 10 --from 2027-10-30T00:00:00+02:00
  orchdsl next pipeline.orch --format json | jq '.fires[0].utc'
"""


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(prog="orchdsl next", description=DESCRIPTION)
    parser.add_argument("file", metavar="FILE", help="the .orch file")
    parser.add_argument("-n", dest="count", type=_count, default=5, metavar="N",
                        help=f"how many fires (default 5, at most {MAX_COUNT:,})")
    parser.add_argument("--from", dest="start", type=parse_from, metavar="ISO-TIME",
                        help="list fires strictly after this time (default: now)")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="output format (default: text)")
    return parser


def _count(text: str) -> int:
    import argparse

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 1 <= value <= MAX_COUNT:
        raise argparse.ArgumentTypeError(f"must be between 1 and {MAX_COUNT}, got {value}")
    return value


def parse_from(text: str) -> datetime:
    """An ISO 8601 time as an aware datetime; without an offset it is UTC."""
    import argparse

    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f'"{text}" is not an ISO 8601 time (like 2027-03-28T02:00:00+01:00, or '
            "2027-03-28T01:00:00 for UTC)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    compiled = compile_or_report(args.file, "next")
    if isinstance(compiled, int):
        return compiled
    from orchdsl.scheduling.schedule import merged_fires

    start = args.start or datetime.now(timezone.utc)
    schedules = compiled.orchestration.schedules
    if not schedules:
        sys.stderr.write(f"orchdsl next: {args.file} has no schedule: nothing fires\n")
        if args.format == "json":
            sys.stdout.write(_json(args.file, start, []))
        return exits.OK
    fires = merged_fires(schedules, start, args.count)
    sys.stdout.write(_json(args.file, start, fires) if args.format == "json" else _text(fires))
    if len(fires) < args.count:
        sys.stderr.write(f"orchdsl next: only {len(fires)} fire{'s' * (len(fires) != 1)} "
                         "before the end of year 9999\n")
    return exits.OK


def _text(fires) -> str:
    return "".join(f"{f.local.isoformat()}  {f.utc.replace(tzinfo=None).isoformat(' ')} UTC  "
                   f'"{f.cron}" timezone "{f.timezone}"\n' for f in fires)


def _json(path: str, start: datetime, fires) -> str:
    import json

    data = {"version": 1, "file": path, "from": _utc(start),
            "fires": [{"local": f.local.isoformat(), "utc": _utc(f.utc), "cron": f.cron,
                       "timezone": f.timezone} for f in fires]}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _utc(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
