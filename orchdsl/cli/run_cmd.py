"""``orchdsl run FILE``: run an orchestration now; ``--dry-run`` prints the plan only."""

from __future__ import annotations

import sys
from datetime import datetime, timezone

from orchdsl.cli.args import ArgumentParser, positive, size
from orchdsl.cli import exits
from orchdsl.cli.common import plan_or_report, usage_error
from orchdsl.cli.executor_option import add_executor_option, chosen_executor
from orchdsl.cli.store_option import add_store_option, open_store

LOG_LIMIT_DEFAULT = 100 * 1024 * 1024  # as orchdsl.runner.capture.LOG_LIMIT (not imported here)

DESCRIPTION = """\
Run an orchestration now: phases one after another, the tasks of a phase in parallel.
With --dry-run, print what would run (phases, tasks with their resolved commands, the order
in waves, the next fire times of the schedules, the notification targets) and run nothing.
Secrets show as ***; --dry-run does not need them set.

Selection flags repeat and take comma-separated names or globs:
  --only 'extract_*'   --skip gooddata   --phase Write   --from-phase Transform

examples:
  orchdsl run pipeline.orch --dry-run
  orchdsl run pipeline.orch --dry-run --param day=2026-11-01 --only crm,tableau_prep
  orchdsl run pipeline.orch --dry-run --format json | jq '.waves'
  orchdsl run pipeline.orch --notify-me me@example.com   # e-mail via ORCHDSL_SMTP_URL
  orchdsl run pipeline.orch --executor dask://scheduler.internal:8786   # on a Dask cluster
"""


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(prog="orchdsl run", description=DESCRIPTION)
    parser.add_argument("file", metavar="FILE", help="the .orch file")
    parser.add_argument("--dry-run", action="store_true", help="print the plan, run nothing")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="format of the dry-run plan (default: text)")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                        help="override a declared param (repeatable)")
    parser.add_argument("--only", action="append", default=[], metavar="TASKS",
                        help="run only these tasks (names or globs, comma-separated)")
    parser.add_argument("--skip", action="append", default=[], metavar="TASKS",
                        help="do not run these tasks (names or globs)")
    parser.add_argument("--phase", action="append", default=[], metavar="PHASES",
                        help="run only the tasks of these phases (names or globs)")
    parser.add_argument("--from-phase", metavar="PHASE", help="start at this phase")
    parser.add_argument("--concurrency", type=positive, metavar="N",
                        help="run at most N tasks at once (overrides the file)")
    parser.add_argument("--fail-fast", action="store_true",
                        help="a failing task cancels the running ones (as fail_fast in the file)")
    parser.add_argument("--stream", action="store_true",
                        help="print the tasks' output as it comes, each line prefixed [task]")
    parser.add_argument("--no-live", action="store_true",
                        help="one line per event even on a terminal")
    parser.add_argument("--log-limit", type=size, default=LOG_LIMIT_DEFAULT, metavar="SIZE",
                        help="how much of each task's log the job store keeps (default "
                             "100MiB; what is past it is counted, and the log says so)")
    parser.add_argument("--detach", action="store_true",
                        help="run the job in the background, in a runner of its own that "
                             "outlives the terminal; prints its id and returns")
    parser.add_argument("--rerun", type=positive, metavar="JOB",
                        help="run again only what did not succeed in job JOB (a new job, linked)")
    parser.add_argument("--notify-me", action="append", default=[], metavar="TARGET",
                        help="e-mail address or webhook URL told about this run's events (the "
                             "file's notify events, else error and warning); repeatable; the "
                             "file's own targets hear only about scheduled runs")
    add_executor_option(parser)
    add_store_option(parser)
    return parser


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    if args.dry_run:
        from orchdsl._gc import one_shot

        one_shot()
    executor = chosen_executor(args.executor, "run", running=not args.dry_run)
    if isinstance(executor, int):
        return executor
    args.executor = executor
    for problem in _notify_me_problems(args.notify_me):
        usage_error("run", f"--notify-me: {problem}")
        return exits.USAGE
    compiled = plan_or_report(args.file, "run")  # a Plan, from the plan cache if unchanged
    if isinstance(compiled, int):
        return compiled
    store = None
    if args.rerun is not None or not args.dry_run:
        store = open_store(args.store, "run")
        if isinstance(store, int):
            return store
    plan = _plan(compiled, args, store)
    if isinstance(plan, int):
        return plan
    if args.detach and not args.dry_run:
        from orchdsl.cli.detach import detach

        return detach(argv)
    if not args.dry_run:
        from orchdsl._gc import keep_for_good

        keep_for_good()
        return run_job(plan, args, store)
    return _dry_run(plan, args)


def _plan(compiled, args, store):
    """The plan of this run, or an exit code after a usage error."""
    from orchdsl.planning.build import build_plan
    from orchdsl.planning.params import ParamError, parse_params
    from orchdsl.planning.selection import Selection, SelectionError

    from orchdsl.cli.rerun import given_selection, rerun_of, warn_if_changed

    rerun = rerun_of(store, args.rerun, args.file) if args.rerun is not None else None
    if isinstance(rerun, int):
        return rerun
    try:
        declared = [name for name, _ in compiled.params]
        params = {k: v for k, v in (rerun.params if rerun else {}).items() if k in declared}
        params.update(parse_params(args.param, declared))
        if rerun is not None and not given_selection(args):
            selection = Selection.from_flags(**rerun.selection)
        else:
            selection = Selection.from_flags(args.only, args.skip, args.phase, args.from_phase)
        plan = build_plan(compiled, params=params, selection=selection,
                          also_unselected=rerun.skips if rerun else None)
    except (ParamError, SelectionError) as exc:
        usage_error("run", str(exc))
        return exits.USAGE
    if rerun is not None:
        warn_if_changed(rerun, plan.file_hash, args.file)
    if args.concurrency or args.fail_fast:  # the plan shows what the run will do
        import dataclasses

        plan = dataclasses.replace(plan, concurrency=args.concurrency or plan.concurrency,
                                   fail_fast=plan.fail_fast or args.fail_fast)
    return plan


def _dry_run(plan, args) -> int:
    import os

    from orchdsl.cli.plan_output import plan_warnings, render_json, render_text
    from orchdsl.masking import Masker

    for warning in plan_warnings(plan, os.environ):
        sys.stderr.write(f"orchdsl run: warning: {warning}\n")
    # A secret's value can reach a command through --param too: never shown.
    masker = Masker([os.environ[name] for name in plan.secrets if os.environ.get(name)])
    now = datetime.now(timezone.utc)
    sys.stdout.write(masker.mask(render_json(plan, os.environ, now) if args.format == "json"
                                 else render_text(plan, os.environ, now)))
    return exits.OK


def _notify_me_problems(targets: list[str]) -> list[str]:
    if not targets:
        return []  # orchdsl.notify imports trio: not for a dry run that notifies nobody
    from orchdsl.notify.targets import target_problems

    return target_problems(targets)


def run_job(plan, args, store) -> int:
    """Run the plan; exit 0 on success or warning, 1 on error, 130/143 on SIGINT/SIGTERM."""
    import signal

    import trio

    from orchdsl.cli.run_output import Sink
    from orchdsl.model import JobState, Trigger
    from orchdsl.observer import Observer
    from orchdsl.runner.job import Cancel, RunOptions, run_job as run

    out, err = Sink(sys.stdout), Sink(sys.stderr)  # a reader that goes away stops no job
    live, printer = _printer(plan, args, out)
    _warn_before_run(plan, err)
    options = RunOptions(concurrency=args.concurrency, fail_fast=args.fail_fast,
                         stream=args.stream, rerun_of=args.rerun, log_limit=args.log_limit,
                         executor=args.executor,
                         trigger=Trigger.RERUN if args.rerun is not None else Trigger.MANUAL)
    cancel = Cancel()
    received: list[int] = []
    failures: list[str] = []
    store_errors: list[str] = []

    class Warnings(Observer):
        def delivery_failed(self, job, text):
            failures.append(text)

        def store_failed(self, job, text):
            store_errors.append(text)

    async def watch_signals(task_status=trio.TASK_STATUS_IGNORED):
        with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            task_status.started()
            async for signum in signals:
                received.append(signum)
                cancel.cancel(signal.Signals(signum).name)

    async def refresh():
        while True:
            await trio.sleep(0.2)
            printer.refresh()

    async def main_task():
        async with trio.open_nursery() as nursery:
            await nursery.start(watch_signals)
            if live:
                nursery.start_soon(refresh)
            from orchdsl.cli.detach import observer_for_detached

            detached = observer_for_detached()
            ears = (printer, Warnings()) + ((detached,) if detached else ())
            result = await run(plan, store=store, observers=ears,
                               notify_me=args.notify_me, cancel=cancel, options=options)
            nursery.cancel_scope.cancel()
        return result

    from orchdsl.runner.guard import enable_subreaper

    enable_subreaper()  # descendants that leave their process group stay ours to stop
    result = trio.run(main_task)
    if live:
        printer.close()
    _report_end(result, out, err)
    for failure in failures:
        err.write(f"orchdsl run: warning: {failure}\n")
    for error in store_errors:
        err.write(f"orchdsl run: warning: the job store could not record all of job "
                  f"{result.job_id}: {error}\n")
    out.flush()
    err.flush()
    if received:
        return exits.SIGINT if received[0] == signal.SIGINT else exits.SIGTERM
    return exits.OK if result.state in (JobState.SUCCESS, JobState.WARNING) else exits.FAILED


def _printer(plan, args, out):
    """(live, the observer that shows the run): the live view on a terminal that can take it
    (docs/language.md, "What run shows"), else one line per event."""
    from orchdsl.cli.live_view import LiveView, live_view_wanted
    from orchdsl.cli.run_output import LinePrinter

    if live_view_wanted(out) and not args.no_live and not args.stream:
        return True, LiveView(out)
    return False, LinePrinter(out, width=max((len(t.name) for t in plan.tasks), default=0))


def _warn_before_run(plan, err) -> None:
    """What a dry run would warn about that still holds: a selection that leaves no task."""
    if any(t.runs for t in plan.tasks):
        return  # the usual case, without loading what shows plans
    from orchdsl.cli.plan_view import nothing_to_run

    nothing = nothing_to_run(plan)
    if nothing:
        err.write(f"orchdsl run: warning: {nothing}\n")
        err.flush()


def _report_end(result, out, err) -> None:
    """The summary on stdout; a job that could not start (a missing secret or environment
    variable, an executor out of reach) says why on stderr too, as errors go there."""
    from orchdsl.cli.live_view import Painter, colour_wanted
    from orchdsl.cli.run_output import summary
    from orchdsl.model import JobState

    out.write(summary(result, Painter(colour_wanted(out))))
    attempted = any(t.attempts for t in result.tasks.values())
    if result.state is JobState.ERROR and result.reason and not attempted:
        err.write(f"orchdsl run: error: job {result.job_id} did not start: {result.reason}\n")
