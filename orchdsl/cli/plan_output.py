"""How ``orchdsl run --dry-run`` shows a plan: text for people, JSON (``"version": 1``) for
programs. Values come from the plan, where secrets are already ``***``."""

from __future__ import annotations

import json
import os
import re
from datetime import timezone

from orchdsl.json_output import dumps
from orchdsl.lang.lexical import format_duration
from orchdsl.planning.build import Plan, PlannedTask

VERSION = 1


def _duration(seconds: float | None) -> str | None:
    return None if seconds is None else format_duration(round(seconds * 1000))


def _action_text(task: PlannedTask) -> str:
    if task.command is not None:
        return f"run: {task.command}"
    if task.argv is not None:
        return "run: " + json.dumps(list(task.argv), ensure_ascii=False)
    if task.target is not None:
        return f"call: {task.target}"
    return f"orchestration: {task.file}"


def _flags(task: PlannedTask) -> list[str]:
    flags = []
    if task.timeout_s is not None:
        flags.append(f"timeout {_duration(task.timeout_s)}")
    if task.retries:
        backoff = f" backoff {_duration(task.backoff_s)}" if task.backoff_s else ""
        flags.append(f"retries {task.retries}{backoff}")
    if task.continue_on_failure:
        flags.append("continue_on_failure")
    if task.needs:
        flags.append("needs " + ", ".join(task.needs))
    return flags


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def render_text(plan: Plan) -> str:
    """The plan for people. Its warnings are not part of it: ``orchdsl run`` prints them on
    stderr (and ``--format json`` keeps them under "warnings")."""
    out = [f'Plan for "{plan.name}" ({plan.path})']
    if plan.description:
        out.extend(f"  {line}" for line in plan.description.splitlines())
    job = [f"concurrency {plan.concurrency or 'unlimited'}",
           f"timeout {_duration(plan.timeout_s) or 'none'}",
           f"fail_fast {'on' if plan.fail_fast else 'off'}"]
    out.append("  " + ", ".join(job))
    if plan.params:
        out.append("  params: " + ", ".join(f"{k}={v}" for k, v in plan.params))
    if plan.secrets:
        shown = [f"{s} ({'not set' if s in plan.missing_secrets else 'set'})" for s in plan.secrets]
        out.append("  secrets: " + ", ".join(shown))
    home = os.path.normpath(os.path.dirname(plan.path) or ".")
    width = max((len(t.name) for t in plan.tasks), default=0)
    kind_width = max((len(t.kind or "-") for t in plan.tasks), default=0)
    for index, phase in enumerate(plan.phases, 1):
        out.append("")
        out.append(f'Phase {index}/{len(plan.phases)} "{phase.name}"')
        if not phase.tasks:
            out.append("  (no task)")
        for task in phase.tasks:
            state = f"wave {task.wave}" if task.runs else task.state.value
            line = (f"  {state:<8}  {task.name.ljust(width)}  {(task.kind or '-').ljust(kind_width)}"
                    f"  {_action_text(task)}")
            out.append(line)
            details = _flags(task)
            if task.cwd != home:
                details.append(f"cwd {task.cwd}")
            details.extend(f"env {k}={v}" for k, v in task.env)
            if task.reason and not task.runs:
                details.append(task.reason)
            if details:
                out.append(" " * (14 + width) + "  " + "; ".join(details))
    out.append("")
    selected = sum(t.runs for t in plan.tasks)
    out.append(f"Order: {selected} of {_count(len(plan.tasks), 'task')} in "
               f"{_count(len(plan.waves), 'wave')} (tasks of a wave run together)")
    for number, wave in enumerate(plan.waves, 1):
        out.append(f"  {number}: {', '.join(wave)}")
    for schedule in plan.schedules:
        out.append("")
        out.append(f'Schedule "{schedule.cron}" in {schedule.timezone} (overlap {schedule.overlap}, '
                   f"catchup {schedule.catchup}); next fires:")
        for fire in schedule.next_fires:
            out.append(f"  {fire.isoformat()}  ({fire.astimezone(timezone.utc):%Y-%m-%d %H:%M:%S} UTC)")
    if plan.notifications:
        out.append("")
        out.append("Notifications (scheduled runs; a manual run notifies only --notify-me):")
        for note in plan.notifications:
            after = f" after {_duration(note.after_s)}" if note.after_s is not None else ""
            targets = ", ".join(_without_password(t) for t in note.targets)
            out.append(f"  {', '.join(note.events)}{after} -> {targets}")
    out.append("")
    out.append("Dry run: nothing was run.")
    return "\n".join(out) + "\n"


def _without_password(target: str) -> str:
    """``https://user:pw@host/x`` -> ``https://user:***@host/x``: webhook URLs may hold one."""
    return re.sub(r"^(\w+://[^/@:]*:)[^/@]*@", r"\1***@", target)


def plan_data(plan: Plan) -> dict:
    return {
        "version": VERSION, "orchestration": plan.name, "file": plan.path,
        "description": plan.description, "params": dict(plan.params),
        "secrets": [{"name": s, "set": s not in plan.missing_secrets} for s in plan.secrets],
        "concurrency": plan.concurrency, "timeout_s": plan.timeout_s, "fail_fast": plan.fail_fast,
        "phases": [{"name": p.name, "tasks": [_task_data(t) for t in p.tasks]} for p in plan.phases],
        "waves": [list(w) for w in plan.waves],
        "schedules": [{"cron": s.cron, "timezone": s.timezone, "overlap": s.overlap,
                       "catchup": s.catchup,
                       "next": [{"local": f.isoformat(),
                                 "utc": f.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")}
                                for f in s.next_fires]} for s in plan.schedules],
        "notifications": [{"events": list(n.events), "after_s": n.after_s,
                           "targets": [_without_password(t) for t in n.targets]}
                          for n in plan.notifications],
        "warnings": list(plan.warnings),
    }


def _task_data(task: PlannedTask) -> dict:
    return {"name": task.name, "phase": task.phase, "kind": task.kind, "action": task.action,
            "command": task.command, "argv": list(task.argv) if task.argv is not None else None,
            "target": task.target, "file": task.file, "cwd": task.cwd, "env": dict(task.env),
            "timeout_s": task.timeout_s, "retries": task.retries, "backoff_s": task.backoff_s,
            "continue_on_failure": task.continue_on_failure, "needs": list(task.needs),
            "selected": task.runs, "state": task.state.value, "reason": task.reason, "wave": task.wave}


def render_json(plan: Plan) -> str:
    return dumps(plan_data(plan))
