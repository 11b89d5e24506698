"""``orchdsl job ID``: one job: its tasks, attempts, durations and a timeline of the phases."""

from __future__ import annotations

import sys

from orchdsl.cli import exits
from orchdsl.cli.args import ArgumentParser, positive
from orchdsl.cli.store_option import add_store_option, load_job, open_reader


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(prog="orchdsl job", description="One job of the store: its tasks "
                            "with their states, attempts, durations and outputs, the params "
                            "it ran with, its notifications, and a timeline.\n\nexamples:\n"
                            "  orchdsl job 12\n  orchdsl job 12 --format json | jq '.job.tasks'")
    parser.add_argument("id", type=positive, metavar="ID", help="the job id (orchdsl jobs lists them)")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    add_store_option(parser)
    return parser


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    store = open_reader(args.store, "job")
    if isinstance(store, int):
        return store
    from orchdsl.cli.history_output import as_json, job_data, job_text
    from orchdsl.cli.history_view import seen

    job = load_job(store, args.id, "job")
    if isinstance(job, int):
        return job
    seen(store, [job])
    sys.stdout.write(as_json({"job": job_data(job)}) if args.format == "json" else job_text(job))
    return exits.OK
