"""The Python API: parse, lint, compile and run from programs and tests."""

from __future__ import annotations

from typing import Mapping, Sequence

from orchdsl.planner import Plan
from orchdsl.runner.events import Observer
from orchdsl.runner.model import JobResult, Trigger


def plan(path: str, *, params: Mapping[str, str] | None = None, only: Sequence[str] = (),
         skip: Sequence[str] = (), phases: Sequence[str] = (), from_phase: str | None = None,
         environ: Mapping[str, str] | None = None) -> Plan:
    """Compile a file and plan a run of it. Raises CompileError (with diagnostics),
    SourceError, ParamError or SelectionError."""
    from orchdsl.compiler import compile_file
    from orchdsl.planner import build_plan, parse_params
    from orchdsl.selection import Selection

    compiled = compile_file(path)
    values = parse_params([f"{k}={v}" for k, v in (params or {}).items()],
                          compiled.orchestration)
    selection = Selection.from_flags(only, skip, phases, from_phase)
    return build_plan(compiled, params=values, selection=selection, environ=environ)


def run(path_or_plan: str | Plan, *, concurrency: int | None = None, fail_fast: bool = False,
        observer: Observer | None = None, environ: Mapping[str, str] | None = None,
        stream: bool = False, trigger: Trigger = Trigger.MANUAL, **selection) -> JobResult:
    """Run an orchestration to its end and return the job. ``selection`` takes the keywords of
    ``plan()`` (params, only, skip, phases, from_phase) when a path is given."""
    import trio

    from orchdsl.runner.engine import Engine, RunOptions
    from orchdsl.runner.events import MemoryRecorder

    the_plan = path_or_plan if isinstance(path_or_plan, Plan) else plan(
        path_or_plan, environ=environ, **selection)
    options = RunOptions(concurrency=concurrency, fail_fast=fail_fast, stream=stream,
                         trigger=trigger, environ=environ)
    engine = Engine(the_plan, observer or MemoryRecorder(), options)
    return trio.run(engine.run)
