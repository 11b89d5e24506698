"""Planning: a compiled file becomes its executable ``Plan`` (orchdsl.planning.spec).

Every task is resolved once here: its action into argv or shell text (planning.shell), its
strings into templates whose references the runner binds, its folder, options and
selection. Nothing downstream goes back to the syntax tree or the graph.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from typing import TYPE_CHECKING, Mapping

from orchdsl.planning.params import ParamError, parse_params  # noqa: F401 - re-exported
from orchdsl.planning.selection import EVERYTHING, Selection, unselected
from orchdsl.planning.spec import NotifySpec, Plan, RefKind, ScheduleSpec, Selected, TaskSpec

if TYPE_CHECKING:
    from orchdsl.lang import ast


def __getattr__(name: str):
    # Re-exported, and loaded when asked for: selecting from a cached plan (planning.cache)
    # must not load the syntax tree's modules.
    if name in ("TaskPlanner", "template_of"):
        from orchdsl.planning import tasks

        return getattr(tasks, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def build_plan(compiled, *, params: Mapping[str, str] | None = None,
               selection: Selection = EVERYTHING,
               also_unselected: Mapping[str, str] | None = None) -> Plan:
    """The plan of a run of ``compiled``: an orchdsl.compiler.Compiled, or the plan of one
    with every task selected (``plan_file``'s, as the plan cache keeps it).
    ``also_unselected``: task name -> why it does not run (the tasks a re-run leaves out).
    Raises SelectionError for a selection flag that names nothing."""
    plan = compiled if isinstance(compiled, Plan) else plan_file(compiled)
    if params:
        plan = with_params(plan, params)
    return select(plan, selection, also_unselected)


def plan_file(compiled, children: dict | None = None) -> Plan:
    """Every task selected, every param at its default: the plan that selection and
    ``--param`` then narrow."""
    from orchdsl.lang import ast
    from orchdsl.planning.tasks import TaskPlanner

    children = {} if children is None else children
    orchestration = compiled.orchestration
    folder = compiled.folder if os.path.isabs(compiled.folder) else os.path.abspath(compiled.folder)
    planner = TaskPlanner(compiled, children, plan_file)
    names = planner.names
    tasks = planner.tasks()
    for task in tasks:
        task.refs  # worked out now, and kept with the plan (planning.cache)
    timeout = orchestration.of_type(ast.JobTimeout)
    concurrency = orchestration.of_type(ast.Concurrency)
    plan = Plan(
        name=orchestration.name.value, path=compiled.path, folder=folder,
        file_hash=hashlib.sha256(compiled.document.text.encode("utf-8")).hexdigest(),
        description=orchestration.description,
        params=tuple((p.name.text, p.default.value) for p in orchestration.params),
        secrets=tuple(s.name.text for s in orchestration.secrets),
        env_vars=(),
        concurrency=concurrency[0].value.value if concurrency else None,
        timeout_s=timeout[0].duration.seconds if timeout else None,
        fail_fast=bool(orchestration.of_type(ast.FailFast)),
        phases=planner.phases(),
        tasks=tasks,
        schedules=tuple(_schedule(s) for s in orchestration.schedules),
        notifications=tuple(NotifySpec(tuple(e.text for e in n.events),
                                       n.after.seconds if n.after else None,
                                       tuple(names.template(t) for t in n.targets))
                            for n in orchestration.notifications),
        children=children)
    return plan


def with_params(plan: Plan, values: Mapping[str, str]) -> Plan:
    """The plan with ``--param`` values (checked already by parse_params)."""
    params = tuple((name, values.get(name, default)) for name, default in plan.params)
    return dataclasses.replace(plan, params=params)


def select(plan: Plan, selection: Selection = EVERYTHING,
           also_unselected: Mapping[str, str] | None = None) -> Plan:
    """The plan with the tasks a selection leaves out marked skipped, saying why."""
    phases = [(p.name, p.tasks) for p in plan.phases]
    groups: dict[str, list[str]] = {}
    for task in plan.tasks:
        if task.instance_of is not None:
            groups.setdefault(task.instance_of, []).append(task.name)
    reasons = {**(also_unselected or {}), **unselected(phases, selection, groups)}
    tasks = tuple(_selected(t, reasons) for t in plan.tasks)
    runs = [t for t in tasks if t.runs]
    env_vars = tuple(dict.fromkeys(r.env_var for t in runs for r in t.refs
                                   if r.kind is RefKind.ENV))
    warnings = ["the selection leaves no task to run"] if tasks and not runs else []
    return dataclasses.replace(plan, tasks=tasks, env_vars=env_vars,
                               selection=selection.flags(), warnings=tuple(warnings))


def _selected(task: TaskSpec, reasons: Mapping[str, str]) -> TaskSpec:
    if task.state is Selected.DISABLED:
        return task
    if task.name in reasons:
        return dataclasses.replace(task, state=Selected.SKIPPED, reason=reasons[task.name])
    if task.state is Selected.SKIPPED:
        return dataclasses.replace(task, state=Selected.SELECTED, reason=None)
    return task


def _schedule(schedule: ast.Schedule) -> ScheduleSpec:
    overlap, catchup = schedule.option("overlap"), schedule.option("catchup")
    return ScheduleSpec(schedule.cron.value, schedule.timezone,
                        overlap.value.text if overlap else "queue",
                        catchup.value.text if catchup else "none")
