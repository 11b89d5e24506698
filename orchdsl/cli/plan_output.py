"""How ``orchdsl run --dry-run`` shows a plan: text for people, JSON (``"version": 1``) for
programs. It reads the plan the runner executes (orchdsl.planning.spec); secrets show as
``***``, references known only when the job runs (``${env.NAME}``, outputs) as written."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Mapping

from orchdsl.cli.live_view_text import printable
from orchdsl.durations import written
from orchdsl.json_output import dumps
from orchdsl.planning.interpolate import render
from orchdsl.planning.spec import (ArgvAction, CallAction, NestedAction, Plan, ScheduleSpec,
                                   ShellAction, TaskSpec)

VERSION = 1


@dataclass(frozen=True)
class TaskView:
    """A task as a dry run shows it: its strings with the plan's params filled in."""

    spec: TaskSpec
    action: str  # run, call or orchestration
    command: str | None
    argv: tuple[str, ...] | None
    target: str | None
    file: str | None
    cwd: str
    env: tuple[tuple[str, str], ...]
    wave: int | None

    def __getattr__(self, name):
        return getattr(self.spec, name)


def task_views(plan: Plan) -> list[TaskView]:
    values = dict(plan.params)
    masked = frozenset(plan.secrets)
    waves = _waves(plan)
    views = []
    for task in plan.tasks:
        action = task.action

        def fill(template, shell=False):
            return render(template, values, shell=shell, masked=masked)

        cwd = task.cwd if task.cwd_template is None else os.path.normpath(
            os.path.join(task.cwd, fill(task.cwd_template)))
        views.append(TaskView(
            spec=task, action=action.name,
            command=fill(action.command, True) if isinstance(action, ShellAction) else None,
            argv=tuple(fill(a) for a in action.argv) if isinstance(action, ArgvAction) else None,
            target=action.target if isinstance(action, CallAction) else None,
            file=action.file if isinstance(action, NestedAction) else None,
            cwd=cwd, env=tuple((k, fill(v)) for k, v in task.env),
            wave=waves.get(task.name)))
    return views


def _waves(plan: Plan) -> dict[str, int]:
    """Task -> the wave it runs in: 1 + the latest wave it waits for, through the phases and
    ``needs``. Tasks that do not run take no wave and hold nobody back."""
    waves: dict[str, int] = {}
    level: dict[str, int] = {}  # every task: the wave it (or what it stands for) ends in
    phase_end = 0
    for phase in plan.phases:
        start, end = phase_end, phase_end
        for task in plan.phase_tasks(phase):
            base = max((level[n] for n in task.needs), default=0) if task.needs else start
            level[task.name] = base + 1 if task.runs else base
            if task.runs:
                waves[task.name] = base + 1
            end = max(end, level[task.name])
        phase_end = end
    return waves


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

    views = task_views(plan)
    return PlanView(
        plan, tuple(views), tuple(tuple(w) for w in _wave_list(views)),
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
    said = "; ".join(f"{_count(n, 'task')} {reason}" for reason, n in why.items())
    return f"{_NO_TASK} ({said}): the job will do nothing"


def _action_text(task: TaskView) -> str:
    if task.command is not None:
        return f"run: {task.command}"
    if task.argv is not None:
        return "run: " + json.dumps(list(task.argv), ensure_ascii=False)
    if task.target is not None:
        return f"call: {task.target}"
    return f"orchestration: {task.file}"


def _flags(task: TaskView) -> list[str]:
    flags = []
    if task.timeout_s is not None:
        flags.append(f"timeout {written(task.timeout_s)}")
    if task.retries:
        backoff = f" backoff {written(task.backoff_s)}" if task.backoff_s else ""
        flags.append(f"retries {task.retries}{backoff}")
    if task.continue_on_failure:
        flags.append("continue_on_failure")
    if task.needs:
        flags.append("needs " + ", ".join(task.needs))
    if task.label is not None:
        flags.append(f'on "{task.label}"')
    return flags


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _wave_list(views: list[TaskView]) -> list[list[str]]:
    grouped: dict[int, list[str]] = {}
    for view in views:
        if view.wave is not None:
            grouped.setdefault(view.wave, []).append(view.name)
    return [grouped[w] for w in sorted(grouped)]


def render_text(plan: Plan, environ: Mapping[str, str], now: datetime) -> str:
    """The plan for people. Its warnings are not part of it: ``orchdsl run`` prints them on
    stderr (and ``--format json`` keeps them under "warnings")."""
    shown = view(plan, environ, now)
    by_name = {v.name: v for v in shown.tasks}
    out = [f'Plan for "{plan.name}" ({plan.path})']
    if plan.description:
        out.extend(f"  {line}" for line in plan.description.splitlines())
    job = [f"concurrency {plan.concurrency or 'unlimited'}",
           f"timeout {written(plan.timeout_s) if plan.timeout_s is not None else 'none'}",
           f"fail_fast {'on' if plan.fail_fast else 'off'}"]
    out.append("  " + ", ".join(job))
    if plan.params:
        out.append("  params: " + ", ".join(f"{k}={v}" for k, v in plan.params))
    if plan.secrets:
        secrets = [f"{s} ({'not set' if s in shown.missing_secrets else 'set'})"
                   for s in plan.secrets]
        out.append("  secrets: " + ", ".join(secrets))
    width = max((len(t.name) for t in plan.tasks), default=0)
    kind_width = max((len(t.kind or "-") for t in plan.tasks), default=0)
    for index, phase in enumerate(plan.phases, 1):
        out.append("")
        out.append(f'Phase {index}/{len(plan.phases)} "{phase.name}"')
        if not phase.tasks:
            out.append("  (no task)")
        for name in phase.tasks:
            out.extend(_task_lines(by_name[name], plan, width, kind_width))
    out.append("")
    selected = sum(t.runs for t in plan.tasks)
    out.append(f"Order: {selected} of {_count(len(plan.tasks), 'task')} in "
               f"{_count(len(shown.waves), 'wave')} (tasks of a wave run together)")
    for number, wave in enumerate(shown.waves, 1):
        out.append(f"  {number}: {', '.join(wave)}")
    for schedule in shown.schedules:
        fires = schedule.next_fires
        out.append("")
        out.append(f'Schedule "{schedule.cron}" in {schedule.timezone} (overlap '
                   f"{schedule.overlap}, catchup {schedule.catchup}); next fires:")
        for fire in fires:
            out.append(f"  {fire.isoformat()}  ({fire.astimezone(timezone.utc):%Y-%m-%d %H:%M:%S} UTC)")
    if shown.notifications:
        out.append("")
        out.append("Notifications (scheduled runs; a manual run notifies only --notify-me):")
        for note in shown.notifications:
            after = f" after {written(note.after_s)}" if note.after_s is not None else ""
            targets = ", ".join(note.targets)
            out.append(f"  {', '.join(note.events)}{after} -> {targets}")
    out.append("")
    out.append("Dry run: nothing was run.")
    # Values from the command line (and the file's escapes) may hold control characters:
    # shown as escapes, never sent to the terminal raw (docs/language.md, "Plans"); a secret's
    # value that came through --param is masked first, so that no escaped form of it shows.
    mask = _masker(plan, environ).mask
    return "\n".join(printable(mask(line)) for line in out) + "\n"


def _masker(plan: Plan, environ: Mapping[str, str]):
    from orchdsl.masking import Masker

    return Masker([environ[name] for name in plan.secrets if environ.get(name)])


def _task_lines(task: TaskView, plan: Plan, width: int, kind_width: int) -> list[str]:
    state = f"wave {task.wave}" if task.runs else task.state.value
    lines = [f"  {state:<8}  {task.name.ljust(width)}  {(task.kind or '-').ljust(kind_width)}"
             f"  {_action_text(task)}"]
    details = _flags(task)
    if task.cwd != plan.folder:
        details.append(f"cwd {os.path.relpath(task.cwd, plan.folder)}")
    details.extend(f"env {k}={v}" for k, v in task.env)
    if task.reason and not task.runs:
        details.append(task.reason)
    if details:
        lines.append(" " * (14 + width) + "  " + "; ".join(details))
    return lines


def _target(plan: Plan, template) -> str:
    return _without_password(render(template, dict(plan.params), shell=False,
                                    masked=frozenset(plan.secrets)))


def _without_password(target: str) -> str:
    """``https://user:pw@host/x`` -> ``https://user:***@host/x``: webhook URLs may hold one."""
    return re.sub(r"^(\w+://[^/@:]*:)[^/@]*@", r"\1***@", target)


def plan_data(plan: Plan, environ: Mapping[str, str], now: datetime) -> dict:
    shown = view(plan, environ, now)
    by_name = {v.name: v for v in shown.tasks}
    return {
        "version": VERSION, "orchestration": plan.name, "file": plan.path,
        "description": plan.description, "params": dict(plan.params),
        "secrets": [{"name": s, "set": s not in shown.missing_secrets} for s in plan.secrets],
        "concurrency": plan.concurrency, "timeout_s": plan.timeout_s, "fail_fast": plan.fail_fast,
        "phases": [{"name": p.name, "tasks": [_task_data(by_name[n]) for n in p.tasks]}
                   for p in plan.phases],
        "waves": [list(w) for w in shown.waves],
        "schedules": [{"cron": s.cron, "timezone": s.timezone, "overlap": s.overlap,
                       "catchup": s.catchup,
                       "next": [{"local": f.isoformat(),
                                 "utc": f.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")}
                                for f in s.next_fires]} for s in shown.schedules],
        "notifications": [{"events": list(n.events), "after_s": n.after_s,
                           "targets": list(n.targets)} for n in shown.notifications],
        "warnings": list(shown.warnings),
    }


def _task_data(task: TaskView) -> dict:
    return {"name": task.name, "phase": task.phase, "kind": task.kind,
            "action": task.action, "command": task.command,
            "argv": list(task.argv) if task.argv is not None else None,
            "target": task.target, "file": task.file, "cwd": task.cwd, "env": dict(task.env),
            "timeout_s": task.timeout_s, "retries": task.retries, "backoff_s": task.backoff_s,
            "continue_on_failure": task.continue_on_failure, "needs": list(task.needs),
            "on": task.label, "selected": task.runs, "state": task.state.value,
            "reason": task.reason, "wave": task.wave}


def render_json(plan: Plan, environ: Mapping[str, str], now: datetime) -> str:
    return dumps(plan_data(plan, environ, now))
