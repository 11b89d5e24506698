"""``orchdsl prune``: remove old jobs from the store (docs/language.md, "The job store")."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta, timezone

from orchdsl.cli import exits
from orchdsl.cli.args import ArgumentParser, positive
from orchdsl.cli.store_option import add_store_option, open_store

DESCRIPTION = """\
Remove finished jobs from the store, with everything that is theirs: tasks, attempts, logs,
notifications, and the jobs of their nested orchestrations. A running job is never removed.
Everything goes in one transaction: a prune cut short removes nothing.

examples:
  orchdsl prune --older-than 30d
  orchdsl prune --keep-last 100 nightly.orch      # per file: the newest 100 stay
  orchdsl prune --older-than 7d --dry-run          # what would go
"""


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(prog="orchdsl prune", description=DESCRIPTION)
    parser.add_argument("files", nargs="*", metavar="FILE", help="only the jobs of these files")
    parser.add_argument("--older-than", type=_age, metavar="DURATION",
                        help="jobs that ended longer ago than this (30d, 12h)")
    parser.add_argument("--keep-last", type=positive, metavar="N",
                        help="all but the newest N jobs of each file")
    parser.add_argument("--dry-run", action="store_true", help="say what would go, remove nothing")
    add_store_option(parser)
    return parser


def _age(text: str) -> timedelta:
    import argparse

    from orchdsl.lang.lexical import parse_duration

    try:
        return timedelta(milliseconds=parse_duration(text.strip()))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    if args.older_than is None and args.keep_last is None:
        sys.stderr.write("orchdsl prune: error: say which jobs: --older-than DURATION and/or "
                         "--keep-last N (see orchdsl prune --help)\n")
        return exits.USAGE
    store = open_store(args.store, "prune")
    if isinstance(store, int):
        return store
    from orchdsl.store.base import Prune

    before = datetime.now(timezone.utc) - args.older_than if args.older_than else None
    gone = store.prune(Prune(before, args.keep_last, tuple(args.files), args.dry_run))
    verb = "would remove" if args.dry_run else "removed"
    for job in gone:
        sys.stdout.write(f"{verb} job {job.job_id} ({job.orchestration}, {job.state.value}, "
                         f"{(job.finished_at or job.created_at):%Y-%m-%d %H:%M})\n")
    sys.stdout.write(f"{verb} {len(gone)} job{'s' * (len(gone) != 1)}\n")
    return exits.OK
