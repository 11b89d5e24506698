"""``orchdsl logs ID [TASK]``: what a job's tasks printed, attempt by attempt."""

from __future__ import annotations

import sys
import time

from orchdsl.cli import exits
from orchdsl.cli.args import ArgumentParser, positive
from orchdsl.cli.store_option import add_store_option, load_job, open_reader

FOLLOW_POLL_S = 0.5


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(prog="orchdsl logs", description="The captured output of a job's "
                            "tasks (secrets shown as ***), each attempt under a header.")
    parser.add_argument("id", type=positive, metavar="ID", help="the job id")
    parser.add_argument("task", nargs="?", metavar="TASK", help="only this task")
    parser.add_argument("--follow", "-f", action="store_true",
                        help="print each attempt once it finishes, until the job ends")
    add_store_option(parser)
    return parser


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    store = open_reader(args.store, "logs")
    if isinstance(store, int):
        return store
    from orchdsl.cli.history_output import logs_text
    from orchdsl.cli.history_view import seen

    job = load_job(store, args.id, "logs")
    if isinstance(job, int):
        return job
    seen(store, [job])
    if args.task and args.task not in job.tasks:
        sys.stderr.write(f'orchdsl logs: error: job {args.id} has no task "{args.task}"\n')
        return exits.FAILED
    if not args.follow:
        sys.stdout.write(logs_text(job, args.task))
        return exits.OK
    done: set = set()
    while True:
        sys.stdout.write(logs_text(job, args.task, done))
        sys.stdout.flush()
        if job.state.finished:
            return exits.OK
        time.sleep(FOLLOW_POLL_S)
        job = store.job(args.id)
        seen(store, [job])
