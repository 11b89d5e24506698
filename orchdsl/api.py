"""The Python API: plan and run files from programs and tests (docs/language.md)."""

from __future__ import annotations

from typing import Mapping, Sequence

from orchdsl.model import JobResult, Trigger
from orchdsl.observer import Observer
from orchdsl.planning.spec import Plan

USER_STORE = "user store"  # the default of ``store``: the user's job store, as the CLI's


def plan(path: str, *, params: Mapping[str, str] | None = None, only: Sequence[str] = (),
         skip: Sequence[str] = (), phases: Sequence[str] = (), from_phase: str | None = None,
         environ: Mapping[str, str] | None = None) -> Plan:
    """Compile a file and plan a run of it. Raises CompileError (with its diagnostics),
    SourceError (the file cannot be read), ParamError or SelectionError. ``environ`` is
    accepted for compatibility: a plan holds no environment (secrets are read when a job
    starts)."""
    from orchdsl import compiler
    from orchdsl.planning.build import build_plan
    from orchdsl.planning.params import check_params
    from orchdsl.planning.selection import Selection

    compiled = compiler.compile_file(path)
    declared = [p.name.text for p in compiled.orchestration.params]
    values = check_params(params or {}, declared)
    selection = Selection.from_flags(only, skip, phases, from_phase)
    return build_plan(compiled, params=values, selection=selection)


def run(path_or_plan: str | Plan, *, concurrency: int | None = None, fail_fast: bool = False,
        observer: Observer | None = None, environ: Mapping[str, str] | None = None,
        stream: bool = False, trigger: Trigger = Trigger.MANUAL, notify_me: Sequence[str] = (),
        store: object = USER_STORE, **selection) -> JobResult:
    """Run an orchestration to its end and return the job. ``selection`` takes the keywords of
    ``plan()`` (params, only, skip, phases, from_phase) when a path is given.

    ``store``: where the job is recorded: the user's job store by default (``orchdsl jobs``
    lists it), a location (a path or URL), an open store, or None to record nothing.
    ``notify_me``: e-mail addresses and webhook URLs told about the job's events (those the
    file's ``notify`` clauses name, else error and warning); a run with ``trigger=Trigger.
    SCHEDULE`` tells the file's targets as well. It returns once the notifications were
    delivered or given up; a failed one never changes the job. Raises ValueError for an
    invalid target."""
    import trio

    from orchdsl.runner.job import RunOptions, run_job

    the_plan = path_or_plan if isinstance(path_or_plan, Plan) else plan(
        path_or_plan, environ=environ, **selection)
    if notify_me:
        from orchdsl.notify import target_problems

        problems = target_problems(notify_me)
        if problems:
            raise ValueError(f"notify_me: {problems[0]}")
    options = RunOptions(concurrency=concurrency, fail_fast=fail_fast, stream=stream,
                         trigger=trigger, environ=environ)
    opened = _store(store)
    try:
        return trio.run(lambda: run_job(the_plan, store=opened, options=options,
                                        observers=(observer,) if observer else (),
                                        notify_me=notify_me))
    finally:
        if opened is not None and opened is not store:
            opened.close()


def _store(store):
    """The store to record in. The user's store is where this process's environment says
    (``environ`` is the tasks' environment, not where jobs are kept)."""
    if store is None or not isinstance(store, str):
        return store
    from orchdsl.store import open_store, store_location
    from orchdsl.store.recovery import recover

    location = store_location(None) if store == USER_STORE else store_location(store)
    opened = open_store(location)
    recover(opened)
    return opened
