"""``orchdsl next PATH...``: the next fire times of the schedules of files and folders, merged
and sorted."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from orchdsl.cli import exits
from orchdsl.cli.args import ArgumentParser
from orchdsl.cli.common import compile_or_report

if TYPE_CHECKING:
    from orchdsl.scheduling.schedule import Fire

MAX_COUNT = 10_000  # a per-second schedule asked for millions of fires would hang the command

DESCRIPTION = """\
The next fire times of every schedule of the files given, merged and sorted (a wall time in
a spring-forward gap fires once at the end of the gap, a repeated fall-back time once, at its
first occurrence: docs/language.md, "Schedules"). A folder means every *.orch below it, as
for orchdsl scheduler. One line per fire: the time in the schedule's zone with its offset,
the same instant in UTC, and the schedule; with several files, then the file.

--from takes an ISO 8601 time (2027-03-28T01:00:00+01:00, 2027-03-28T00:00Z, 2027-03-28);
a time without an offset is UTC. Fires are strictly after it.

examples:
  orchdsl next pipeline.orch
  orchdsl next pipelines/                      every schedule the scheduler would run
  orchdsl next pipeline.orch -n 10 --from 2027-10-30T00:00:00+02:00
  orchdsl next pipeline.orch --format json | jq '.fires[0].utc'
"""


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(prog="orchdsl next", description=DESCRIPTION)
    parser.add_argument("paths", nargs="+", metavar="PATH",
                        help=".orch files and folders (every *.orch below a folder)")
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


@dataclass(frozen=True)
class FileFire:
    path: str
    fire: Fire


def main(argv: list[str]) -> int:
    from orchdsl.scheduling.watch import orch_files

    args = build_parser().parse_args(argv)
    files = orch_files(args.paths)  # what the scheduler would hold
    status, schedules = exits.OK, []
    for path in files:
        compiled = compile_or_report(path, "next")
        if isinstance(compiled, int):
            status = max(status, compiled)  # 2 (unreadable) outweighs 1 (errors)
        else:
            schedules.append((path, compiled.orchestration.schedules))
    if status and len(files) == 1:
        return status
    start = args.start or datetime.now(timezone.utc)
    fires = next_fires(schedules, start, args.count)
    several = len(files) != 1
    if not any(found for _, found in schedules) and status == exits.OK:
        sys.stderr.write(f"orchdsl next: {_no_schedule(args.paths, files)}: nothing fires\n")
    elif len(fires) < args.count:
        sys.stderr.write(f"orchdsl next: only {len(fires)} fire{'s' * (len(fires) != 1)} "
                         "before the end of year 9999\n")
    if args.format == "json":
        sys.stdout.write(_json(files, start, fires, several))
    else:
        sys.stdout.write(_text(fires, several))
    return status


def next_fires(schedules, start: datetime, count: int) -> list[FileFire]:
    """The first ``count`` fires of every file's schedules strictly after ``start``, sorted by
    instant (files in the order given, then schedules in file order, on a tie)."""
    import heapq

    from orchdsl.scheduling.schedule import merged_fires

    streams = [[(f.utc, n, i, FileFire(path, f))
                for i, f in enumerate(merged_fires(found, start, count))]
               for n, (path, found) in enumerate(schedules) if found]
    return [entry[-1] for entry in heapq.merge(*streams)][:count]


def _no_schedule(paths: list[str], files: list[str]) -> str:
    if len(files) == 1:
        return f"{files[0]} has no schedule"
    if not files:
        return f"no .orch file in {', '.join(paths)}"
    return f"none of the {len(files)} files has a schedule"


def _text(fires: list[FileFire], several: bool) -> str:
    return "".join(f"{f.fire.local.isoformat()}  {f.fire.utc.replace(tzinfo=None).isoformat(' ')}"
                   f' UTC  "{f.fire.cron}" timezone "{f.fire.timezone}"'
                   + (f"  {f.path}" if several else "") + "\n" for f in fires)


def _json(files: list[str], start: datetime, fires: list[FileFire], several: bool) -> str:
    """One file: ``"file"`` at the top. Several: ``"files"`` at the top and each fire's
    ``"file"`` (docs/language.md, "Schedules")."""
    import json

    data = {"version": 1, **({"files": files} if several else {"file": files[0]}),
            "from": _utc(start), "fires": [_fire(f, several) for f in fires]}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _fire(found: FileFire, several: bool) -> dict:
    fire = found.fire
    entry = {"local": fire.local.isoformat(), "utc": _utc(fire.utc), "cron": fire.cron,
             "timezone": fire.timezone}
    return {**entry, "file": found.path} if several else entry


def _utc(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
