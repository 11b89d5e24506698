"""``orchdsl scheduler PATH...``: run the schedules of files and folders until stopped."""

from __future__ import annotations

import os
import sys

from orchdsl.cli import exits
from orchdsl.cli.args import ArgumentParser
from orchdsl.cli.common import usage_error
from orchdsl.cli.executor_option import add_executor_option, chosen_executor
from orchdsl.cli.store_option import add_store_option, open_store

DESCRIPTION = """\
Run the schedules of .orch files (folders: every *.orch below, found again as files are
added) until SIGTERM or Ctrl-C. Each fire starts a job, recorded in the job store with
trigger "schedule"; the file's notify targets hear about it. One job per file at a time:
"overlap queue" (default) lets one fire wait for the running job, "overlap skip" records the
fire as a skipped job. The last fire of each schedule is kept in the store, so a restart
neither repeats nor loses a fire; "catchup last" runs the most recent fire missed while no
scheduler ran, once.

Files are looked at every --watch-interval: an edit is picked up; an edit with errors is
reported (diagnostics on stderr) and the version loaded before runs on.

On SIGTERM or SIGINT: no more fires; running jobs get --grace to finish, then they are
cancelled (their tasks get SIGTERM, and SIGKILL 10 s later); exit 0. A second signal
cancels them at once. The log is one timestamped line per event on stderr.

Several schedulers may share one store (an SQLite file on one host, a postgresql:// store
across hosts) and the same files: each fire is claimed in the store before its job starts,
so it starts one job, whichever scheduler takes it, and overlap and catchup hold across
them. A scheduler holds its fires with a 20 s lease, renewed every 4 s: when it dies, its
fires are started by another one, at most 30 s late (at once on the same host). See
docs/high-availability.md.

Tasks of a scheduled job see ORCHDSL_FIRE_TIME (the fire's time, UTC) and ORCHDSL_SCHEDULE
(its cron) in their environment.

examples:
  orchdsl scheduler pipelines/
  orchdsl scheduler nightly.orch hourly.orch --grace 10m --store /var/lib/orchdsl/jobs.db
  orchdsl scheduler pipelines/ --executor tls://scheduler.internal:8786   # tasks on Dask
  ORCHDSL_STORE=postgresql://orchdsl@db.internal/orchdsl orchdsl scheduler /srv/pipelines
"""


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(prog="orchdsl scheduler", description=DESCRIPTION)
    parser.add_argument("paths", nargs="+", metavar="PATH", help=".orch files and folders")
    parser.add_argument("--grace", type=_duration, default=60.0, metavar="DURATION",
                        help="how long running jobs may take to finish after SIGTERM before "
                             "they are cancelled (default 1m; 0s cancels at once)")
    parser.add_argument("--watch-interval", type=_duration, default=2.0, metavar="DURATION",
                        help="how often files are looked at for changes (default 2s; 0s: "
                             "never, files are read once)")
    parser.add_argument("--serve", metavar="HOST:PORT", help="also serve the dashboard (orchdsl "
                        "serve, docs/dashboard.md) there; beyond 127.0.0.1 set ORCHDSL_UI_TOKEN")
    add_executor_option(parser)
    add_store_option(parser)
    return parser


def _duration(text: str) -> float:
    import argparse

    from orchdsl.lang.lexical import parse_duration

    if text.strip() == "0":
        return 0.0
    try:
        return parse_duration(text.strip()) / 1000
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    for path in args.paths:
        if not os.path.exists(path):
            usage_error("scheduler", f"{path}: no such file or folder")
            return exits.USAGE
    executor = chosen_executor(args.executor, "scheduler")
    if isinstance(executor, int):
        return executor
    args.executor = executor
    store = open_store(args.store, "scheduler")
    if isinstance(store, int):
        return store
    if args.serve:
        from orchdsl.cli.serve_cmd import prepare

        args.serve = prepare(args.paths, args.store, args.serve, None, False, "scheduler")
        if isinstance(args.serve, int):
            return args.serve
    import trio

    from orchdsl.runner.guard import enable_subreaper

    from orchdsl.web.server import ListenError

    enable_subreaper()  # descendants that leave their process group stay ours to stop
    code = exits.OK
    try:
        trio.run(_serve, args, store)
    except* ListenError as group:
        sys.stderr.write(f"orchdsl scheduler: error: {group.exceptions[0].strerror}\n")
        code = exits.USAGE
    return code


async def _serve(args, store) -> None:
    import signal

    import trio

    from functools import partial

    from orchdsl.scheduling.clock import SystemClock
    from orchdsl.scheduling.daemon import Scheduler
    from orchdsl.scheduling.jobs import run_scheduled

    scheduler = Scheduler(args.paths, store, clock=SystemClock(), log=_write_event,
                          grace_s=args.grace, watch_interval_s=args.watch_interval or None,
                          run_job=partial(run_scheduled, executor=args.executor))

    async def watch_signals(task_status=trio.TASK_STATUS_IGNORED):
        with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            task_status.started()
            async for signum in signals:
                scheduler.stop(signal.Signals(signum).name)

    async with trio.open_nursery() as nursery:
        await nursery.start(watch_signals)
        if args.serve:
            from orchdsl.web.server import serve_beside

            await nursery.start(serve_beside, args.serve, "scheduler")
        await scheduler.serve()
        nursery.cancel_scope.cancel()


def _write_event(event) -> None:
    from orchdsl.cli.common import print_diagnostics
    from orchdsl.scheduling.events import format_event

    try:
        sys.stderr.write(format_event(event) + "\n")
        if event.diagnostics:
            print_diagnostics(list(event.diagnostics), event.texts, sys.stderr)
        sys.stderr.flush()
    except OSError:
        # The log's reader went away (a closed pipe, a log collector restarting): the
        # schedules matter more than the log, and the jobs are in the store anyway.
        _silence_stderr()


def _silence_stderr() -> None:
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stderr.fileno())
    os.close(devnull)
