"""Hover: what the word under the cursor is, in Markdown.

A task (where it is defined or named): its kind, phase, action, options and its command with
the params' defaults filled in, as ``orchdsl run --dry-run`` shows it (secrets as ``***``). A
param, secret or matrix name: its declaration. A schedule: its next three fire times in its
zone (``orchdsl.scheduling.cron``, as ``orchdsl next`` prints them). A rule code in an ignore
comment: the rule's explanation, as ``orchdsl lint --explain`` prints it.
"""

from __future__ import annotations

import os
import re
from datetime import datetime, timezone

from orchdsl.lang import ast
from orchdsl.lsp.analysis import Analysis
from orchdsl.lsp.occurrences import CHILD_PARAM, MATRIX, NESTED, PARAM, PHASE, TASK, Occurrence

FIRES = 3
_CODE = re.compile(r"[EWew]\d{3}")


def hover_text(analysis: Analysis, offset: int, now: datetime | None = None) -> str | None:
    """The Markdown for the cursor at ``offset``, or None when there is nothing to say."""
    found = analysis.occurrences.at(offset)
    if found is not None:
        return _occurrence(analysis, found)
    orchestration = analysis.orchestration
    for schedule in orchestration.schedules if orchestration else ():
        if schedule.span.start <= offset <= schedule.span.end:
            return schedule_text(schedule, now or datetime.now(timezone.utc))
    for comment in analysis.document.comments:
        if comment.span.start <= offset <= comment.span.end:
            return _rule_in_comment(comment, offset - comment.span.start)
    return None


def _occurrence(analysis: Analysis, found: Occurrence) -> str | None:
    definition = analysis.occurrences.definition(found)
    if found.kind == TASK:
        task = analysis.symbols.tasks.get(found.name)
        return task_text(analysis, task.task, task.phase_name) if task else None
    if found.kind in (PARAM, MATRIX) and definition is not None:
        return _declaration(analysis, found)
    if found.kind == PHASE:
        return _phase_text(analysis, found.name)
    if found.kind == NESTED:
        exists = "" if os.path.isfile(found.name) else " (not found: E108)"
        return f"**nested orchestration** `{found.name}`{exists}\n\nrun as one task; its job's " \
               "state is the task's"
    if found.kind == CHILD_PARAM:
        return f"**param** `{found.name}` passed to the nested orchestration `{found.scope}`"
    return None


def task_text(analysis: Analysis, task: ast.Task, phase: str) -> str:
    kind = f" · {task.kind.value}" if task.kind else ""
    lines = [f"**task** `{task.name.text}`{kind} · phase \"{phase}\"", ""]
    lines.extend(_action_lines(analysis, task))
    source = analysis.buffer.text
    options = [source[o.span.start:o.span.end] for o in task.options]
    if options:
        lines += ["", "options: " + " · ".join(f"`{_one_line(o)}`" for o in options)]
    return "\n".join(lines)


def _action_lines(analysis: Analysis, task: ast.Task) -> list[str]:
    from orchdsl.planning.build import template_of
    from orchdsl.planning.interpolate import render

    action = task.action
    orchestration = analysis.orchestration
    values = {p.name.text: p.default.value for p in orchestration.params}
    masked = frozenset(s.name.text for s in orchestration.secrets)

    def fill(string: ast.StringLit, shell: bool) -> str:
        """As a dry run shows it (orchdsl.cli.plan_output): secrets as ***, what is known
        only when the job runs as written."""
        return render(template_of(string, masked), values, shell=shell, masked=masked)

    if isinstance(action, ast.RunShell):
        return ["run (shell), with the params' defaults:", "```sh", fill(action.command, True),
                "```"]
    if isinstance(action, ast.RunArgv):
        argv = ", ".join(repr(fill(a, False)) for a in action.argv)
        return ["run (no shell), with the params' defaults:", "```python", f"[{argv}]", "```"]
    if isinstance(action, ast.Call):
        return [f"call `{action.target.value}`: a Python function, params as keyword arguments"]
    return [f"orchestration `{action.path.value}`: another file, run as one task"]


def _one_line(text: str) -> str:
    return re.sub(r"\s*\n\s*", " ", text).replace("`", "'")


def _declaration(analysis: Analysis, found: Occurrence) -> str:
    source = analysis.buffer.text
    if found.kind == MATRIX:
        task = analysis.symbols.tasks.get(found.scope)
        clause = next((m for m in task.task.matrices if m.name.text == found.name), None) if task \
            else None
        shown = _one_line(source[clause.span.start:clause.span.end]) if clause else found.name
        return f"**matrix** of task `{found.scope}`: `{shown}`\n\none instance per value"
    clause = analysis.symbols.declared.get(found.name)
    if isinstance(clause, ast.Secret):
        return (f"**secret** `{found.name}`: read from the environment variable `{found.name}` "
                "at run time; never shown (`***`)")
    if isinstance(clause, ast.Param):
        return (f"**param** `{found.name}` = `{clause.default.raw}`\n\n"
                f"a run may give another value: `--param {found.name}=...`")
    return f"`{found.name}`"


def _phase_text(analysis: Analysis, name: str) -> str | None:
    orchestration = analysis.orchestration
    phase = next((p for p in orchestration.phases if p.name.value == name), None)
    if phase is None:
        return None
    tasks = ", ".join(f"`{t.name.text}`" for t in phase.tasks) or "no task"
    when = f"\n\nwhen `{phase.when.text}`" if phase.when else ""
    return f"**phase** \"{name}\": {len(phase.tasks)} task(s): {tasks}{when}"


def schedule_text(schedule: ast.Schedule, now: datetime) -> str:
    from orchdsl.check.rules.schedules import cron_problem
    from orchdsl.scheduling.cron import next_fires, zone

    cron, zone_name = schedule.cron.value, schedule.timezone
    head = f"**schedule** `{cron}` in {zone_name}"
    problem = cron_problem(cron)
    tz = zone(zone_name)
    if problem or tz is None:
        return f"{head}\n\n{problem or f'unknown time zone {zone_name!r}'}: it never fires"
    fires = next_fires(cron, tz, now, FIRES)
    rows = [f"- {f.isoformat()} ({f.astimezone(timezone.utc):%Y-%m-%d %H:%M:%S} UTC)"
            for f in fires]
    return "\n".join([head, "", f"next {len(fires)} fires:", *rows])


def _rule_in_comment(comment: ast.Comment, at: int) -> str | None:
    from orchdsl.check.rules import all_rules

    opening = comment.text.find("[")
    for match in _CODE.finditer(comment.text, max(opening, 0)):
        if opening >= 0 and match.start() <= at <= match.end():
            rule = all_rules().get(match.group(0).upper())
            if rule is not None:
                from orchdsl.lsp.diagnostics import rule_url

                return f"{rule.explain()}\n[{rule.code} in docs/lint-rules.md]({rule_url(rule.code)})"
    return None
