"""``orchdsl jobs [FILE]``: the job history, newest first."""

from __future__ import annotations

import sys

from orchdsl.cli import exits
from orchdsl.cli.args import ArgumentParser, positive
from orchdsl.cli.store_option import add_store_option, open_store

STATES = ("waiting", "processing", "success", "warning", "error", "cancelled", "terminated",
          "skipped")


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(prog="orchdsl jobs", description="The jobs of the store, newest "
                            "first; with FILE, only that file's.")
    parser.add_argument("file", nargs="?", metavar="FILE", help="only jobs of this .orch file")
    parser.add_argument("--status", choices=STATES, help="only jobs in this state")
    parser.add_argument("--limit", type=positive, default=20, metavar="N", help="at most N (default 20)")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    add_store_option(parser)
    return parser


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    store = open_store(args.store, "jobs", read_only=True)
    if isinstance(store, int):
        return store
    from orchdsl.cli.history_output import as_json, jobs_text

    jobs = store.jobs(args.file, args.status, args.limit)
    sys.stdout.write(as_json({"jobs": jobs}) if args.format == "json" else jobs_text(jobs))
    return exits.OK
