"""How ``orchdsl run --dry-run`` shows a plan: text for people, JSON (``"version": 1``) for
programs. It reads the plan the runner executes (orchdsl.planning.spec); secrets show as
``***``, references known only when the job runs (``${env.NAME}``, outputs) as written."""

from __future__ import annotations

import json
import os
import re
from datetime import datetime, timezone
from typing import Mapping

from orchdsl.cli.live_view_text import printable
from orchdsl.cli.plan_view import (  # noqa: F401 - view and plan_warnings are re-exported
    TaskView, count, later_values, nothing_to_run, plan_warnings, view)
from orchdsl.durations import written
from orchdsl.json_output import dumps
from orchdsl.planning.conditions import Combined, Status
from orchdsl.planning.spec import PhaseSpec, Plan

VERSION = 1


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
    if task.when is not None:
        flags.append(f"when {task.when.text}")
    if task.matrix_values:
        flags.append("matrix " + ", ".join(f"{k}={_word(v)}" for k, v in task.matrix_values))
    if task.matrix is not None:
        clauses = [f"{c.name} from {c.source}" if c.source else
                   f"{c.name} = [{', '.join(json.dumps(v) for v in c.values)}]"
                   for c in task.matrix.clauses]
        flags.append(f"matrix {', '.join(clauses)}: an instance per line, made when the task "
                     "is reached")
    flags.extend(f"param {k}={v}" for k, v in task.params)
    return flags


def _word(value: str) -> str:
    """A value as it is when it reads as one word, else in quotes (``"us west"``)."""
    return value if re.fullmatch(r"[\w.@/:+-]+", value) else json.dumps(value, ensure_ascii=False)


def phase_condition(phase: PhaseSpec) -> str | None:
    """A phase's ``when`` as a dry run says it: a condition that asks about no task's status
    also needs every task before to have succeeded (docs/reference.md, "Conditions")."""
    if phase.when is None:
        return None
    expr = phase.when.expr
    implicit = (isinstance(expr, Combined) and expr.op == "and"
                and expr.operands[0] == Status("succeeded", None)
                and "succeeded(" not in phase.when.text)
    return f"when {phase.when.text}" + (" (and no task before failed)" if implicit else "")


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
        condition = phase_condition(phase)
        out.append(f'Phase {index}/{len(plan.phases)} "{phase.name}"'
                   + (f" {condition}" if condition else ""))
        if not phase.tasks:
            out.append("  (no task)")
        for name in phase.tasks:
            out.extend(_task_lines(by_name[name], plan, width, kind_width))
    out.append("")
    out.extend(_order_lines(plan, shown))
    later = later_values(plan)
    if later:
        out.append("")
        out.append(f"Shown as written, filled in when the job runs: {', '.join(later)}")
    for schedule in shown.schedules:
        fires = schedule.next_fires
        out.append("")
        out.append(f'Schedule "{schedule.cron}" in {schedule.timezone} (overlap '
                   f"{schedule.overlap}, catchup {schedule.catchup}); next fires:")
        for fire in fires:
            utc = fire.astimezone(timezone.utc)
            out.append(f"  {fire.isoformat()}  ({utc:%Y-%m-%d %H:%M:%S} UTC)")
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
    # shown as escapes, never sent to the terminal raw (docs/language.md, "What run shows");
    # a secret's value that came through --param is masked first, so no escaped form shows.
    mask = _masker(plan, environ).mask
    return "\n".join(printable(mask(line)) for line in out) + "\n"


def _order_lines(plan: Plan, shown) -> list[str]:
    selected = sum(t.runs for t in plan.tasks)
    starts_after = [t for t in shown.tasks if t.after]  # by needs: when those succeeded
    lines = [f"Order: {selected} of {count(len(plan.tasks), 'task')} in "
             f"{count(len(shown.waves), 'wave')} (tasks of a wave run together)"]
    lines.extend(f"  {number}: {', '.join(wave)}" for number, wave in enumerate(shown.waves, 1))
    grouped: dict[tuple[str, ...], list[str]] = {}
    for task in starts_after:
        grouped.setdefault(task.after, []).append(task.name)
    lines.extend(f"  after {', '.join(needs)}: {', '.join(names)}"
                 for needs, names in grouped.items())
    return lines


def _masker(plan: Plan, environ: Mapping[str, str]):
    from orchdsl.masking import Masker

    return Masker([environ[name] for name in plan.secrets if environ.get(name)])


def _task_lines(task: TaskView, plan: Plan, width: int, kind_width: int) -> list[str]:
    if not task.runs:
        state = task.state.value
    else:
        state = f"wave {task.wave}" if task.wave is not None else "after"
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


def plan_data(plan: Plan, environ: Mapping[str, str], now: datetime) -> dict:
    shown = view(plan, environ, now)
    by_name = {v.name: v for v in shown.tasks}
    data = {
        "version": VERSION, "orchestration": plan.name, "file": plan.path,
        "description": plan.description, "params": dict(plan.params),
        "secrets": [{"name": s, "set": s not in shown.missing_secrets} for s in plan.secrets],
        "concurrency": plan.concurrency, "timeout_s": plan.timeout_s, "fail_fast": plan.fail_fast,
        "phases": [{"name": p.name, "when": p.when.text if p.when else None,
                    "condition": phase_condition(p),
                    "tasks": [_task_data(by_name[n]) for n in p.tasks]} for p in plan.phases],
        "waves": [list(w) for w in shown.waves],
        "after": {t.name: list(t.after) for t in shown.tasks if t.after},
        "later_values": later_values(plan),
        "schedules": [{"cron": s.cron, "timezone": s.timezone, "overlap": s.overlap,
                       "catchup": s.catchup,
                       "next": [{"local": f.isoformat(),
                                 "utc": f.astimezone(timezone.utc).isoformat().replace(
                                     "+00:00", "Z")}
                                for f in s.next_fires]} for s in shown.schedules],
        "notifications": [{"events": list(n.events), "after_s": n.after_s,
                           "targets": list(n.targets)} for n in shown.notifications],
        "warnings": list(shown.warnings),
    }
    return _masked(data, _masker(plan, environ).mask)


def _masked(value, mask):
    """Every string of the document masked before JSON escapes it (a secret's value that
    came through --param, with a character JSON would escape, is still found)."""
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {k: _masked(v, mask) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v, mask) for v in value]
    return value


def _task_data(task: TaskView) -> dict:
    matrix = None if task.matrix is None else [
        {"name": c.name, "values": list(c.values) if c.values is not None else None,
         "source": c.source} for c in task.matrix.clauses]
    return {"name": task.name, "phase": task.phase, "kind": task.kind,
            "action": task.action, "command": task.command,
            "argv": list(task.argv) if task.argv is not None else None,
            "target": task.target, "file": task.file, "params": dict(task.params),
            "cwd": task.cwd, "env": dict(task.env),
            "timeout_s": task.timeout_s, "retries": task.retries, "backoff_s": task.backoff_s,
            "continue_on_failure": task.continue_on_failure, "needs": list(task.needs),
            "on": task.label, "when": task.when.text if task.when else None,
            "matrix": matrix, "instance_of": task.instance_of,
            "matrix_values": dict(task.matrix_values), "selected": task.runs,
            "state": task.state.value, "reason": task.reason, "wave": task.wave,
            "after": list(task.after)}


def render_json(plan: Plan, environ: Mapping[str, str], now: datetime) -> str:
    return dumps(plan_data(plan, environ, now))
