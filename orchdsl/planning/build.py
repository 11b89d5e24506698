"""Planning: a compiled file becomes its executable ``Plan`` (orchdsl.planning.spec).

Every task is resolved once here: its action into argv or shell text (planning.shell), its
strings into templates whose references the runner binds, its folder, options and
selection. Nothing downstream goes back to the syntax tree or the graph.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from typing import Mapping

from orchdsl.lang import ast
from orchdsl.planning.params import ParamError, parse_params  # noqa: F401 - re-exported
from orchdsl.planning.selection import EVERYTHING, Selection, unselected
from orchdsl.planning.shell import plain_argv
from orchdsl.planning.spec import (Action, ArgvAction, CallAction, NestedAction, NotifySpec,
                                   PhaseSpec, Plan, Ref, RefKind, ScheduleSpec, Selected,
                                   ShellAction, TaskSpec, Template)


def build_plan(compiled, *, params: Mapping[str, str] | None = None,
               selection: Selection = EVERYTHING,
               also_unselected: Mapping[str, str] | None = None) -> Plan:
    """The plan of a run of ``compiled`` (an orchdsl.compiler.Compiled). ``also_unselected``:
    task name -> why it does not run (the tasks a re-run leaves out). Raises SelectionError
    for a selection flag that names nothing."""
    plan = plan_file(compiled)
    if params:
        plan = with_params(plan, params)
    return select(plan, selection, also_unselected)


def plan_file(compiled, children: dict | None = None) -> Plan:
    """Every task selected, every param at its default: the plan that selection and
    ``--param`` then narrow."""
    children = {} if children is None else children
    orchestration = compiled.orchestration
    folder = compiled.folder if os.path.isabs(compiled.folder) else os.path.abspath(compiled.folder)
    names = _Names(orchestration)
    tasks = tuple(_task(task, phase.name.value, index, names, compiled, children)
                  for index, phase in enumerate(orchestration.phases) for task in phase.tasks)
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
        phases=tuple(PhaseSpec(p.name.value, tuple(t.name.text for t in p.tasks))
                     for p in orchestration.phases),
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
    reasons = {**(also_unselected or {}), **unselected(phases, selection)}
    tasks = tuple(_selected(t, reasons) for t in plan.tasks)
    runs = [t for t in tasks if t.runs]
    env_vars = tuple(dict.fromkeys(r.env_var for t in runs for tpl in t.templates
                                   for r in tpl.refs if r.kind is RefKind.ENV))
    warnings = ["the selection leaves no task to run"] if tasks and not runs else []
    return dataclasses.replace(plan, tasks=tasks, env_vars=env_vars,
                               selection=selection.flags(), warnings=tuple(warnings))


def template_of(string: ast.StringLit, secrets: frozenset[str] = frozenset()) -> Template:
    """A string of the file as the plan holds it (references kept, bound when a job runs)."""
    return _Names.of_secrets(secrets).template(string)


def _selected(task: TaskSpec, reasons: Mapping[str, str]) -> TaskSpec:
    if task.state is Selected.DISABLED:
        return task
    if task.name in reasons:
        return dataclasses.replace(task, state=Selected.SKIPPED, reason=reasons[task.name])
    if task.state is Selected.SKIPPED:
        return dataclasses.replace(task, state=Selected.SELECTED, reason=None)
    return task


class _Names:
    """Which ``${name}`` is what, in one orchestration."""

    def __init__(self, orchestration: ast.Orchestration):
        self.secrets = frozenset(s.name.text for s in orchestration.secrets)

    @classmethod
    def of_secrets(cls, secrets: frozenset[str]) -> "_Names":
        names = cls.__new__(cls)
        names.secrets = secrets
        return names

    def ref(self, interpolation: ast.Interpolation) -> Ref:
        name = interpolation.name
        if name.startswith("env."):
            return Ref(name, RefKind.ENV)
        if name.startswith("job."):
            return Ref(name, RefKind.JOB)
        if name.startswith("tasks."):
            return Ref(name, RefKind.OUTPUT)
        return Ref(name, RefKind.SECRET if name in self.secrets else RefKind.PARAM)

    def template(self, string: ast.StringLit) -> Template:
        return Template(tuple(p if isinstance(p, str) else self.ref(p) for p in string.parts))


def _task(task: ast.Task, phase: str, index: int, names: _Names, compiled,
          children: dict) -> TaskSpec:
    cwd = names.template(task.cwd.path) if task.cwd else None
    literal_cwd = cwd.literal if cwd is not None else "."
    return TaskSpec(
        name=task.name.text, phase=phase, phase_index=index,
        kind=task.kind.value if task.kind else None,
        action=_action(task.action, names, compiled, children),
        cwd=os.path.normpath(os.path.join(_folder(compiled), literal_cwd or ".")),
        cwd_template=cwd if cwd is not None and literal_cwd is None else None,
        env=tuple((e.name.text, names.template(e.value)) for e in task.env),
        timeout_s=task.timeout_s, retries=task.retry_count, backoff_s=task.backoff_s,
        continue_on_failure=task.continue_on_failure,
        needs=tuple(w.text for w in task.needs), line=task.span.line,
        label=task.on.label.value if task.on is not None else None,
        state=Selected.DISABLED if task.disabled else Selected.SELECTED,
        reason="disabled in the file" if task.disabled else None)


def _folder(compiled) -> str:
    return os.path.dirname(os.path.abspath(compiled.path))


def _action(action: ast.Action, names: _Names, compiled, children: dict) -> Action:
    if isinstance(action, ast.RunShell):
        command = names.template(action.command)
        literal = command.literal
        argv = plain_argv(literal) if literal is not None else None
        return ShellAction(command, tuple(argv) if argv is not None else None)
    if isinstance(action, ast.RunArgv):
        return ArgvAction(tuple(names.template(a) for a in action.argv))
    if isinstance(action, ast.Call):
        target = action.target.value
        module, _, function = target.partition(":")
        return CallAction(target, module, function, _folder(compiled))
    return _nested(action, compiled, children)


def _nested(action: ast.Nested, compiled, children: dict) -> NestedAction:
    key = os.path.realpath(os.path.join(compiled.folder, action.path.value))
    if key not in children:
        children[key] = None  # a cycle is reported by lint before planning; never recursed
        children[key] = plan_file(compiled.children[key], children)
    return NestedAction(action.path.value, key)


def _schedule(schedule: ast.Schedule) -> ScheduleSpec:
    overlap, catchup = schedule.option("overlap"), schedule.option("catchup")
    return ScheduleSpec(schedule.cron.value, schedule.timezone,
                        overlap.value.text if overlap else "queue",
                        catchup.value.text if catchup else "none")
