"""``orchdsl backfill FILE --from T1 --to T2``: run the fires a file's schedules had in
``[T1, T2)`` as jobs (docs/reference.md, "Backfills")."""

from __future__ import annotations

import sys

from orchdsl.cli import exits
from orchdsl.cli.args import ArgumentParser, positive
from orchdsl.cli.common import compile_or_report, usage_error
from orchdsl.cli.store_option import add_store_option, open_store

DESCRIPTION = """\
Run the fires of a file's schedules between two instants as jobs, oldest first: each job
gets the fire time it serves (${job.fire_time}, ${job.fire_date}, ORCHDSL_FIRE_TIME), is
recorded with trigger "backfill", and tells only --notify-me targets. Fires are computed in
each schedule's zone, as the scheduler does (DST included); "overlap" is ignored. A fire
already run successfully (by the scheduler or an earlier backfill) is left out unless
--rerun-succeeded. Ctrl-C or SIGTERM: no more fires start, the running jobs are cancelled.
Exit 1 when a job failed.

Times are ISO 8601; a time without an offset is UTC; a date alone is its midnight in UTC.

examples:
  orchdsl backfill nightly.orch --from 2026-11-01 --to 2026-12-01
  orchdsl backfill nightly.orch --from 2026-11-01T00:00+01:00 --to 2026-11-08 --parallel 3
  orchdsl backfill nightly.orch --from 2026-11-01 --to 2026-12-01 --dry-run
"""


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(prog="orchdsl backfill", description=DESCRIPTION)
    parser.add_argument("file", metavar="FILE", help="the .orch file")
    parser.add_argument("--from", dest="start", type=_moment, required=True, metavar="TIME",
                        help="the first instant (included)")
    parser.add_argument("--to", dest="end", type=_moment, required=True, metavar="TIME",
                        help="the last instant (excluded)")
    parser.add_argument("--parallel", type=positive, default=1, metavar="N",
                        help="run N jobs at once (default 1)")
    parser.add_argument("--rerun-succeeded", action="store_true",
                        help="run again the fires a job already ran successfully")
    parser.add_argument("--dry-run", action="store_true", help="list the fires, run nothing")
    parser.add_argument("--notify-me", action="append", default=[], metavar="TARGET",
                        help="e-mail address or webhook URL told about each job's events")
    add_store_option(parser)
    return parser


def _moment(text: str):
    import argparse
    from datetime import datetime, timezone

    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an ISO 8601 time such as 2026-11-01 or "
                                         f"2026-11-01T06:00+01:00, got {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    if args.end <= args.start:
        usage_error("backfill", "--to must be after --from")
        return exits.USAGE
    if args.notify_me:
        from orchdsl.notify.targets import target_problems

        for problem in target_problems(args.notify_me):
            usage_error("backfill", f"--notify-me: {problem}")
            return exits.USAGE
    compiled = compile_or_report(args.file, "backfill")
    if isinstance(compiled, int):
        return compiled
    from orchdsl.planning.build import build_plan
    from orchdsl.scheduling.backfill import fires_between, mark_done

    plan = build_plan(compiled)
    if not plan.schedules:
        usage_error("backfill", f"{args.file} has no schedule: nothing to backfill")
        return exits.USAGE
    store = open_store(args.store, "backfill")
    if isinstance(store, int):
        return store
    fires = mark_done(fires_between(plan.schedules, args.start, args.end),
                      store.succeeded_fires(compiled.path))
    if args.dry_run:
        return _list(fires, args)
    return _run(plan, store, fires, args)


def _list(fires, args) -> int:
    for fire in fires:
        done = f"  already run (job {fire.done_by})" if fire.done_by else ""
        sys.stdout.write(f"{fire.at.isoformat()}  {fire.cron}{done}\n")
    left = [f for f in fires if args.rerun_succeeded or not f.done_by]
    sys.stdout.write(f"{len(fires)} fire{'s' * (len(fires) != 1)}, {len(left)} to run\n")
    return exits.OK


def _run(plan, store, fires, args) -> int:
    import signal

    import trio

    from orchdsl.runner.guard import enable_subreaper
    from orchdsl.scheduling.backfill import Backfill

    todo = [f for f in fires if args.rerun_succeeded or not f.done_by]
    skipped = len(fires) - len(todo)

    def ended(fire, job) -> None:
        sys.stdout.write(f"{fire.at.isoformat()}  job {job.job_id}  {job.state.value}"
                         + (f" ({job.reason})" if job.reason else "") + "\n")
        sys.stdout.flush()

    backfill = Backfill(plan, store, parallel=args.parallel, notify_me=args.notify_me,
                        on_end=ended)
    received: list[int] = []

    async def main_task():
        async with trio.open_nursery() as nursery:
            async def watch_signals(task_status=trio.TASK_STATUS_IGNORED):
                with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
                    task_status.started()
                    async for signum in signals:
                        received.append(signum)
                        backfill.stop(signal.Signals(signum).name)

            await nursery.start(watch_signals)
            await backfill.run(todo)
            nursery.cancel_scope.cancel()

    enable_subreaper()
    trio.run(main_task)
    counts = {"success": 0, "warning": 0, "error": 0, "cancelled": 0}
    for _, job in backfill.results:
        counts[job.state.value] = counts.get(job.state.value, 0) + 1
    failed = counts["error"] + counts.get("terminated", 0)
    sys.stdout.write(f"backfill of {args.file}: {counts['success'] + counts['warning']} "
                     f"succeeded, {failed} failed, {counts['cancelled']} cancelled, "
                     f"{skipped} skipped (already run), "
                     f"{len(todo) - len(backfill.results)} not started\n")
    if received:
        return exits.SIGINT if received[0] == signal.SIGINT else exits.SIGTERM
    return exits.FAILED if failed else exits.OK
