"""``orchdsl run FILE``: run an orchestration now; ``--dry-run`` prints the plan only."""

from __future__ import annotations

import sys
from datetime import datetime, timezone

from orchdsl.cli.args import ArgumentParser
from orchdsl.cli.common import EXIT_USAGE, compile_or_report, usage_error

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
    return parser


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    if args.dry_run:
        import gc

        gc.disable()  # a one-shot command, as lint and graph (see orchdsl.cli.main)
    compiled = compile_or_report(args.file, "run")
    if isinstance(compiled, int):
        return compiled
    from orchdsl.plan import ParamError, build_plan, parse_params
    from orchdsl.selection import Selection, SelectionError

    try:
        params = parse_params(args.param, compiled.orchestration)
        selection = Selection.from_flags(args.only, args.skip, args.phase, args.from_phase)
        plan = build_plan(compiled, params=params, selection=selection,
                          now=datetime.now(timezone.utc))
    except (ParamError, SelectionError) as exc:
        usage_error("run", str(exc))
        return EXIT_USAGE
    if not args.dry_run:
        usage_error("run", "running tasks is not available in this version yet; use --dry-run "
                           "to see the plan")
        return EXIT_USAGE
    from orchdsl.plan_formats import render_json, render_text

    for warning in plan.warnings:
        sys.stderr.write(f"orchdsl run: warning: {warning}\n")
    sys.stdout.write(render_json(plan) if args.format == "json" else render_text(plan))
    return 0
