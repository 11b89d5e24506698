"""A plan as ``orchdsl run --dry-run`` shows it (orchdsl.cli.plan_output renders it): each
task's strings with what the plan knows filled in (params; a static matrix instance's values),
secrets as ``***``; the order in waves; what a real run would warn about.

Waves: the tasks of a wave start together, when the wave before has ended. A task whose
``needs`` name tasks that run starts as soon as those succeeded, not with a wave: it is
shown "after" them (docs/language.md, "What run shows")."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Mapping

from orchdsl.planning.interpolate import render
from orchdsl.planning.spec import (ArgvAction, CallAction, NestedAction, Plan, RefKind,
                                   ScheduleSpec, ShellAction, TaskSpec)

# References no plan can fill in: bound by the runner when the job or the task starts.
LATER_KINDS = (RefKind.JOB, RefKind.OUTPUT, RefKind.MATRIX)


@dataclass(frozen=True)
class TaskView:
    """A task as a dry run shows it: its strings with the plan's values filled in."""

    spec: TaskSpec
    action: str  # run, call or orchestration
    command: str | None
    argv: tuple[str, ...] | None
    target: str | None
    file: str | None
    params: tuple[tuple[str, str], ...]  # of a nested orchestration: ``param NAME = "..."``
    cwd: str
    env: tuple[tuple[str, str], ...]
    wave: int | None  # None: it does not run, or it starts after its ``needs``
    after: tuple[str, ...]  # the tasks it starts after (its needs that run)

    def __getattr__(self, name):
        return getattr(self.spec, name)


def task_views(plan: Plan, mask=lambda text: text) -> list[TaskView]:
    """``mask``: a secret's value given as a param (a Masker's mask) as ``***``."""
    masked = frozenset(plan.secrets)
    waves, after = _order(plan)
    views = []
    for task in plan.tasks:
        action = task.action
        values = {**dict(plan.params), **dict(task.matrix_values)}

        def fill(template, shell=False, values=values):
            return mask(render(template, values, shell=shell, masked=masked))

        cwd = task.cwd if task.cwd_template is None else os.path.normpath(
            os.path.join(task.cwd, fill(task.cwd_template)))
        nested = isinstance(action, NestedAction)
        views.append(TaskView(
            spec=task, action=action.name,
            command=fill(action.command, True) if isinstance(action, ShellAction) else None,
            argv=tuple(fill(a) for a in action.argv) if isinstance(action, ArgvAction) else None,
            target=action.target if isinstance(action, CallAction) else None,
            file=action.file if nested else None,
            params=tuple((k, fill(v)) for k, v in action.params) if nested else (),
            cwd=cwd, env=tuple((k, fill(v)) for k, v in task.env),
            wave=waves.get(task.name), after=after.get(task.name, ())))
    return views


def _order(plan: Plan) -> tuple[dict[str, int], dict[str, tuple[str, ...]]]:
    """(task -> its wave, task -> the tasks it starts after). A task's level is 1 + the
    latest level it waits for, through the phases and ``needs``; tasks that do not run take
    no level and hold nobody back. Levels held only by tasks that start "after" are left
    out of the waves' numbers."""
    level: dict[str, int] = {}  # every task: the level it (or what it stands for) ends at
    runs = {t.name for t in plan.tasks if t.runs}
    waves: dict[str, int] = {}
    after: dict[str, tuple[str, ...]] = {}
    phase_end = 0
    for phase in plan.phases:
        start, end = phase_end, phase_end
        for task in plan.phase_tasks(phase):
            base = max((level[n] for n in task.needs), default=0) if task.needs else start
            level[task.name] = base + 1 if task.runs else base
            end = max(end, level[task.name])
            if not task.runs:
                continue
            running = tuple(n for n in task.needs if n in runs)
            # After its needs, unless an unselected need holds it to a later barrier.
            if running and max(level[n] for n in running) == base:
                after[task.name] = running
            else:
                waves[task.name] = base + 1
        phase_end = end
    numbers = {old: new for new, old in enumerate(sorted(set(waves.values())), 1)}
    return {name: numbers[old] for name, old in waves.items()}, after


def wave_list(views: list[TaskView]) -> list[list[str]]:
    grouped: dict[int, list[str]] = {}
    for view in views:
        if view.wave is not None:
            grouped.setdefault(view.wave, []).append(view.name)
    return [grouped[w] for w in sorted(grouped)]


def later_values(plan: Plan) -> list[str]:
    """The references of the tasks that run that only the run fills in (``${job.id}``, an
    output, a dynamic matrix's value), each once, in file order."""
    found: dict[str, None] = {}
    for task in plan.tasks:
        if task.runs:
            filled = dict(task.matrix_values)
            for template in task.templates:
                for ref in template.refs:
                    if ref.kind in LATER_KINDS and ref.name not in filled:
                        found.setdefault("${" + ref.name + "}")
    return list(found)


@dataclass(frozen=True)
class ScheduleView:
    spec: ScheduleSpec
    next_fires: tuple[datetime, ...]

    def __getattr__(self, name):
        return getattr(self.spec, name)


@dataclass(frozen=True)
class NotifyView:
    events: tuple[str, ...]
    after_s: float | None
    targets: tuple[str, ...]  # filled in, secrets and passwords as ***


@dataclass(frozen=True)
class PlanView:
    """A plan as a dry run shows it, for a given environment and moment."""

    plan: Plan
    tasks: tuple[TaskView, ...]
    waves: tuple[tuple[str, ...], ...]
    missing_secrets: tuple[str, ...]
    schedules: tuple[ScheduleView, ...]
    notifications: tuple[NotifyView, ...]
    warnings: tuple[str, ...]

    def __getattr__(self, name):
        return getattr(self.plan, name)


def view(plan: Plan, environ: Mapping[str, str], now: datetime, fires: int = 3) -> PlanView:
    from orchdsl.scheduling.cron import next_fires, zone

    from orchdsl.masking import Masker

    mask = Masker([environ[name] for name in plan.secrets if environ.get(name)]).mask
    views = task_views(plan, mask)
    return PlanView(
        plan, tuple(views), tuple(tuple(w) for w in wave_list(views)),
        tuple(s for s in plan.secrets if s not in environ),
        tuple(ScheduleView(s, tuple(next_fires(s.cron, zone(s.timezone), now, fires)))
              for s in plan.schedules),
        tuple(NotifyView(n.events, n.after_s, tuple(_target(plan, t) for t in n.targets))
              for n in plan.notifications),
        tuple(plan_warnings(plan, environ)))


def plan_warnings(plan: Plan, environ: Mapping[str, str]) -> list[str]:
    """What a real run of this plan would trip over, told by a dry run on stderr."""
    warnings = [f"secret {s} is not set: a real run would fail before any task starts"
                for s in plan.secrets if s not in environ]
    warnings.extend(f"environment variable {name} is not set: a real run would fail before "
                    "any task starts" for name in plan.env_vars if name not in environ)
    nothing = nothing_to_run(plan)
    warnings.extend([nothing] if nothing else [])
    return list(dict.fromkeys([*warnings, *(w for w in plan.warnings if w != _NO_TASK)]))


_NO_TASK = "the selection leaves no task to run"  # planning.build's words, said better here


def nothing_to_run(plan: Plan) -> str | None:
    """A plan whose tasks are all left out (``--only a --skip a``, every task disabled, a
    re-run of a job that succeeded), in words that say why; None when something runs. The
    job would end in success having done nothing: the docs promise a warning."""
    if not plan.tasks or any(t.runs for t in plan.tasks):
        return None
    why: dict[str, int] = {}
    for task in plan.tasks:
        reason = task.reason or ("disabled in the file" if task.state.value == "disabled"
                                 else task.state.value)
        why[reason] = why.get(reason, 0) + 1
    said = "; ".join(f"{count(n, 'task')} {reason}" for reason, n in why.items())
    return f"{_NO_TASK} ({said}): the job will do nothing"


def count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _target(plan: Plan, template) -> str:
    return _without_password(render(template, dict(plan.params), shell=False,
                                    masked=frozenset(plan.secrets)))


def _without_password(target: str) -> str:
    """``https://user:pw@host/x`` -> ``https://user:***@host/x``: webhook URLs may hold one."""
    return re.sub(r"^(\w+://[^/@:]*:)[^/@]*@", r"\1***@", target)
