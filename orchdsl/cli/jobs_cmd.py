"""``orchdsl jobs [FILE]``: the job history, newest first."""

from __future__ import annotations

import sys

from orchdsl.cli import exits
from orchdsl.cli.args import ArgumentParser, positive
from orchdsl.cli.store_option import add_store_option, open_reader

STATES = ("waiting", "processing", "success", "warning", "error", "cancelled", "terminated",
          "skipped")
TRIGGERS = ("manual", "schedule", "rerun", "backfill", "nested")


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(prog="orchdsl jobs", description="The jobs of the store, newest "
                            "first; with FILE, only that file's.\n\nexamples:\n"
                            "  orchdsl jobs\n  orchdsl jobs nightly.orch --status error\n"
                            "  orchdsl jobs --before 120 --limit 50   # the next page")
    parser.add_argument("file", nargs="?", metavar="FILE", help="only jobs of this .orch file")
    parser.add_argument("--status", choices=STATES, help="only jobs in this state")
    parser.add_argument("--trigger", choices=TRIGGERS, help="only jobs started this way")
    parser.add_argument("--limit", type=positive, default=20, metavar="N", help="at most N (default 20)")
    parser.add_argument("--before", type=positive, metavar="ID",
                        help="only jobs older than job ID (the next page)")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    add_store_option(parser)
    return parser


def main(argv: list[str]) -> int:
    import os

    args = build_parser().parse_args(argv)
    store = open_reader(args.store, "jobs")
    if isinstance(store, int):
        return store
    from orchdsl.cli.history_output import as_json, job_data, jobs_text
    from orchdsl.cli.history_view import seen
    from orchdsl.store import JobQuery, StoreError, shown_location

    query = JobQuery(file=os.path.abspath(args.file) if args.file else None, state=args.status,
                     trigger=args.trigger, before_id=args.before, limit=args.limit)
    try:
        jobs = seen(store, store.jobs(query))
    except StoreError as exc:
        sys.stderr.write(f"orchdsl jobs: error: {exc}\n")
        return exits.USAGE
    if args.format == "json":
        sys.stdout.write(as_json({"jobs": [job_data(j, with_tasks=False) for j in jobs]}))
    else:
        sys.stdout.write(jobs_text(jobs, shown_location(store.location)))
    return exits.OK
