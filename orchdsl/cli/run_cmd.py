"""``orchdsl run FILE``: run an orchestration now; ``--dry-run`` prints the plan only."""

from __future__ import annotations

import sys
from datetime import datetime, timezone

from orchdsl.cli.args import ArgumentParser
from orchdsl.cli import exits
from orchdsl.cli.common import compile_or_report, usage_error

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
    parser.add_argument("--concurrency", type=_positive, metavar="N",
                        help="run at most N tasks at once (overrides the file)")
    parser.add_argument("--fail-fast", action="store_true",
                        help="a failing task cancels the running ones (as fail_fast in the file)")
    parser.add_argument("--stream", action="store_true",
                        help="print the tasks' output as it comes, each line prefixed [task]")
    parser.add_argument("--no-live", action="store_true",
                        help="one line per event even on a terminal")
    return parser


def _positive(text: str) -> int:
    import argparse

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    if args.dry_run:
        from orchdsl._gc import one_shot

        one_shot()
    compiled = compile_or_report(args.file, "run")
    if isinstance(compiled, int):
        return compiled
    from orchdsl.planner import ParamError, build_plan, parse_params
    from orchdsl.selection import Selection, SelectionError

    try:
        params = parse_params(args.param, compiled.orchestration)
        selection = Selection.from_flags(args.only, args.skip, args.phase, args.from_phase)
        plan = build_plan(compiled, params=params, selection=selection,
                          now=datetime.now(timezone.utc))
    except (ParamError, SelectionError) as exc:
        usage_error("run", str(exc))
        return exits.USAGE
    if not args.dry_run:
        return run_job(plan, args)
    from orchdsl.plan_output import render_json, render_text

    for warning in plan.warnings:
        sys.stderr.write(f"orchdsl run: warning: {warning}\n")
    sys.stdout.write(render_json(plan) if args.format == "json" else render_text(plan))
    return exits.OK


def run_job(plan, args) -> int:
    """Run the plan; exit 0 on success or warning, 1 on error, 130/143 on SIGINT/SIGTERM."""
    import signal

    import trio

    from orchdsl.cli.run_output import LinePrinter, LiveView, summary
    from orchdsl.runner.engine import Engine, RunOptions
    from orchdsl.runner.events import MemoryRecorder, Observers
    from orchdsl.runner.model import JobState

    live = sys.stdout.isatty() and not args.no_live and not args.stream
    width = max((len(t.name) for t in plan.tasks), default=0)
    printer = LiveView() if live else LinePrinter(width=width)
    options = RunOptions(concurrency=args.concurrency, fail_fast=args.fail_fast, stream=args.stream)
    engine = Engine(plan, Observers(MemoryRecorder(), printer), options)
    received: list[int] = []

    async def watch_signals(task_status=trio.TASK_STATUS_IGNORED):
        with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            task_status.started()
            async for signum in signals:
                received.append(signum)
                engine.cancel(signal.Signals(signum).name)

    async def refresh():
        while True:
            await trio.sleep(0.25)
            printer.refresh()

    async def main_task():
        async with trio.open_nursery() as nursery:
            await nursery.start(watch_signals)
            if live:
                nursery.start_soon(refresh)
            result = await engine.run()
            nursery.cancel_scope.cancel()
        return result

    result = trio.run(main_task)
    if live:
        printer.clear()
    sys.stdout.write(summary(result))
    if received:
        return exits.SIGINT if received[0] == signal.SIGINT else exits.SIGTERM
    return exits.OK if result.state in (JobState.SUCCESS, JobState.WARNING) else exits.FAILED
