"""The Python API: parse, lint, compile and run from programs and tests."""

from __future__ import annotations

from typing import Mapping, Sequence

from orchdsl.planning.build import Plan
from orchdsl.runner.events import Observer
from orchdsl.model import JobResult, Trigger


def plan(path: str, *, params: Mapping[str, str] | None = None, only: Sequence[str] = (),
         skip: Sequence[str] = (), phases: Sequence[str] = (), from_phase: str | None = None,
         environ: Mapping[str, str] | None = None) -> Plan:
    """Compile a file and plan a run of it. Raises CompileError (with diagnostics),
    SourceError, ParamError or SelectionError."""
    from orchdsl.compiler import compile_file
    from orchdsl.planning.build import build_plan, parse_params
    from orchdsl.planning.selection import Selection

    compiled = compile_file(path)
    values = parse_params([f"{k}={v}" for k, v in (params or {}).items()],
                          compiled.orchestration)
    selection = Selection.from_flags(only, skip, phases, from_phase)
    return build_plan(compiled, params=values, selection=selection, environ=environ)


def run(path_or_plan: str | Plan, *, concurrency: int | None = None, fail_fast: bool = False,
        observer: Observer | None = None, environ: Mapping[str, str] | None = None,
        stream: bool = False, trigger: Trigger = Trigger.MANUAL, notify_me: Sequence[str] = (),
        **selection) -> JobResult:
    """Run an orchestration to its end and return the job. ``selection`` takes the keywords of
    ``plan()`` (params, only, skip, phases, from_phase) when a path is given.

    ``notify_me``: e-mail addresses and webhook URLs told about the job's events (those the
    file's ``notify`` clauses name, else error and warning); a run with ``trigger=Trigger.
    SCHEDULE`` tells the file's targets as well. It returns once the notifications were
    delivered or given up (see orchdsl.notify); a failed one never changes the job. Raises
    ValueError for an invalid target."""
    import trio

    from orchdsl.runner.engine import Engine, RunOptions
    from orchdsl.runner.events import MemoryRecorder

    the_plan = path_or_plan if isinstance(path_or_plan, Plan) else plan(
        path_or_plan, environ=environ, **selection)
    options = RunOptions(concurrency=concurrency, fail_fast=fail_fast, stream=stream,
                         trigger=trigger, environ=environ)
    recorder = observer or MemoryRecorder()
    if not notify_me and not (trigger is Trigger.SCHEDULE and the_plan.notifications):
        return trio.run(Engine(the_plan, recorder, options).run)
    from orchdsl.notify import notifier_for, target_problems
    from orchdsl.runner.events import Observers

    problems = target_problems(notify_me)
    if problems:
        raise ValueError(f"notify_me: {problems[0]}")
    notifier = notifier_for(the_plan, trigger, notify_me=notify_me, environ=environ)
    engine = Engine(the_plan, Observers(recorder, notifier), options)

    async def run_and_notify() -> JobResult:
        async with notifier.running():
            return await engine.run()

    return trio.run(run_and_notify)
