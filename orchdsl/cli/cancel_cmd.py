"""``orchdsl cancel ID``: stop a running job, from any shell of the user (docs/language.md,
"The job store")."""

from __future__ import annotations

import sys
import time

from orchdsl.cli import exits
from orchdsl.cli.args import ArgumentParser, positive
from orchdsl.cli.store_option import add_store_option, load_job, open_store

DESCRIPTION = """\
Stop a running job: its runner (a manual run, a detached one, the scheduler) cancels it as
it does on SIGTERM: the tasks' process groups get SIGTERM, then SIGKILL 10 s later, and the
job ends "cancelled". The request goes through the job store, so it works from any shell and,
with a shared store, from any host. Waits until the job has ended (--no-wait: returns at
once).

examples:
  orchdsl cancel 12
  orchdsl cancel 12 --no-wait
"""


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(prog="orchdsl cancel", description=DESCRIPTION)
    parser.add_argument("id", type=positive, metavar="ID", help="the job id")
    parser.add_argument("--no-wait", action="store_true", help="do not wait for the job to end")
    parser.add_argument("--wait-for", type=float, default=60.0, metavar="SECONDS",
                        help="how long to wait for it to end (default 60)")
    add_store_option(parser)
    return parser


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    store = open_store(args.store, "cancel")
    if isinstance(store, int):
        return store
    job = load_job(store, args.id, "cancel")
    if isinstance(job, int):
        return job
    if job.state.finished:
        sys.stderr.write(f"orchdsl cancel: error: job {args.id} is not running "
                         f"({job.state.value})\n")
        return exits.FAILED
    if not store.request_cancel(args.id, "orchdsl cancel"):
        sys.stderr.write(f"orchdsl cancel: error: job {args.id} is not running any more\n")
        return exits.FAILED
    if args.no_wait:
        sys.stdout.write(f"job {args.id}: cancel requested\n")
        return exits.OK
    deadline = time.monotonic() + args.wait_for
    while not job.state.finished and time.monotonic() < deadline:
        time.sleep(0.2)
        job = store.job(args.id)
    if not job.state.finished:
        sys.stderr.write(f"orchdsl cancel: error: job {args.id} is still "
                         f"{job.state.value} after {args.wait_for:g} s\n")
        return exits.FAILED
    sys.stdout.write(f"job {args.id}: {job.state.value}" +
                     (f" ({job.reason})" if job.reason else "") + "\n")
    return exits.OK
